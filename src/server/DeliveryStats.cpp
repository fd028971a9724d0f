#include "server/DeliveryStats.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <set>

namespace ramp::server {

namespace {

struct Finish {
  std::string id, service, env, version, state;
  int64_t time = 0;
  int64_t seq = 0;
  bool rollback = false;
};

nlohmann::json optionalNumber(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

double medianOf(std::vector<double> values) {
  assert(!values.empty());
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double nearestRankPercentile(std::vector<double> values, double p) {
  assert(!values.empty());
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

nlohmann::json DeliveryFigures::toJson() const {
  return {{"service", service},
          {"env", env},
          {"deployment_frequency", {{"succeeded", succeeded}, {"per_day", deploysPerDay}, {"per_week", deploysPerWeek}}},
          {"lead_time", {{"samples", leadTimeSamples},
                         {"median_seconds", optionalNumber(leadTimeMedianSeconds)},
                         {"p90_seconds", optionalNumber(leadTimeP90Seconds)}}},
          {"change_failure_rate", {{"failed", failed}, {"finished", finished}, {"rate", optionalNumber(changeFailureRate)}}},
          {"time_to_restore", {{"restored", restored},
                               {"unrestored", unrestored},
                               {"median_seconds", optionalNumber(timeToRestoreMedianSeconds)}}}};
}

std::vector<DeliveryFigures> computeDeliveryStats(const std::vector<store::AuditEvent>& events,
                                                  const std::vector<store::ReleaseRecord>& releases,
                                                  const DeliveryStatsQuery& q) {
  std::vector<const store::AuditEvent*> sorted;
  std::set<std::string> rollbackIds;
  for (const auto& e : events) {
    if (q.service && e.service != *q.service) continue;
    if (q.env && e.env != *q.env) continue;
    if (e.kind == "deployment.rollback" && e.data.is_object() && e.data.contains("rolls_back")) {
      rollbackIds.insert(e.deploymentId);
    }
    if (e.kind == "deployment.finished") sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return a->time != b->time ? a->time < b->time : a->seq < b->seq;
  });
  // One outcome per deployment: its last finished state, dated by the first
  // finished event that had that state (the engine repeats the event when a
  // finished deployment leaves its bake, and a later rollback turns a
  // succeeded deployment into rolled_back).
  std::map<std::string, Finish> byId;
  std::vector<std::string> order;
  for (auto* e : sorted) {
    std::string state = e->data.is_object() ? e->data.value("state", std::string()) : std::string();
    auto [it, inserted] = byId.try_emplace(e->deploymentId);
    Finish& f = it->second;
    if (inserted) order.push_back(e->deploymentId);
    if (!inserted && f.state == state) continue;
    f.id = e->deploymentId;
    f.service = e->service;
    f.env = e->env;
    f.version = e->data.is_object() ? e->data.value("version", f.version) : f.version;
    f.state = state;
    f.time = e->time;
    f.seq = e->seq;
    f.rollback = rollbackIds.contains(f.id);
  }
  std::vector<Finish> finishes;
  for (const auto& id : order) finishes.push_back(byId[id]);
  std::sort(finishes.begin(), finishes.end(), [](const Finish& a, const Finish& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  });
  // A rollback deployment that ended (rolled_back = traffic verified back on
  // the earlier release) restores service like a success does.
  auto restores = [](const Finish& g) {
    return g.state == "succeeded" || (g.rollback && g.state == "rolled_back");
  };
  std::map<std::pair<std::string, std::string>, int64_t> releaseCreated;
  for (const auto& r : releases) releaseCreated[{r.service, r.version}] = r.createdAt;

  auto inWindow = [&](int64_t t) { return t >= q.since && t <= q.until; };
  struct Acc {
    DeliveryFigures fig;
    std::vector<double> leads, restores;
    bool any = false;
  };
  std::map<std::pair<std::string, std::string>, Acc> acc;
  std::set<std::tuple<std::string, std::string, std::string>> succeededBefore;  // service, env, version

  for (size_t i = 0; i < finishes.size(); ++i) {
    const auto& f = finishes[i];
    bool success = f.state == "succeeded";
    bool failure = f.state == "failed" || f.state == "rolled_back";
    auto key = std::make_pair(f.service, f.env);
    bool firstSuccessOfVersion = false;
    if (success && !f.rollback) {
      firstSuccessOfVersion = succeededBefore.insert({f.service, f.env, f.version}).second;
    }
    if (!inWindow(f.time) || f.rollback || (!success && !failure)) continue;
    auto& a = acc[key];
    a.any = true;
    a.fig.service = f.service;
    a.fig.env = f.env;
    if (success) {
      ++a.fig.succeeded;
      if (firstSuccessOfVersion) {
        if (auto it = releaseCreated.find({f.service, f.version}); it != releaseCreated.end()) {
          a.leads.push_back(static_cast<double>(f.time - it->second) / 1000.0);
        }
      }
      continue;
    }
    ++a.fig.failed;
    std::optional<int64_t> restoredAt;
    for (size_t j = i + 1; j < finishes.size(); ++j) {
      const auto& g = finishes[j];
      if (g.service == f.service && g.env == f.env && restores(g) && g.time <= q.until) {
        restoredAt = g.time;
        break;
      }
    }
    if (restoredAt) {
      ++a.fig.restored;
      a.restores.push_back(static_cast<double>(*restoredAt - f.time) / 1000.0);
    } else {
      ++a.fig.unrestored;
    }
  }

  double days = static_cast<double>(q.until - q.since) / 86'400'000.0;
  std::vector<DeliveryFigures> out;
  for (auto& [key, a] : acc) {
    auto fig = a.fig;
    fig.finished = fig.succeeded + fig.failed;
    if (days > 0) {
      fig.deploysPerDay = fig.succeeded / days;
      fig.deploysPerWeek = fig.succeeded / days * 7;
    }
    fig.leadTimeSamples = static_cast<int>(a.leads.size());
    if (!a.leads.empty()) {
      fig.leadTimeMedianSeconds = medianOf(a.leads);
      fig.leadTimeP90Seconds = nearestRankPercentile(a.leads, 0.9);
    }
    if (fig.finished > 0) fig.changeFailureRate = static_cast<double>(fig.failed) / fig.finished;
    if (!a.restores.empty()) fig.timeToRestoreMedianSeconds = medianOf(a.restores);
    out.push_back(std::move(fig));
  }
  return out;
}

}  // namespace ramp::server
