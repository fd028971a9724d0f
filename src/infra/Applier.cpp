#include "infra/Applier.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/Sha256.h"
#include "infra/ApplyFailpoint.h"
#include "infra/ApplyLock.h"
#include "infra/PlanJson.h"
#include "infra/ResourceJson.h"

namespace ramp::infra {

std::string clientTokenFor(const Resource& desired) {
  return "ramp-" + sha256Hex(desired.address + "\n" + desired.attributes.dump()).substr(0, 32);
}

std::string apiFamilyOf(const std::string& type) {
  if (type.rfind("aws_lb", 0) == 0) return "elbv2";
  if (type.rfind("aws_cloudwatch", 0) == 0) return "cloudwatch";
  if (type.rfind("aws_sns", 0) == 0) return "sns";
  if (type.rfind("aws_iam", 0) == 0) return "iam";
  if (type.rfind("aws_route53", 0) == 0) return "route53";
  if (type.rfind("local_", 0) == 0) return "router";
  return type;
}

std::string regionOfAddress(const std::string& address) {
  if (address.empty() || address.back() != ']') return "";
  auto open = address.rfind('[');
  if (open == std::string::npos) return "";
  return address.substr(open + 1, address.size() - open - 2);
}

nlohmann::json ApplyReport::toJson() const {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json c{{"address", o.address}, {"type", o.type},     {"region", o.region},
                     {"action", o.action},   {"status", o.status}, {"resumed", o.resumed}};
    if (!o.message.empty()) c["message"] = o.message;
    if (!o.clientToken.empty()) c["client_token"] = o.clientToken;
    changes.push_back(std::move(c));
  }
  return nlohmann::json{{"apply_id", applyId},
                        {"project", project},
                        {"env", env},
                        {"plan_digest", planDigest},
                        {"ok", ok()},
                        {"counts", {{"done", done}, {"failed", failed}, {"skipped", skipped}, {"resumed", resumed}}},
                        {"regions_failed", regionsFailed},
                        {"changes", std::move(changes)}};
}

namespace {

// One unit of work, a plan change or an open intent being resumed: the
// journal entry it is written as (action, address, region, client token;
// id > 0 when it resumes that open intent) and the resources it acts on.
struct Task : JournalEntry {
  std::string type;
  std::optional<Resource> desired;
  std::optional<ResourceState> current;
};

class Run {
 public:
  Run(const Plan& plan, InfraProvider& provider, InfraStore& store, const ApplyOptions& o, ApplyLock& lock)
      : plan_(plan), provider_(provider), store_(store), o_(o), lock_(lock) {}

  // Loads (once) and returns the state of a region. Caller holds stateMu_.
  Result<InfraState*> stateOf(const std::string& region) {
    auto it = states_.find(region);
    if (it != states_.end()) return &it->second;
    auto s = store_.load(plan_.project, plan_.env, region);
    if (!s) return std::unexpected(s.error());
    return &states_.emplace(region, std::move(*s)).first->second;
  }

  Result<InfraState*> lockedStateOf(const std::string& region) {
    std::lock_guard lock(stateMu_);
    return stateOf(region);
  }

