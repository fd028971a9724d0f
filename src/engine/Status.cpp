// Status.cpp — Engine::status(): what `ramp status` shows (ServiceStatus.h).
#include <map>
#include <set>

#include "engine/Engine.h"

namespace ramp::engine {

Result<std::vector<ServiceStatus>> Engine::status(const std::optional<std::string>& service,
                                                  const std::optional<std::string>& env) {
  std::vector<ServiceStatus> out;
  store::DeploymentFilter f;
  f.service = service;
  f.env = env;
  f.limit = 1000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  auto fleetRecs = store_.listFleets(service, env, false);
  if (!fleetRecs) return std::unexpected(fleetRecs.error());
  // Per service+env (newest first): the deployment shown is the newest one
  // not waiting in the queue; the queue (oldest first) is listed with it.
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<Deployment>> groups;
  std::vector<Deployment> everything;
  for (auto& rec : *recs) {
    auto d = Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc);
    if (!d) return std::unexpected(d.error());
    auto k = std::pair{rec.service, rec.env};
    if (seen.insert(k).second) order.push_back(k);
    groups[k].push_back(*d);
    everything.push_back(std::move(*d));
  }
  // Hotfix debt needs every env of the service, not only the one asked for.
  std::vector<HotfixDebtEntry> debt;
  if (env) {
    auto all = list(service, std::nullopt, 1000);
    if (!all) return std::unexpected(all.error());
    debt = HotfixDebt::of(*all);
  } else {
    debt = HotfixDebt::of(everything);
  }
  for (const auto& k : order) {
    const auto& group = groups[k];
    const Deployment* shown = nullptr;
    for (const auto& x : group) {
      if (x.phase != Phase::kQueue && x.phase != Phase::kWindow) {
        shown = &x;
        break;
      }
    }
    if (!shown) shown = &group.front();
    const Deployment& d = *shown;
    ServiceStatus s;
    s.service = d.service;
    s.env = d.env;
    s.region = d.region;
    s.deployment = d;
    for (auto it = group.rbegin(); it != group.rend(); ++it) {
      if (&*it == shown || isTerminalState(it->state) || !isGate(it->phase) || it->phase == Phase::kApproval) continue;
      s.queue.push_back(*it);
    }
    for (const auto& e : debt) {
      if (e.service == k.first && e.env == k.second) s.hotfixDebt.push_back(e);
    }
    auto urlOf = [&](const std::string& region) -> std::optional<std::string> {
      auto url = entrypoints_.url({d.service, d.env, region});
      return url && *url ? std::optional<std::string>(**url) : std::nullopt;
    };
    s.entrypoint = urlOf(d.region);
    // Every region's entry point (regions in waves: each region has its own).
    s.entrypoints.emplace_back(d.region, s.entrypoint);
    for (const auto& w : d.waves) {
      if (w.region.empty() || w.region == d.region) continue;
      bool have = false;
      for (const auto& [r, u] : s.entrypoints) have = have || r == w.region;
      if (!have) s.entrypoints.emplace_back(w.region, urlOf(w.region));
    }
    // Weights and the stable fleet are per entry point, i.e. per region.
    std::map<std::string, std::pair<Result<TrafficPlan>, Result<std::optional<std::string>>>> byRegion;
    auto regionOf = [&](const store::FleetRecord& fr) -> auto& {
      std::string r = fr.region.empty() ? d.region : fr.region;
      auto it = byRegion.find(r);
      if (it == byRegion.end()) {
        providers::EntrypointKey key{d.service, d.env, r};
        it = byRegion.emplace(r, std::pair{entrypoints_.plan(key), entrypoints_.stableFleet(key)}).first;
      }
      return it->second;
    };
    // What the data plane applies, per region (read once per region).
    std::map<std::string, std::optional<std::map<std::string, int>>> appliedByRegion;
    auto appliedOf = [&](const std::string& region) -> const std::optional<std::map<std::string, int>>& {
      auto it = appliedByRegion.find(region);
      if (it == appliedByRegion.end()) {
        std::optional<std::map<std::string, int>> w;
        if (auto split = parts_.traffic.appliedTraffic({d.service, d.env, region})) {
          w.emplace();
          for (const auto& f : split->fleets) (*w)[f.fleetId] = f.weight;
        }
        it = appliedByRegion.emplace(region, std::move(w)).first;
      }
      return it->second;
    };
    for (auto& fr : *fleetRecs) {
      if (fr.service != d.service || fr.env != d.env) continue;
      // A fleet that failed was retired by fail_cleanup: nothing of it runs.
      if (fr.state == "failed") continue;
      auto& [plan, stable] = regionOf(fr);
      FleetStatusView fv;
      fv.record = fr;
      if (plan && plan->weights.contains(fr.id)) fv.weight = plan->weights.at(fr.id);
      if (const auto& applied = appliedOf(fr.region.empty() ? d.region : fr.region)) {
        fv.appliedWeight = applied->contains(fr.id) ? applied->at(fr.id) : 0;
      }
      auto st = parts_.fleets.fleetStatus(fr.id);
      fv.instances = st && st->exists ? st->desired : 0;
      fv.healthy = st && st->exists ? st->healthy : 0;
      // Unknown is not zero: say why (another host's fleet, a provider that did not answer).
      if (!st) fv.statusError = st.error().message;
      fv.role = "previous";
      if (stable && *stable && **stable == fr.id) {
        fv.role = "stable";
      } else if (!d.baselineFleet.empty() && d.baselineFleet == fr.id) {
        fv.role = "baseline";
      } else if ((d.newFleet == fr.id && !isTerminalState(d.state)) || fr.state == "creating") {
        fv.role = "canary";
      }
      s.fleets.push_back(std::move(fv));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ramp::engine
