// The Refresher reads regions in parallel (issue #9): at most N regions at
// once (observed by FakeInfraProvider: regions with a call in flight), the
// calls of one region never overlap (its rate budget), the call count is the
// batched minimum, and the result — states or error — is the serial one.
// No test here is timed on the wall clock: latency is spent on a ManualClock
// and a rendezvous holds the first calls until N of them are in flight
// (bounded: it gives up after 10 s, and the test then fails).
#include <condition_variable>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "infra/FakeInfraProvider.h"
#include "infra/Refresher.h"

namespace ramp::infra {
namespace {

using nlohmann::json;

const std::vector<std::string> kRegions{"ap-southeast-2", "eu-central-1", "eu-west-1",
                                        "us-east-1",      "us-east-2",    "us-west-2"};

Resource make(const std::string& type, const std::string& name, const std::string& region) {
  Resource r;
  r.type = type;
  r.name = name;
  r.region = region;
  r.address = type + "." + name + (region.empty() ? "" : "[" + region + "]");
  r.attributes = {{"name", name}};
  r.tags = {{"ramp:project", "shop"}, {"ramp:env", "prod"}, {"ramp:region", region.empty() ? "global" : region}};
  return r;
}

// Per region: 45 load balancers (3 DescribeLoadBalancers), 130 alarms (2
// DescribeAlarms), a topic; globally an instance profile.
std::vector<Resource> world() {
  std::vector<Resource> out;
  for (const auto& region : kRegions) {
    for (int i = 0; i < 45; ++i) out.push_back(make("aws_lb", "lb" + std::to_string(i), region));
    for (int i = 0; i < 130; ++i) out.push_back(make("aws_cloudwatch_alarm", "a" + std::to_string(i), region));
    out.push_back(make("aws_sns_topic", "alerts", region));
  }
  out.push_back(make("aws_iam_instance_profile", "main", ""));
  return out;
}

// What exists: everything but every third resource (so absence is read too).
void populate(FakeInfraProvider& fake, const std::vector<Resource>& desired) {
  for (size_t i = 0; i < desired.size(); ++i) {
    if (i % 3 == 2) continue;
    const auto& d = desired[i];
    fake.addOutOfBand(ResourceState{d, "id:" + d.address, d.attributes}, d.tags);
  }
}

// Holds callers until `n` are inside at once, then lets everyone through.
// Bounded: after 10 s without reaching n it opens anyway (and remembers).
class Rendezvous {
 public:
  explicit Rendezvous(size_t n) : n_(n) {}
  void arrive() {
    std::unique_lock lock(mu_);
    ++inside_;
    if (!open_ && inside_ >= n_) {
      open_ = true;
      reached_ = true;
      cv_.notify_all();
    }
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return open_; })) open_ = true;
    --inside_;
  }
  bool reached() const {
    std::lock_guard lock(mu_);
    return reached_;
  }

 private:
  size_t n_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t inside_ = 0;
  bool open_ = false;
  bool reached_ = false;
};

// Delegates to a provider; counts overlapping readMany calls per region and
// fails the (type, region) groups it is told to.
class Observed final : public InfraProvider {
 public:
  explicit Observed(InfraProvider& inner) : inner_(inner) {}
  std::set<std::pair<std::string, std::string>> failing;
  size_t maxPerRegion() const {
    std::lock_guard lock(mu_);
    return maxPerRegion_;
  }
  std::vector<std::pair<std::string, std::string>> reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }

  Result<std::map<std::string, ResourceState>> readMany(const std::string& type, const std::string& region,
                                                        const std::vector<Resource>& wanted) override {
    {
      std::lock_guard lock(mu_);
      maxPerRegion_ = std::max(maxPerRegion_, ++inFlight_[region]);
      reads_.emplace_back(type, region);
    }
    auto r = failing.contains({type, region})
                 ? Result<std::map<std::string, ResourceState>>(unavailable("connection reset", type))
                 : inner_.readMany(type, region, wanted);
    std::lock_guard lock(mu_);
    --inFlight_[region];
    return r;
  }
  Result<ResourceState> create(const Resource& d, const std::string& t,
                               const std::map<std::string, ResourceState>& deps) override {
    return inner_.create(d, t, deps);
  }
  Result<ResourceState> update(const Resource& d, const ResourceState& c,
                               const std::map<std::string, ResourceState>& deps) override {
    return inner_.update(d, c, deps);
  }
  Status remove(const ResourceState& c) override { return inner_.remove(c); }
  Result<std::vector<ResourceState>> listTagged(const std::string& p, const std::string& e,
                                                const std::string& r) override {
    return inner_.listTagged(p, e, r);
  }
  uint64_t callsMade() const override { return inner_.callsMade(); }

 private:
  InfraProvider& inner_;
  mutable std::mutex mu_;
  std::map<std::string, size_t> inFlight_;
  size_t maxPerRegion_ = 0;
  std::vector<std::pair<std::string, std::string>> reads_;
};

// Everything a refresh answered, as text (ResourceState has no ==).
std::string text(const std::map<std::string, ResourceState>& m) {
  json out = json::object();
  for (const auto& [addr, st] : m) {
    out[addr] = {{"address", st.address}, {"type", st.type},   {"name", st.name},
                 {"region", st.region},   {"id", st.id},       {"attributes", st.attributes}};
  }
  return out.dump();
}

struct RefreshRun {
  Result<std::map<std::string, ResourceState>> result;
  uint64_t calls = 0;
  std::map<std::string, uint64_t> byFamily;
  size_t maxRegions = 0;
  size_t maxPerRegion = 0;
  bool reached = false;
};

