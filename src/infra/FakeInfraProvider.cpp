#include "infra/FakeInfraProvider.h"

#include <algorithm>
#include <cmath>

namespace ramp::infra {

using nlohmann::json;

FakeInfraProvider::FakeInfraProvider(ManualClock& clock, Options options)
    : FakeInfraProvider(clock, [&clock](std::chrono::nanoseconds d) { clock.advance(d); }, std::move(options)) {}

FakeInfraProvider::FakeInfraProvider(Clock& clock, Wait wait, Options options)
    : clock_(clock), wait_(std::move(wait)), options_(std::move(options)) {
  if (options_.families.empty()) options_.families = defaultFamilies();
}

std::map<std::string, ApiFamily> FakeInfraProvider::defaultFamilies() {
  ApiFamily elb{"elbv2", 40, 10, 20};
  return {{"aws_lb", elb},
          {"aws_lb_listener", elb},
          {"aws_lb_listener_rule", elb},
          {"aws_cloudwatch_alarm", ApiFamily{"cloudwatch", 10, 9, 100}},
          {"aws_sns_topic", ApiFamily{"sns", 30, 30, 100}},
          {"aws_iam_instance_profile", ApiFamily{"iam", 20, 20, 100}},
          {"aws_route53_record", ApiFamily{"route53", 5, 5, 300}},
          {"local_listener", ApiFamily{"local", 1000, 1000, 1000}}};
}

ApiFamily FakeInfraProvider::familyOf(const std::string& type) const {
  auto it = options_.families.find(type);
  return it == options_.families.end() ? ApiFamily{"other", 10, 10, 1} : it->second;
}

ApiFamily FakeInfraProvider::writeFamily(const ApiFamily& read) const {
  ApiFamily w = read;
  w.name = read.name + "-write";
  if (read.name == "elbv2") {
    w.burst = 20;
    w.refillPerSec = 3;
  }
  w.maxBatch = 1;
  return w;
}

Status FakeInfraProvider::call(std::unique_lock<std::mutex>& lock, const std::string& family,
                               const std::string& region, const ApiFamily& limits, const std::string& type) {
  if (auto f = failNext_.find(type); f != failNext_.end()) {
    Error e = f->second;
    failNext_.erase(f);
    ++total_;
    ++calls_[family];
    return std::unexpected(e);
  }
  Bucket& b = buckets_[{family, region}];
  MonoTime now = clock_.monotonic();
  if (!b.primed) {
    b.tokens = limits.burst;
    b.at = now;
    b.primed = true;
  }
  double elapsed = std::chrono::duration<double>(now - b.at).count();
  if (elapsed > 0) b.tokens = std::min(limits.burst, b.tokens + elapsed * limits.refillPerSec);
  b.at = std::max(b.at, now);
  std::chrono::nanoseconds need{0};
  if (b.tokens < 1.0) {
    if (options_.onEmpty == OnEmptyBucket::kThrottle || limits.refillPerSec <= 0) {
      ++throttled_;
      ++total_;
      ++calls_[family];
      return unavailable("ThrottlingException: Rate exceeded (" + family + " in " + region + ")", type);
    }
    // Reserve the next token: the bucket goes into debt, the caller waits
    // until it is paid back (so concurrent callers queue up behind it).
    need = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>((1.0 - b.tokens) / limits.refillPerSec));
  }
  b.tokens -= 1.0;
  ++total_;
  ++calls_[family];
  auto lat = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.latency);
  // The call is in flight while its time is spent, without the lock: calls
  // of other regions (or families) overlap when `wait_` really waits.
  size_t& inFlight = inFlight_[region];
  if (inFlight++ == 0) {
    size_t regions = 0;
    for (const auto& [r, n] : inFlight_) regions += n > 0 ? 1 : 0;
    maxRegionsInFlight_ = std::max(maxRegionsInFlight_, regions);
  }
  lock.unlock();
  if (need.count() > 0) wait_(need);
  if (lat.count() > 0) wait_(lat);
  lock.lock();
  --inFlight_[region];
  spent_ += need + lat;
  spentByRegion_[region] += need + lat;
  return ok();
}

Result<std::map<std::string, ResourceState>> FakeInfraProvider::readMany(const std::string& type,
                                                                         const std::string& region,
                                                                         const std::vector<Resource>& wanted) {
  std::unique_lock lock(mu_);
  ApiFamily fam = familyOf(type);
  std::map<std::string, ResourceState> out;
  size_t batch = std::max<size_t>(1, fam.maxBatch);
  for (size_t start = 0; start < wanted.size(); start += batch) {
    if (auto s = call(lock, fam.name, region, fam, type); !s) return std::unexpected(s.error());
    for (size_t i = start; i < std::min(wanted.size(), start + batch); ++i) {
      const Resource& w = wanted[i];
      if (w.type != type || w.region != region) {
        return invalid("readMany(" + type + ", " + region + ") was given " + w.address, w.address);
      }
      if (auto it = resources_.find(w.address); it != resources_.end()) out[w.address] = it->second.state;
    }
  }
  return out;
}

