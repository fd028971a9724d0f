// Status.cpp — Engine::status(): what `ramp status` shows (ServiceStatus.h).
#include <map>
#include <set>

#include "engine/Engine.h"

namespace ramp::engine {

Result<std::vector<ServiceStatus>> Engine::status(const std::optional<std::string>& service,
                                                  const std::optional<std::string>& env) {
  std::vector<ServiceStatus> out;
  // Every env of the service (hotfix debt needs them all), newest first;
  // the env asked for is that list filtered when the list is complete
  // (shorter than the limit), else a query of its own: one store read
  // instead of two for the usual `status --env`.
  constexpr int kLimit = 1000;
  store::DeploymentFilter f;
  f.service = service;
  f.limit = kLimit;
  auto allRecs = store_.listDeployments(f);
  if (!allRecs) return std::unexpected(allRecs.error());
  auto parse = [](const std::vector<store::DeploymentRecord>& recs) -> Result<std::vector<Deployment>> {
    std::vector<Deployment> out;
    out.reserve(recs.size());
    for (const auto& rec : recs) {
      auto d = Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc);
      if (!d) return std::unexpected(d.error());
      out.push_back(std::move(*d));
    }
    return out;
  };
  // Hotfix debt needs every env of the service, not only the one asked for.
  auto everything = parse(*allRecs);
  if (!everything) return std::unexpected(everything.error());
  std::vector<Deployment> shownList;  // the env asked for
  if (env && allRecs->size() >= static_cast<size_t>(kLimit)) {
    f.env = env;
    auto recs = store_.listDeployments(f);
    if (!recs) return std::unexpected(recs.error());
    auto parsed = parse(*recs);
    if (!parsed) return std::unexpected(parsed.error());
    shownList = std::move(*parsed);
  } else if (env) {
    for (const auto& d : *everything) {
      if (d.env == *env) shownList.push_back(d);
    }
  }
  const auto& listed = env ? shownList : *everything;
  auto fleetRecs = store_.listFleets(service, env, false);
  if (!fleetRecs) return std::unexpected(fleetRecs.error());
  // Per service+env (newest first): the deployment shown is the newest one
  // not waiting in the queue; the queue (oldest first) is listed with it.
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<Deployment>> groups;
  for (const auto& d : listed) {
    auto k = std::pair{d.service, d.env};
    if (seen.insert(k).second) order.push_back(k);
    groups[k].push_back(d);
  }
  const std::vector<HotfixDebtEntry> debt = HotfixDebt::of(*everything);
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
    // One read of each region's entry point row: URL, plan, stable fleet.
    std::map<std::string, Result<Entrypoints::View>> views;
    auto viewOf = [&](const std::string& region) -> const Result<Entrypoints::View>& {
      auto it = views.find(region);
      if (it == views.end()) it = views.emplace(region, entrypoints_.view({d.service, d.env, region})).first;
      return it->second;
    };
    auto urlOf = [&](const std::string& region) -> std::optional<std::string> {
      const auto& v = viewOf(region);
      return v ? v->url : std::nullopt;
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
      const auto& view = viewOf(fr.region.empty() ? d.region : fr.region);
      FleetStatusView fv;
      fv.record = fr;
      if (view && view->plan.weights.contains(fr.id)) fv.weight = view->plan.weights.at(fr.id);
      if (const auto& applied = appliedOf(fr.region.empty() ? d.region : fr.region)) {
        fv.appliedWeight = applied->contains(fr.id) ? applied->at(fr.id) : 0;
      }
      auto st = parts_.fleets.fleetStatus(fr.id);
      fv.instances = st && st->exists ? st->desired : 0;
      fv.healthy = st && st->exists ? st->healthy : 0;
      // Unknown is not zero: say why (another host's fleet, a provider that did not answer).
      if (!st) fv.statusError = st.error().message;
      fv.role = "previous";
      if (view && view->stable == fr.id) {
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