  // Runs one task to completion; returns its outcome.
  ChangeOutcome execute(const Task& t) {
    ChangeOutcome out{t.address, t.type, t.region, t.action, "failed", "", t.clientToken, t.id > 0};
    if (lock_.lost()) {
      out.message = "the apply lease was lost (another apply took it over); no call made";
      return out;
    }
    // Dependencies from the state (created earlier in this apply or before).
    std::map<std::string, ResourceState> deps;
    if (t.desired && t.action != "delete" && t.action != "import") {
      std::lock_guard lock(stateMu_);
      for (const auto& d : t.desired->dependsOn) {
        auto s = stateOf(regionOfAddress(d));
        if (!s) {
          out.message = "reading the state of dependency " + d + ": " + s.error().describe();
          return out;
        }
        auto it = (*s)->resources.find(d);
        if (it == (*s)->resources.end()) {
          out.message = "dependency " + d + " does not exist (it failed or was not applied)";
          return out;
        }
        deps.emplace(d, it->second);
      }
    }
    int64_t journalId = t.id;
    nlohmann::json detail = nlohmann::json::object();
    if (t.desired) detail["desired"] = resourceJson(*t.desired);
    if (t.current) detail["current"] = resourceStateJson(*t.current);
    if (journalId == 0) {
      JournalEntry e = t;  // the task's own fields, then this apply's
      e.applyId = applyId_;
      e.project = plan_.project;
      e.env = plan_.env;
      e.status = "intent";
      e.detail = detail;
      auto id = store_.appendJournal(e);
      if (!id) {
        out.message = "journaling the intent failed, no call made: " + id.error().describe();
        return out;
      }
      journalId = *id;
    }
    applyFailpoint("after-intent");

    Result<std::optional<ResourceState>> result = std::optional<ResourceState>();
    if (t.action == "create") {
      auto r = provider_.create(*t.desired, t.clientToken, deps);
      result = r ? Result<std::optional<ResourceState>>(std::optional<ResourceState>(*r))
                 : Result<std::optional<ResourceState>>(std::unexpected(r.error()));
    } else if (t.action == "update") {
      auto r = provider_.update(*t.desired, *t.current, deps);
      result = r ? Result<std::optional<ResourceState>>(std::optional<ResourceState>(*r))
                 : Result<std::optional<ResourceState>>(std::unexpected(r.error()));
    } else if (t.action == "replace") {
      auto rm = provider_.remove(*t.current);
      if (!rm) {
        result = std::unexpected(Error{rm.error().code, "removing the old one: " + rm.error().message,
                                       rm.error().where});
      } else {
        auto r = provider_.create(*t.desired, t.clientToken, deps);
        result = r ? Result<std::optional<ResourceState>>(std::optional<ResourceState>(*r))
                   : Result<std::optional<ResourceState>>(std::unexpected(r.error()));
      }
    } else if (t.action == "delete") {
      auto rm = provider_.remove(*t.current);
      if (!rm) result = std::unexpected(rm.error());
    } else if (t.action == "import") {
      // Nothing is made or changed: read it once more and record what is there.
      auto r = provider_.readMany(t.type, t.region, {*t.desired});
      if (!r) {
        result = std::unexpected(r.error());
      } else if (auto it = r->find(t.address); it == r->end()) {
        result = std::unexpected(Error{ErrorCode::kFailedPrecondition,
                                       "no longer exists (it was there when the plan was made); plan again",
                                       t.address});
      } else {
        result = std::optional<ResourceState>(it->second);
      }
    } else {
      result = std::unexpected(Error{ErrorCode::kInvalid, "unknown action " + t.action, t.address});
    }
    applyFailpoint("after-call");

    if (!result) {
      out.message = result.error().describe();
      detail["error"] = out.message;
      (void)store_.finishJournal(journalId, "failed", detail);
      return out;
    }
    // Record the outcome in the state first (CAS), then close the intent.
    {
      std::lock_guard lock(stateMu_);
      auto s = stateOf(t.region);
      if (!s) {
        out.message = "the call succeeded but the state could not be read: " + s.error().describe() +
                      " (the journal intent stays open and is resumed by the next apply)";
        return out;
      }
      InfraState next = **s;
      if (*result) {
        ResourceState rs = **result;
        if (rs.address.empty()) rs.address = t.address;
        if (rs.type.empty()) rs.type = t.type;
        if (rs.region.empty()) rs.region = t.region;
        if (rs.name.empty() && t.desired) rs.name = t.desired->name;
        next.resources[t.address] = std::move(rs);
      } else {
        next.resources.erase(t.address);
      }
      if (auto st = store_.save(next, (*s)->serial); !st) {
        out.message = "the call succeeded but the state could not be saved: " + st.error().describe() +
                      " (the journal intent stays open and is resumed by the next apply)";
        return out;
      }
      **s = std::move(next);
    }
    if (*result) detail["result"] = resourceStateJson(**result);
    (void)store_.finishJournal(journalId, "done", detail);
    out.status = "done";
    return out;
  }