Result<ResourceState> FakeInfraProvider::create(const Resource& desired, const std::string& clientToken,
                                                const std::map<std::string, ResourceState>& dependencies) {
  std::unique_lock lock(mu_);
  ApiFamily fam = writeFamily(familyOf(desired.type));
  if (auto s = call(lock, fam.name, desired.region, fam, desired.type); !s) return std::unexpected(s.error());
  if (auto t = byToken_.find(clientToken); !clientToken.empty() && t != byToken_.end()) {
    if (auto it = resources_.find(t->second); it != resources_.end()) return it->second.state;
  }
  for (const auto& dep : desired.dependsOn) {
    auto d = dependencies.find(dep);
    if (d == dependencies.end()) return failedPrecondition("dependency " + dep + " was not given", desired.address);
    if (!resources_.count(dep)) return failedPrecondition("dependency " + dep + " does not exist", desired.address);
  }
  if (auto it = resources_.find(desired.address); it != resources_.end()) {
    return conflict("a resource named " + desired.name + " already exists (" + it->second.state.id + ")",
                    desired.address);
  }
  ResourceState st;
  st.address = desired.address;
  st.type = desired.type;
  st.name = desired.name;
  st.region = desired.region;
  st.id = "arn:fake:" + desired.type + ":" + (desired.region.empty() ? "global" : desired.region) + ":" +
          options_.account + ":" + desired.name + "/" + std::to_string(nextId_++);
  st.attributes = desired.attributes;
  resources_[desired.address] = Entry{st, desired.tags};
  if (!clientToken.empty()) byToken_[clientToken] = desired.address;
  return st;
}

Result<ResourceState> FakeInfraProvider::update(const Resource& desired, const ResourceState& current,
                                                const std::map<std::string, ResourceState>& dependencies) {
  std::unique_lock lock(mu_);
  ApiFamily fam = writeFamily(familyOf(desired.type));
  if (auto s = call(lock, fam.name, desired.region, fam, desired.type); !s) return std::unexpected(s.error());
  auto it = resources_.find(current.address);
  if (it == resources_.end()) return notFound("does not exist", current.address);
  for (const auto& dep : desired.dependsOn) {
    if (!dependencies.count(dep) || !resources_.count(dep)) {
      return failedPrecondition("dependency " + dep + " does not exist", desired.address);
    }
  }
  for (const auto& key : desired.forceNew) {
    json before = it->second.state.attributes.value(key, json(nullptr));
    json after = desired.attributes.value(key, json(nullptr));
    if (before != after) return invalid("attribute '" + key + "' cannot be changed in place (replace)", desired.address);
  }
  it->second.state.attributes = desired.attributes;
  it->second.state.name = desired.name;
  it->second.tags = desired.tags;
  return it->second.state;
}

Status FakeInfraProvider::remove(const ResourceState& current) {
  std::unique_lock lock(mu_);
  ApiFamily fam = writeFamily(familyOf(current.type));
  if (auto s = call(lock, fam.name, current.region, fam, current.type); !s) return s;
  resources_.erase(current.address);
  return ok();
}

Result<std::vector<ResourceState>> FakeInfraProvider::listTagged(const std::string& project, const std::string& env,
                                                                 const std::string& region) {
  std::unique_lock lock(mu_);
  ApiFamily tagging{"tagging", 10, 10, 100};  // resourcegroupstaggingapi GetResources, 100 per page
  std::vector<ResourceState> out;
  // Region "" or "global": the global resources only (as on AWS).
  const std::string wantedRegion = region == "global" ? "" : region;
  for (const auto& [addr, e] : resources_) {
    if (e.state.region != wantedRegion) continue;
    if (e.tags.value("ramp:project", "") != project || e.tags.value("ramp:env", "") != env) continue;
    // Deployments' resources (fleets) are never listed.
    if (e.tags.contains("ramp:fleet") || e.tags.value("ramp:managed-by", "infra") != "infra") continue;
    out.push_back(e.state);
  }
  size_t pages = std::max<size_t>(1, (out.size() + tagging.maxBatch - 1) / tagging.maxBatch);
  for (size_t i = 0; i < pages; ++i) {
    if (auto s = call(lock, tagging.name, region, tagging, "tagging"); !s) return std::unexpected(s.error());
  }
  return out;
}

uint64_t FakeInfraProvider::callsMade() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::map<std::string, uint64_t> FakeInfraProvider::callsByFamily() const {
  std::lock_guard lock(mu_);
  return calls_;
}

uint64_t FakeInfraProvider::throttled() const {
  std::lock_guard lock(mu_);
  return throttled_;
}

std::chrono::nanoseconds FakeInfraProvider::timeSpent() const {
  std::lock_guard lock(mu_);
  return spent_;
}

std::map<std::string, std::chrono::nanoseconds> FakeInfraProvider::timeSpentByRegion() const {
  std::lock_guard lock(mu_);
  return spentByRegion_;
}

size_t FakeInfraProvider::maxRegionsInFlight() const {
  std::lock_guard lock(mu_);
  return maxRegionsInFlight_;
}

size_t FakeInfraProvider::size() const {
  std::lock_guard lock(mu_);
  return resources_.size();
}

std::optional<ResourceState> FakeInfraProvider::find(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = resources_.find(address);
  if (it == resources_.end()) return std::nullopt;
  return it->second.state;
}

void FakeInfraProvider::deleteOutOfBand(const std::string& address) {
  std::lock_guard lock(mu_);
  resources_.erase(address);
}

void FakeInfraProvider::setAttributeOutOfBand(const std::string& address, const std::string& attribute,
                                              const json& value) {
  std::lock_guard lock(mu_);
  if (auto it = resources_.find(address); it != resources_.end()) it->second.state.attributes[attribute] = value;
}

void FakeInfraProvider::addOutOfBand(const ResourceState& state, const json& tags) {
  std::lock_guard lock(mu_);
  resources_[state.address] = Entry{state, tags};
}

void FakeInfraProvider::failNext(const std::string& type, Error error) {
  std::lock_guard lock(mu_);
  failNext_[type] = std::move(error);
}

}  // namespace ramp::infra
