// ResourceJsonTest — Resource / ResourceState JSON: what the writers write
// reads back equal; a bad document is kInvalid naming the field's path, the
// same way whether it comes from a saved plan, the journal or the stored
// state (one reader); FieldReader keeps the first problem.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/Clock.h"
#include "core/Sha256.h"
#include "infra/FieldReader.h"
#include "infra/ResourceJson.h"
#include "infra/StoreInfraStore.h"
#include "store/Store.h"

using namespace ramp;
using namespace ramp::infra;
using nlohmann::json;

namespace {

Resource listener() {
  Resource r;
  r.address = "aws_lb_listener.web-http[us-east-1]";
  r.type = "aws_lb_listener";
  r.name = "web-http";
  r.region = "us-east-1";
  r.attributes = {{"port", 80}, {"protocol", "HTTP"}, {"default_action", "fixed-response:404"}};
  r.dependsOn = {"aws_lb.web[us-east-1]"};
  r.forceNew = {"load_balancer"};
  r.tags = {{"ramp:project", "shop"}};
  return r;
}

ResourceState listenerState() {
  return ResourceState{"aws_lb_listener.web-http[us-east-1]", "aws_lb_listener", "web-http", "us-east-1",
                       "arn:aws:elasticloadbalancing:listener/1", {{"port", 80}}};
}

// The error of reading `j` as a Resource at "changes[0].desired".
Error resourceError(const json& j) {
  auto r = resourceFromJson(j, "changes[0].desired");
  EXPECT_FALSE(r) << "accepted " << j.dump();
  return r ? Error{} : r.error();
}

}  // namespace

TEST(ResourceJson, WhatIsWrittenReadsBackEqual) {
  auto r = resourceFromJson(resourceJson(listener()), "x");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->address, listener().address);
  EXPECT_EQ(r->name, "web-http");
  EXPECT_EQ(r->region, "us-east-1");
  EXPECT_EQ(r->attributes, listener().attributes);
  EXPECT_EQ(r->dependsOn, listener().dependsOn);
  EXPECT_EQ(r->forceNew, listener().forceNew);
  EXPECT_EQ(r->tags, listener().tags);

  auto s = resourceStateFromJson(resourceStateJson(listenerState()), "x");
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->id, listenerState().id);
  EXPECT_EQ(s->type, "aws_lb_listener");
  EXPECT_EQ(s->attributes, listenerState().attributes);
}

TEST(ResourceJson, OptionalStringsMayBeAbsentOrNull) {
  json j = resourceJson(listener());
  j.erase("name");
  j["region"] = nullptr;
  auto r = resourceFromJson(j, "x");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->name, "");
  EXPECT_EQ(r->region, "");
}

TEST(ResourceJson, BadDocumentsNameTheField) {
  json good = resourceJson(listener());
  {
    auto e = resourceError(json::array());
    EXPECT_EQ(e.where, "changes[0].desired");
    EXPECT_EQ(e.message, "expected an object");
    EXPECT_EQ(e.code, ErrorCode::kInvalid);
  }
  {
    auto j = good;
    j.erase("address");
    auto e = resourceError(j);
    EXPECT_EQ(e.where, "changes[0].desired.address");
    EXPECT_EQ(e.message, "missing (a string)");
  }
  {
    auto j = good;
    j["address"] = "";
    EXPECT_EQ(resourceError(j).where, "changes[0].desired.address");
    EXPECT_EQ(resourceError(j).message, "must not be empty");
  }
  {
    auto j = good;
    j["type"] = 7;
    auto e = resourceError(j);
    EXPECT_EQ(e.where, "changes[0].desired.type");
    EXPECT_EQ(e.message, "expected a string, got number");
  }
  {
    auto j = good;
    j["depends_on"] = {"aws_lb.web[us-east-1]", 3};
    auto e = resourceError(j);
    EXPECT_EQ(e.where, "changes[0].desired.depends_on[1]");
    EXPECT_EQ(e.message, "expected a string");
  }
  {
    auto j = good;
    j.erase("force_new");
    EXPECT_EQ(resourceError(j).where, "changes[0].desired.force_new");
  }
  {
    auto j = good;
    j["tags"] = "ramp:project=shop";
    auto e = resourceError(j);
    EXPECT_EQ(e.where, "changes[0].desired.tags");
    EXPECT_EQ(e.message, "expected an object");
  }
  {
    // Two problems: the first field in reading order is named.
    auto j = good;
    j["type"] = 1;
    j["attributes"] = 2;
    EXPECT_EQ(resourceError(j).where, "changes[0].desired.type");
  }
  {
    auto j = resourceStateJson(listenerState());
    j.erase("attributes");
    auto s = resourceStateFromJson(j, "infra state shop/prod/us-east-1: x");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().where, "infra state shop/prod/us-east-1: x.attributes");
  }
}

TEST(FieldReader, KeepsTheFirstProblemAndReadsNothingAfterIt) {
  json j = {{"n", "not a number"}, {"b", true}, {"s", "text"}};
  FieldReader rd(j, "");
  EXPECT_EQ(rd.str("s"), "text");
  EXPECT_TRUE(rd.ok());
  EXPECT_EQ(rd.integer("n"), 0);
  EXPECT_FALSE(rd.ok());
  EXPECT_EQ(rd.error().where, "n");  // no leading dot at the top level
  EXPECT_EQ(rd.error().message, "expected a whole number");
  EXPECT_FALSE(rd.boolean("b"));     // after a failure: nothing is read
  EXPECT_EQ(rd.str("s"), "");
  rd.fail("later", "s");
  EXPECT_EQ(rd.error().where, "n");
}

// The stored state and the journal go through the same reader: a damaged
// stored resource is refused on load naming the state and the field.
class StoredState : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* home = std::getenv("RAMP_HOME");
    dir_ = std::filesystem::path(home && *home ? home : "/tmp") / ("resource-json-" + randomHex(6));
    std::filesystem::create_directories(dir_);
    auto s = store::openStore("sqlite://" + (dir_ / "store.db").string());
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
    infra_ = std::make_unique<StoreInfraStore>(*store_, clock_);
  }
  void TearDown() override {
    infra_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<StoreInfraStore> infra_;
};

TEST_F(StoredState, SavedStateLoadsBackAndDamagedStateIsRefusedNamingTheField) {
  InfraState s;
  s.project = "shop";
  s.env = "prod";
  s.region = "us-east-1";
  s.resources[listenerState().address] = listenerState();
  ASSERT_TRUE(infra_->save(s, 0));
  auto back = infra_->load("shop", "prod", "us-east-1");
  ASSERT_TRUE(back) << back.error().describe();
  ASSERT_EQ(back->resources.size(), 1u);
  EXPECT_EQ(back->resources.at(listenerState().address).id, listenerState().id);
  EXPECT_EQ(back->resources.at(listenerState().address).attributes, listenerState().attributes);

  auto raw = store_->getInfraState("shop", "prod", "us-east-1");
  ASSERT_TRUE(raw && *raw);
  store::InfraStateRecord r = **raw;
  r.resources[listenerState().address]["attributes"] = "port=80";
  ASSERT_TRUE(store_->putInfraState(r, r.serial));
  auto bad = infra_->load("shop", "prod", "us-east-1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "infra state shop/prod/us-east-1: " + listenerState().address + ".attributes");
}