  // Runs the tasks of one wave: each starts when its prerequisites (indices
  // into `tasks`) are done, within the parallelism and per-family limits.
  std::vector<ChangeOutcome> runWave(const std::vector<Task>& tasks,
                                     const std::vector<std::vector<size_t>>& prereqs) {
    enum class St { kPending, kRunning, kDone, kFailed, kSkipped };
    std::vector<St> st(tasks.size(), St::kPending);
    std::vector<ChangeOutcome> outs(tasks.size());
    std::map<std::string, int> inflight;
    std::mutex mu;
    std::condition_variable cv;
    int running = 0;

    auto limitOf = [&](const std::string& family) {
      if (auto it = o_.familyLimits.find(family); it != o_.familyLimits.end()) return std::max(1, it->second);
      if (auto it = o_.familyLimits.find("*"); it != o_.familyLimits.end()) return std::max(1, it->second);
      return 2;
    };
    auto skip = [&](size_t i, std::string why) {
      st[i] = St::kSkipped;
      outs[i] = ChangeOutcome{tasks[i].address, tasks[i].type, tasks[i].region, tasks[i].action,
                              "skipped",        std::move(why), tasks[i].clientToken, false};
    };

    auto worker = [&] {
      std::unique_lock lock(mu);
      // Bounded: every pass either starts a task, resolves one, or waits for
      // a running one to finish; there are tasks.size() tasks.
      for (;;) {
        std::optional<size_t> pick;
        bool pending = false;
        bool skipped = false;
        for (size_t i = 0; i < tasks.size(); ++i) {
          if (st[i] != St::kPending) continue;
          bool ready = true;
          std::string blocked;
          for (size_t j : prereqs[i]) {
            if (st[j] == St::kFailed || st[j] == St::kSkipped) blocked = tasks[j].address;
            else if (st[j] != St::kDone) ready = false;
          }
          if (!blocked.empty()) {
            skip(i, "not attempted: " + blocked + " did not succeed");
            skipped = true;
            continue;
          }
          pending = true;
          if (!ready) continue;
          const std::string family = apiFamilyOf(tasks[i].type);
          if (inflight[family] >= limitOf(family)) continue;
          pick = i;
          break;
        }
        if (pick) {
          size_t i = *pick;
          st[i] = St::kRunning;
          ++running;
          const std::string family = apiFamilyOf(tasks[i].type);
          ++inflight[family];
          lock.unlock();
          ChangeOutcome o = execute(tasks[i]);
          lock.lock();
          --inflight[family];
          --running;
          st[i] = o.status == "done" ? St::kDone : St::kFailed;
          outs[i] = std::move(o);
          cv.notify_all();
          continue;
        }
        if (skipped) continue;  // a skip may unblock (skip) others: scan again
        if (!pending) break;
        if (running == 0) {
          // Pending tasks, none runnable, none running: a dependency cycle.
          for (size_t i = 0; i < tasks.size(); ++i) {
            if (st[i] == St::kPending) {
              st[i] = St::kFailed;
              outs[i] = ChangeOutcome{tasks[i].address, tasks[i].type, tasks[i].region, tasks[i].action,
                                      "failed", "dependency cycle: never became ready", tasks[i].clientToken,
                                      false};
            }
          }
          cv.notify_all();
          break;
        }
        cv.wait_for(lock, std::chrono::seconds(1));
      }
    };
    const int n = std::clamp(o_.parallelism, 1, 64);
    std::vector<std::thread> threads;
    for (int i = 0; i < n && i < static_cast<int>(tasks.size()); ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    return outs;
  }

  std::string applyId_;
  std::mutex stateMu_;
  std::map<std::string, InfraState> states_;

 private:
  const Plan& plan_;
  InfraProvider& provider_;
  InfraStore& store_;
  const ApplyOptions& o_;
  ApplyLock& lock_;
};

Task taskOf(const Change& c) {
  Task t;
  t.action = actionName(c.action);
  t.address = c.address;
  t.type = c.type;
  t.region = c.region;
  t.desired = c.desired;
  t.current = c.current;
  if (c.desired && c.action != Action::kDelete) {
    t.clientToken = clientTokenFor(*c.desired);
  } else if (c.current) {
    t.clientToken = "ramp-" + sha256Hex("delete\n" + c.address + "\n" + c.current->id).substr(0, 32);
  }
  return t;
}

Result<Task> taskOf(const JournalEntry& e) {
  Task t;
  static_cast<JournalEntry&>(t) = e;  // the entry as it is, resumed
  const std::string where = fmt::format("infra journal entry {} ({})", e.id, e.address);
  if (e.detail.contains("desired")) {
    auto r = resourceFromJson(e.detail["desired"], where + ": desired");
    if (!r) return std::unexpected(r.error());
    t.type = r->type;
    t.desired = std::move(*r);
  }
  if (e.detail.contains("current")) {
    auto s = resourceStateFromJson(e.detail["current"], where + ": current");
    if (!s) return std::unexpected(s.error());
    t.type = s->type;
    t.current = std::move(*s);
  }
  bool needsDesired = t.action == "create" || t.action == "update" || t.action == "replace" || t.action == "import";
  bool needsCurrent = t.action == "update" || t.action == "replace" || t.action == "delete";
  if ((needsDesired && !t.desired) || (needsCurrent && !t.current)) {
    return invalid("the entry lacks the resource it needs to be resumed", where);
  }
  return t;
}

}  // namespace

Result<ApplyReport> Applier::apply(const Plan& plan, InfraProvider& provider, InfraStore& store,
                                   const ApplyOptions& o) {
  if (plan.project.empty() || plan.env.empty()) return invalid("the plan names no project or env", "plan");
  ApplyReport report;
  report.applyId = o.applyId.empty() ? "apply-" + randomHex(8) : o.applyId;
  report.project = plan.project;
  report.env = plan.env;
  report.planDigest = plan.digest;

  ApplyLock lock(store, ApplyLock::leaseName(plan.project, plan.env),
                 o.leaseOwner.empty() ? report.applyId : o.leaseOwner, o.leaseTtlMs);
  if (auto st = lock.acquire(); !st) {
    return std::unexpected(Error{st.error().code,
                                 "another apply holds the lock of " + plan.project + "/" + plan.env + ": " +
                                     st.error().message,
                                 st.error().where});
  }
  Run run(plan, provider, store, o, lock);
  run.applyId_ = report.applyId;

  // 2. A saved plan must still match the state it was computed against.
  if (o.checkBasis) {
    for (const auto& [region, basis] : plan.basis) {
      auto s = run.lockedStateOf(region);
      if (!s) return std::unexpected(s.error());
      const std::string name = region.empty() ? "global" : region;
      if ((*s)->lineage != basis.lineage) {
        return failedPrecondition(
            fmt::format("stale plan: the state of region {} has lineage '{}' but the plan was made "
                        "against lineage '{}'; run plan again",
                        name, (*s)->lineage, basis.lineage),
            "region " + name);
      }
      if ((*s)->serial != basis.serial) {
        return failedPrecondition(fmt::format("stale plan: the state of region {} is at serial {} but "
                                              "the plan was made against serial {}; run plan again",
                                              name, (*s)->serial, basis.serial),
                                  "region " + name);
      }
    }
  }

  // 3. Removing a whole region, or leftovers no state knows (they may be
  //    someone's: ramp only knows they carry its tags), needs --allow-destroy.
  if (!o.allowDestroy) {
    size_t leftovers = 0;
    std::string first;
    for (const auto& c : plan.changes) {
      if (c.action != Action::kDelete || c.reason != kLeftoverReason) continue;
      if (leftovers++ == 0) first = c.address;
    }
    if (leftovers > 0) {
      return failedPrecondition(fmt::format("the plan deletes {} leftover(s) no state knows (first: {}); pass "
                                            "--allow-destroy to delete them",
                                            leftovers, first),
                                "--allow-destroy");
    }
    std::map<std::string, std::pair<size_t, bool>> perRegion;  // deletes, any non-delete
    for (const auto& c : plan.changes) {
      if (c.region.empty()) continue;
      auto& p = perRegion[c.region];
      if (c.action == Action::kDelete) ++p.first;
      else p.second = true;
    }
    for (const auto& [region, p] : perRegion) {
      if (p.first == 0 || p.second) continue;
      auto s = run.lockedStateOf(region);
      if (!s) return std::unexpected(s.error());
      if (!(*s)->resources.empty() && p.first >= (*s)->resources.size()) {
        return failedPrecondition(
            fmt::format("the plan deletes every resource of region {} ({} resources); pass "
                        "--allow-destroy to remove a whole region",
                        region, p.first),
            "--allow-destroy");
      }
    }
  }

  // 4. Resume the open intents of killed applies.
  bool stop = false;
  std::set<std::pair<std::string, std::string>> resumedOk;  // (address, client token)
  {
    auto open = store.openJournal(plan.project, plan.env);
    if (!open) return std::unexpected(open.error());
    for (const auto& e : *open) {
      auto t = taskOf(e);
      ChangeOutcome out;
      if (!t) {
        out = ChangeOutcome{e.address, "", e.region, e.action, "failed", t.error().describe(), e.clientToken, true};
        nlohmann::json detail = e.detail;
        detail["error"] = out.message;
        (void)store.finishJournal(e.id, "failed", detail);
      } else {
        out = run.execute(*t);
        out.resumed = true;
      }
      if (out.status == "done") resumedOk.insert({out.address, out.clientToken});
      else if (!o.continueOnRegionFailure) stop = true;
      report.outcomes.push_back(std::move(out));
    }
  }

  // 5. Waves: global deletes, regions, global creates/updates.
  std::vector<std::vector<size_t>> waves;  // indices into plan.changes
  std::vector<std::string> waveNames;
  {
    std::vector<size_t> globalDeletes, globalOthers;
    std::map<std::string, std::vector<size_t>> byRegion;
    for (size_t i = 0; i < plan.changes.size(); ++i) {
      const auto& c = plan.changes[i];
      if (c.region.empty()) (c.action == Action::kDelete ? globalDeletes : globalOthers).push_back(i);
      else byRegion[c.region].push_back(i);
    }
    std::vector<std::string> order = plan.regions;
    for (const auto& [r, _] : byRegion) {
      if (std::find(order.begin(), order.end(), r) == order.end()) order.push_back(r);
    }
    if (!globalDeletes.empty()) {
      waves.push_back(globalDeletes);
      waveNames.push_back("global");
    }
    const size_t per = static_cast<size_t>(std::max(1, o.parallelRegions));
    std::vector<std::string> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      std::vector<size_t> idx;
      for (const auto& r : batch) {
        auto it = byRegion.find(r);
        if (it != byRegion.end()) idx.insert(idx.end(), it->second.begin(), it->second.end());
      }
      std::sort(idx.begin(), idx.end());
      if (!idx.empty()) {
        waves.push_back(std::move(idx));
        std::string name;
        for (const auto& r : batch) name += (name.empty() ? "" : ",") + r;
        waveNames.push_back(name);
      }
      batch.clear();
    };
    for (const auto& r : order) {
      if (!byRegion.contains(r)) continue;
      batch.push_back(r);
      if (batch.size() == per) flush();
    }
    flush();
    if (!globalOthers.empty()) {
      waves.push_back(globalOthers);
      waveNames.push_back("global");
    }
  }

