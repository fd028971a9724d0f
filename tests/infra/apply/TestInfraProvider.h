// TestInfraProvider.h — an in-memory InfraProvider for the apply and drift
// tests: resources keyed by address, create idempotent by client token,
// failures injectable per address, counts of calls and of peak concurrency
// per API family.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "infra/Applier.h"
#include "infra/InfraProvider.h"

namespace ramp::infra::test {

class TestInfraProvider final : public InfraProvider {
 public:
  Result<std::map<std::string, ResourceState>> readMany(const std::string& type, const std::string& region,
                                                        const std::vector<Resource>& wanted) override {
    std::lock_guard lock(mu_);
    ++calls_;
    ++readCalls;
    std::map<std::string, ResourceState> out;
    for (const auto& w : wanted) {
      auto it = real.find(w.address);
      if (it != real.end() && it->second.type == type && it->second.region == region) out.emplace(w.address, it->second);
    }
    return out;
  }

  Result<ResourceState> create(const Resource& d, const std::string& token,
                               const std::map<std::string, ResourceState>& deps) override {
    Inflight in(*this, apiFamilyOf(d.type));
    std::lock_guard lock(mu_);
    ++calls_;
    ++createCalls;
    if (auto f = failCreate.find(d.address); f != failCreate.end()) {
      return fail(ErrorCode::kUnavailable, f->second, d.address);
    }
    for (const auto& dep : d.dependsOn) {
      if (!deps.contains(dep)) return invalid("dependency " + dep + " not passed", d.address);
    }
    if (auto t = byToken.find(token); t != byToken.end() && real.contains(t->second)) return real.at(t->second);
    ResourceState s{d, "id-" + std::to_string(++nextId), d.attributes};
    if (!d.dependsOn.empty()) s.attributes["parent_id"] = deps.at(d.dependsOn.front()).id;
    real[d.address] = s;
    tags[d.address] = d.tags;
    byToken[token] = d.address;
    createdOrder.push_back(d.address);
    return s;
  }

  Result<ResourceState> update(const Resource& d, const ResourceState& cur,
                               const std::map<std::string, ResourceState>&) override {
    Inflight in(*this, apiFamilyOf(d.type));
    std::lock_guard lock(mu_);
    ++calls_;
    auto it = real.find(d.address);
    if (it == real.end()) return notFound("gone", d.address);
    it->second.attributes = d.attributes;
    it->second.id = cur.id;
    return it->second;
  }

  Status remove(const ResourceState& cur) override {
    Inflight in(*this, apiFamilyOf(cur.type));
    std::lock_guard lock(mu_);
    ++calls_;
    ++removeCalls;
    real.erase(cur.address);
    removedOrder.push_back(cur.address);
    return ok();
  }

  Result<std::vector<ResourceState>> listTagged(const std::string& project, const std::string& env,
                                                const std::string& region) override {
    std::lock_guard lock(mu_);
    ++calls_;
    std::vector<ResourceState> out;
    for (const auto& [address, s] : real) {
      if (s.region != region) continue;
      const auto& t = tags[address];
      if (t.value("ramp:project", "") != project || t.value("ramp:env", "") != env) continue;
      ResourceState x = s;
      x.attributes["tags"] = t;
      out.push_back(x);
    }
    return out;
  }

  uint64_t callsMade() const override {
    std::lock_guard lock(mu_);
    return calls_;
  }

  int peak(const std::string& family) {
    std::lock_guard lock(mu_);
    return peak_[family];
  }

  mutable std::mutex mu_;
  std::map<std::string, ResourceState> real;          // by address
  std::map<std::string, nlohmann::json> tags;         // by address
  std::map<std::string, std::string> byToken;         // client token -> address
  std::map<std::string, std::string> failCreate;      // address -> message
  std::vector<std::string> createdOrder, removedOrder;
  int createCalls = 0, removeCalls = 0, readCalls = 0;
  int callDelayMs = 0;  // held inside a call, to observe concurrency

 private:
  struct Inflight {
    Inflight(TestInfraProvider& p, std::string f) : p_(p), f_(std::move(f)) {
      int delay;
      {
        std::lock_guard lock(p_.mu_);
        int n = ++p_.inflight_[f_];
        p_.peak_[f_] = std::max(p_.peak_[f_], n);
        delay = p_.callDelayMs;
      }
      if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    ~Inflight() {
      std::lock_guard lock(p_.mu_);
      --p_.inflight_[f_];
    }
    TestInfraProvider& p_;
    std::string f_;
  };
  uint64_t calls_ = 0;
  int nextId = 0;
  std::map<std::string, int> inflight_, peak_;
};

}  // namespace ramp::infra::test
