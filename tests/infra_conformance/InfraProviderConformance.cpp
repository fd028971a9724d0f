// The InfraProvider conformance cases (see InfraProviderConformance.h);
// each provider instantiates them in its own file.
#include "InfraProviderConformance.h"

#include <algorithm>
#include <set>

namespace ramp::infra::conformance {

using nlohmann::json;

namespace {
// Every string `from` anywhere in `j` becomes `to` (references are addresses).
void replaceString(json& j, const std::string& from, const std::string& to) {
  if (j.is_string() && j.get<std::string>() == from) j = to;
  if (j.is_structured()) {
    for (auto& x : j) replaceString(x, from, to);
  }
}
}  // namespace

void InfraProviderConformance::SetUp() {
  world_ = GetParam().make();
  ASSERT_NE(world_, nullptr) << GetParam().name << ": the world could not be set up";
  resources_ = world_->resources();
  ASSERT_FALSE(resources_.empty());
}

void InfraProviderConformance::TearDown() {
  if (!world_) return;
  // Best effort: leave nothing behind for the next case.
  for (auto it = resources_.rbegin(); it != resources_.rend(); ++it) {
    if (auto m = made_.find(it->address); m != made_.end()) (void)provider().remove(m->second);
  }
  world_.reset();
}

void InfraProviderConformance::createAll() {
  for (const auto& r : resources_) {
    auto s = provider().create(r, "token-" + r.address, made_);
    ASSERT_TRUE(s) << r.address << ": " << s.error().describe();
    made_[r.address] = *s;
  }
}

std::map<std::string, ResourceState> InfraProviderConformance::readAll(const std::vector<Resource>& wanted) {
  std::map<std::pair<std::string, std::string>, std::vector<Resource>> groups;
  for (const auto& r : wanted) groups[{r.type, r.region}].push_back(r);
  std::map<std::string, ResourceState> out;
  for (const auto& [key, rs] : groups) {
    auto got = provider().readMany(key.first, key.second, rs);
    EXPECT_TRUE(got) << "readMany(" << key.first << ", " << key.second << "): " << got.error().describe();
    if (!got) continue;
    for (auto& [addr, st] : *got) {
      EXPECT_EQ(addr, st.address);
      EXPECT_TRUE(std::any_of(rs.begin(), rs.end(), [&](const Resource& r) { return r.address == addr; }))
          << "readMany answered " << addr << ", which it was not asked for";
      out[addr] = st;
    }
  }
  return out;
}

std::set<std::string> InfraProviderConformance::regions() const {
  std::set<std::string> out{""};
  for (const auto& r : resources_) out.insert(r.region);
  return out;
}

std::set<std::string> InfraProviderConformance::listedAddresses(const std::string& env) {
  std::set<std::string> out;
  for (const auto& region : regions()) {
    auto listed = provider().listTagged(kProject, env, region);
    EXPECT_TRUE(listed) << "listTagged(" << region << "): " << listed.error().describe();
    if (!listed) continue;
    for (const auto& s : *listed) {
      EXPECT_FALSE(s.type.empty()) << s.address;
      EXPECT_FALSE(s.id.empty()) << s.address;
      EXPECT_EQ(s.region, region) << s.address << " listed in region '" << region << "'";
      EXPECT_TRUE(out.insert(s.address).second) << s.address << " listed twice";
    }
  }
  return out;
}

// Nothing exists yet: every read answers "absent", not an error; an empty
// read is fine.
TEST_P(InfraProviderConformance, ReadOfAbsentResourcesIsEmptyNotAnError) {
  EXPECT_TRUE(readAll(resources_).empty());
  for (const auto& r : resources_) {
    auto none = provider().readMany(r.type, r.region, {});
    ASSERT_TRUE(none) << r.type << ": " << none.error().describe();
    EXPECT_TRUE(none->empty());
  }
  EXPECT_TRUE(listedAddresses().empty());
}

TEST_P(InfraProviderConformance, CreateThenReadReturnsTheDesiredAttributes) {
  createAll();
  if (HasFatalFailure()) return;
  for (const auto& r : resources_) {
    const ResourceState& s = made_[r.address];
    EXPECT_EQ(s.address, r.address);
    EXPECT_EQ(s.type, r.type) << r.address;
    EXPECT_EQ(s.name, r.name) << r.address;
    EXPECT_EQ(s.region, r.region) << r.address;
    EXPECT_FALSE(s.id.empty()) << r.address;
    EXPECT_EQ(s.attributes, r.attributes) << r.address << " as created";
  }
  auto read = readAll(resources_);
  for (const auto& r : resources_) {
    ASSERT_TRUE(read.contains(r.address)) << r.address << " was created but reads as absent";
    const ResourceState& s = read[r.address];
    EXPECT_EQ(s.type, r.type) << r.address;
    EXPECT_EQ(s.region, r.region) << r.address;
    EXPECT_EQ(s.id, made_[r.address].id) << r.address;
    // What the planner compares: nothing to do right after an apply.
    EXPECT_EQ(s.attributes, r.attributes) << r.address << " as read";
  }
  // ramp's tags: listed under the project, environment and region.
  auto listed = listedAddresses();
  for (const auto& r : resources_) {
    if (world_->tagged(r.type)) EXPECT_TRUE(listed.contains(r.address)) << r.address << " not found by its tags";
  }
}

TEST_P(InfraProviderConformance, ReadManyAnswersExactlyTheExistingOnesInOneCallPerBatch) {
  createAll();
  if (HasFatalFailure()) return;
  std::vector<Resource> wanted = resources_;
  std::set<std::string> absent;
  std::set<std::pair<std::string, std::string>> groups;
  for (const auto& r : resources_) {
    if (!groups.insert({r.type, r.region}).second) continue;
    Resource a = world_->absent(r);
    EXPECT_FALSE(made_.contains(a.address));
    absent.insert(a.address);
    wanted.push_back(a);
  }
  auto read = readAll(wanted);
  for (const auto& r : resources_) EXPECT_TRUE(read.contains(r.address)) << r.address;
  for (const auto& a : absent) EXPECT_FALSE(read.contains(a)) << a << " does not exist";
  EXPECT_EQ(read.size(), resources_.size());
  // Only absent ones asked for: empty, not an error.
  for (const auto& r : wanted) {
    if (!absent.contains(r.address)) continue;
    auto got = provider().readMany(r.type, r.region, {r});
    ASSERT_TRUE(got) << r.address << ": " << got.error().describe();
    EXPECT_TRUE(got->empty()) << r.address;
  }
  // Batching: reading every resource of a group again costs no more calls
  // than reading one of them, for these small groups (a per-resource
  // Describe would cost one call per resource).
  for (const auto& [type, region] : groups) {
    std::vector<Resource> group;
    for (const auto& r : resources_) {
      if (r.type == type && r.region == region) group.push_back(r);
    }
    if (group.size() < 2) continue;
    uint64_t c0 = provider().callsMade();
    ASSERT_TRUE(provider().readMany(type, region, {group.front()}));
    uint64_t one = provider().callsMade() - c0;
    c0 = provider().callsMade();
    ASSERT_TRUE(provider().readMany(type, region, group));
    EXPECT_LE(provider().callsMade() - c0, one) << type << " in " << region << ": " << group.size()
                                                << " resources cost more calls than one";
  }
}

TEST_P(InfraProviderConformance, CreateAgainWithTheSameClientTokenMakesNoTwin) {
  createAll();
  if (HasFatalFailure()) return;
  auto before = listedAddresses();
  std::map<std::string, ResourceState> first = made_;
  for (const auto& r : resources_) {
    auto again = provider().create(r, "token-" + r.address, first);
    ASSERT_TRUE(again) << r.address << ": " << again.error().describe();
    EXPECT_EQ(again->id, first[r.address].id) << r.address;
    EXPECT_EQ(again->attributes, r.attributes) << r.address;
  }
  EXPECT_EQ(listedAddresses(), before);
  auto read = readAll(resources_);
  EXPECT_EQ(read.size(), resources_.size());
  for (const auto& r : resources_) EXPECT_EQ(read[r.address].id, first[r.address].id) << r.address;
}

TEST_P(InfraProviderConformance, UpdateChangesInPlaceOnlyWhatItSays) {
  createAll();
  if (HasFatalFailure()) return;
  size_t updated = 0;
  for (const auto& r : resources_) {
    auto c = world_->changed(r);
    if (!c) continue;
    ASSERT_NE(c->attributes, r.attributes) << r.address << ": the world's change changes nothing";
    auto s = provider().update(*c, made_[r.address], made_);
    ASSERT_TRUE(s) << r.address << ": " << s.error().describe();
    EXPECT_EQ(s->id, made_[r.address].id) << r.address << " was replaced, not updated in place";
    EXPECT_EQ(s->attributes, c->attributes) << r.address << " as updated";
    ++updated;
    // Read everything: the updated one has its new attributes, every other
    // one is as it was.
    auto read = readAll(resources_);
    for (const auto& other : resources_) {
      ASSERT_TRUE(read.contains(other.address)) << other.address << " vanished after updating " << r.address;
      const json& want = other.address == r.address ? c->attributes : made_[other.address].attributes;
      EXPECT_EQ(read[other.address].attributes, want) << other.address << " after updating " << r.address;
      EXPECT_EQ(read[other.address].id, made_[other.address].id) << other.address;
    }
    made_[r.address] = *s;
    // And back again (a second update in place converges too).
    auto back = provider().update(r, made_[r.address], made_);
    ASSERT_TRUE(back) << r.address << ": " << back.error().describe();
    EXPECT_EQ(back->attributes, r.attributes);
    made_[r.address] = *back;
  }
  if (world_->updatesInPlace()) EXPECT_GT(updated, 0u) << "the world changes no resource in place";
}

TEST_P(InfraProviderConformance, RemoveThenReadIsAbsentAndRemovingAgainSucceeds) {
  createAll();
  if (HasFatalFailure()) return;
  for (auto it = resources_.rbegin(); it != resources_.rend(); ++it) {  // dependants first
    const Resource& r = *it;
    auto gone = provider().remove(made_[r.address]);
    ASSERT_TRUE(gone) << r.address << ": " << gone.error().describe();
    auto again = provider().remove(made_[r.address]);
    EXPECT_TRUE(again) << r.address << " removed twice: " << (again ? "" : again.error().describe());
    auto read = provider().readMany(r.type, r.region, {r});
    ASSERT_TRUE(read) << r.address << ": " << read.error().describe();
    EXPECT_FALSE(read->contains(r.address)) << r.address << " still reads after remove";
  }
  made_.clear();
  EXPECT_TRUE(readAll(resources_).empty());
  EXPECT_TRUE(listedAddresses().empty()) << "leftovers after removing everything";
}

TEST_P(InfraProviderConformance, ListTaggedFindsExactlyWhatWasCreated) {
  EXPECT_TRUE(listedAddresses().empty());
  createAll();
  if (HasFatalFailure()) return;
  std::set<std::string> expected;
  for (const auto& r : resources_) {
    if (world_->tagged(r.type)) expected.insert(r.address);
  }
  EXPECT_EQ(listedAddresses(), expected);
  // Per region, exactly that region's.
  for (const auto& region : regions()) {
    auto listed = provider().listTagged(kProject, kEnv, region);
    ASSERT_TRUE(listed) << listed.error().describe();
    std::set<std::string> got, want;
    for (const auto& s : *listed) got.insert(s.address);
    for (const auto& r : resources_) {
      if (r.region == region && world_->tagged(r.type)) want.insert(r.address);
    }
    EXPECT_EQ(got, want) << "region '" << region << "'";
  }
  // Another environment of the project has none of them.
  EXPECT_TRUE(listedAddresses("uat").empty());
}

TEST_P(InfraProviderConformance, ErrorsAreValuesNamingTheResource) {
  createAll();
  if (HasFatalFailure()) return;
  auto bad = world_->refused();
  ASSERT_FALSE(bad.empty());
  for (const auto& r : bad) {
    const bool existed = made_.contains(r.address);
    auto s = provider().create(r, "token-bad-" + r.address, made_);
    ASSERT_FALSE(s) << r.address << " was accepted";
    const Error& e = s.error();
    EXPECT_TRUE(e.where.starts_with(r.address) || e.message.find(r.address) != std::string::npos)
        << "the error does not name " << r.address << ": " << e.describe();
    EXPECT_FALSE(e.message.empty());
    // Nothing was made.
    if (existed) continue;
    auto read = provider().readMany(r.type, r.region, {r});
    if (!read) {  // refusing to read it is fine too, naming it
      EXPECT_TRUE(read.error().where.starts_with(r.address) ||
                  read.error().message.find(r.address) != std::string::npos)
          << read.error().describe();
      continue;
    }
    EXPECT_FALSE(read->contains(r.address));
  }
  // A resource whose dependencies do not exist is refused naming it.
  for (const auto& r : resources_) {
    if (r.dependsOn.empty()) continue;
    Resource orphan = world_->absent(r);
    orphan.dependsOn.clear();
    for (const auto& d : r.dependsOn) {
      auto dep = std::find_if(resources_.begin(), resources_.end(), [&](const Resource& x) { return x.address == d; });
      ASSERT_NE(dep, resources_.end());
      Resource missing = world_->absent(*dep);
      orphan.dependsOn.push_back(missing.address);
      replaceString(orphan.attributes, d, missing.address);
    }
    auto s = provider().create(orphan, "token-orphan-" + orphan.address, made_);
    ASSERT_FALSE(s) << orphan.address << " was created with missing dependencies";
    EXPECT_TRUE(s.error().where.starts_with(orphan.address) ||
                s.error().message.find(orphan.address) != std::string::npos)
        << s.error().describe();
  }
}

}  // namespace ramp::infra::conformance