  for (size_t w = 0; w < waves.size(); ++w) {
    const auto& idx = waves[w];
    std::vector<Task> tasks;
    std::vector<size_t> planIdx;
    std::vector<ChangeOutcome> preset;  // for already-resumed changes
    for (size_t i : idx) {
      Task t = taskOf(plan.changes[i]);
      tasks.push_back(std::move(t));
      planIdx.push_back(i);
    }
    if (stop) {
      for (const auto& t : tasks) {
        report.outcomes.push_back(ChangeOutcome{t.address, t.type, t.region, t.action, "skipped",
                                                "not attempted: an earlier wave failed", t.clientToken, false});
      }
      continue;
    }
    // Prerequisites inside the wave.
    std::map<std::string, size_t> byAddress;
    for (size_t k = 0; k < tasks.size(); ++k) byAddress[tasks[k].address] = k;
    std::vector<std::vector<size_t>> prereqs(tasks.size());
    for (size_t k = 0; k < tasks.size(); ++k) {
      if (tasks[k].action == "delete") {
        for (size_t j = 0; j < k; ++j) prereqs[k].push_back(j);
      } else {
        if (tasks[k].desired) {
          for (const auto& d : tasks[k].desired->dependsOn) {
            if (auto it = byAddress.find(d); it != byAddress.end() && it->second != k) prereqs[k].push_back(it->second);
          }
        }
        for (size_t j = 0; j < k; ++j) {
          if (tasks[j].action == "delete") prereqs[k].push_back(j);
        }
      }
    }
    // Changes already carried out by resuming their intent are done.
    std::vector<Task> toRun;
    std::vector<std::optional<ChangeOutcome>> resolved(tasks.size());
    for (size_t k = 0; k < tasks.size(); ++k) {
      if (resumedOk.contains({tasks[k].address, tasks[k].clientToken})) {
        resolved[k] = ChangeOutcome{tasks[k].address, tasks[k].type, tasks[k].region, tasks[k].action, "done",
                                    "already carried out by resuming the journal", tasks[k].clientToken, false};
      }
    }
    if (std::any_of(resolved.begin(), resolved.end(), [](const auto& r) { return r.has_value(); })) {
      // Drop them from the wave (and from every prerequisite list).
      std::vector<size_t> keep;
      std::vector<int> newIndex(tasks.size(), -1);
      for (size_t k = 0; k < tasks.size(); ++k) {
        if (!resolved[k]) {
          newIndex[k] = static_cast<int>(keep.size());
          keep.push_back(k);
        }
      }
      std::vector<Task> kt;
      std::vector<std::vector<size_t>> kp;
      for (size_t k : keep) {
        kt.push_back(tasks[k]);
        std::vector<size_t> p;
        for (size_t j : prereqs[k]) if (newIndex[j] >= 0) p.push_back(static_cast<size_t>(newIndex[j]));
        kp.push_back(std::move(p));
      }
      auto outs = run.runWave(kt, kp);
      for (size_t n = 0; n < keep.size(); ++n) resolved[keep[n]] = std::move(outs[n]);
    } else {
      auto outs = run.runWave(tasks, prereqs);
      for (size_t k = 0; k < tasks.size(); ++k) resolved[k] = std::move(outs[k]);
    }
    std::set<std::string> failedRegions;
    for (auto& r : resolved) {
      if (r->status != "done") failedRegions.insert(r->region.empty() ? "global" : r->region);
      report.outcomes.push_back(std::move(*r));
    }
    for (const auto& r : failedRegions) report.regionsFailed.push_back(r);
    if (!failedRegions.empty() && !o.continueOnRegionFailure) stop = true;
  }

  for (const auto& out : report.outcomes) {
    if (out.resumed) ++report.resumed;
    if (out.status == "done") ++report.done;
    else if (out.status == "failed") ++report.failed;
    else ++report.skipped;
  }

  // 7. Audit.
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& out : report.outcomes) {
    if (changes.size() >= 500) break;
    changes.push_back({{"address", out.address}, {"action", out.action}, {"status", out.status}});
  }
  nlohmann::json data{{"apply_id", report.applyId},
                      {"project", plan.project},
                      {"plan_digest", plan.digest},
                      {"regions", plan.regions},
                      {"approved_by", o.approvedBy},
                      {"counts",
                       {{"done", report.done}, {"failed", report.failed}, {"skipped", report.skipped},
                        {"resumed", report.resumed}}},
                      {"changes", std::move(changes)}};
  if (auto st = store.recordEvent("infra.applied", o.actor, plan.env, data); !st) {
    return std::unexpected(Error{st.error().code,
                                 "the apply ran but its audit event could not be written: " + st.error().message,
                                 st.error().where});
  }
  lock.release();
  return report;
}

}  // namespace ramp::infra