RefreshRun refreshWith(size_t parallel, const std::set<std::pair<std::string, std::string>>& failing = {}) {
  auto desired = world();
  ManualClock clock;
  // Rendezvous of `parallel` callers (7 regions with the global one).
  Rendezvous gate(parallel);
  FakeInfraProvider fake(
      clock,
      [&](std::chrono::nanoseconds d) {
        if (parallel > 1) gate.arrive();
        clock.advance(d);
      },
      FakeInfraProvider::Options{});
  populate(fake, desired);
  Observed observed(fake);
  observed.failing = failing;
  RefreshRun run{refresh(observed, desired, {}, RefreshOptions{parallel})};
  run.calls = fake.callsMade();
  run.byFamily = fake.callsByFamily();
  run.maxRegions = fake.maxRegionsInFlight();
  run.maxPerRegion = observed.maxPerRegion();
  run.reached = gate.reached();
  return run;
}

TEST(RefresherParallel, ReadsAtMostNRegionsAtOnceWithTheSerialResultAndCallCount) {
  RefreshRun serial = refreshWith(1);
  ASSERT_TRUE(serial.result) << serial.result.error().describe();
  EXPECT_EQ(serial.maxRegions, 1u);
  auto desired = world();
  EXPECT_EQ(serial.result->size(), desired.size() - desired.size() / 3);  // every third is absent
  ManualClock unused;
  FakeInfraProvider sizes(unused, FakeInfraProvider::Options{});
  uint64_t minimum = minimumCalls(desired, {}, [&](const std::string& t) { return sizes.familyOf(t).maxBatch; });
  EXPECT_EQ(minimum, 6u * (3 + 2 + 1) + 1);
  EXPECT_EQ(serial.calls, minimum);

  for (size_t n : {2u, 4u}) {
    SCOPED_TRACE("maxParallelRegions " + std::to_string(n));
    RefreshRun par = refreshWith(n);
    ASSERT_TRUE(par.result) << par.result.error().describe();
    EXPECT_TRUE(par.reached) << n << " regions were never in flight at once";
    EXPECT_EQ(par.maxRegions, n);       // N at once, never more
    EXPECT_EQ(par.maxPerRegion, 1u);    // a region's calls one after another (its rate budget)
    EXPECT_EQ(par.calls, minimum);      // still the batched minimum
    EXPECT_EQ(par.byFamily, serial.byFamily);
    EXPECT_EQ(text(*par.result), text(*serial.result)) << "identical to the serial refresh";
  }
}

TEST(RefresherParallel, MoreWorkersThanRegionsUsesOnePerRegion) {
  RefreshRun par = refreshWith(7);  // 6 regions + global
  ASSERT_TRUE(par.result) << par.result.error().describe();
  EXPECT_TRUE(par.reached);
  EXPECT_EQ(par.maxRegions, 7u);
  EXPECT_EQ(par.maxPerRegion, 1u);
}

TEST(RefresherParallel, AFailureIsTheOneTheSerialRefreshReports) {
  // Two regions fail; serially the first in (type, region) order is reported.
  std::set<std::pair<std::string, std::string>> failing{{"aws_sns_topic", "eu-west-1"}, {"aws_lb", "us-west-2"}};
  RefreshRun serial = refreshWith(1, failing);
  ASSERT_FALSE(serial.result);
  EXPECT_NE(serial.result.error().message.find("refreshing aws_lb in us-west-2: connection reset"),
            std::string::npos)
      << serial.result.error().message;
  for (size_t n : {2u, 4u}) {
    RefreshRun par = refreshWith(n, failing);
    ASSERT_FALSE(par.result) << n;
    EXPECT_EQ(par.result.error().message, serial.result.error().message) << n;
    EXPECT_EQ(par.result.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(par.result.error().where, "aws_lb");
  }
  // A failing global group is named "global".
  RefreshRun global = refreshWith(4, {{"aws_iam_instance_profile", ""}});
  ASSERT_FALSE(global.result);
  EXPECT_NE(global.result.error().message.find("refreshing aws_iam_instance_profile in global"), std::string::npos)
      << global.result.error().message;
}

TEST(RefresherParallel, RecordedResourcesAndEmptyInputs) {
  ManualClock clock;
  FakeInfraProvider fake(clock, {});
  auto none = refresh(fake, {}, {}, RefreshOptions{4});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(fake.callsMade(), 0u);
  // Recorded but no longer desired (a removed region): read too, in parallel.
  auto desired = world();
  populate(fake, desired);
  std::map<std::string, InfraState> state;
  for (const auto& d : desired) {
    if (d.region != "eu-west-1") continue;
    InfraState& st = state[d.region];
    st.region = d.region;
    st.resources[d.address] = ResourceState{d, "id:" + d.address, d.attributes};
  }
  std::vector<Resource> others;
  for (const auto& d : desired) {
    if (d.region != "eu-west-1") others.push_back(d);
  }
  auto serial = refresh(fake, others, state, RefreshOptions{1});
  auto par = refresh(fake, others, state, RefreshOptions{4});
  ASSERT_TRUE(serial && par);
  EXPECT_EQ(text(*serial), text(*par));
  size_t present = 0, absent = 0;
  for (const auto& [addr, st] : state["eu-west-1"].resources) {
    EXPECT_EQ(par->contains(addr), fake.find(addr).has_value()) << addr;
    ++(par->contains(addr) ? present : absent);
  }
  EXPECT_GT(present, 0u);
  EXPECT_GT(absent, 0u);
}

}  // namespace
}  // namespace ramp::infra
