#include "engine/RollbackPhases.h"

#include <fmt/format.h>

#include "engine/WavePhases.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

Result<Transition> capacity(RunContext& ctx) {
  auto& d = ctx.d;
  // The stable fleet is about to take all traffic: it must be there and
  // healthy (a cold or shrunken stable fleet overloads on abort). Nothing
  // scales it here: the provider replaces failed instances by itself; the
  // engine waits for that, bounded by the health deadline, and records it.
  auto st = ctx.parts.fleets.fleetStatus(d.oldFleet);
  if (!st) return std::unexpected(st.error());
  bool ready = st->exists && st->desired > 0 && st->healthy >= st->desired;
  json data{{"fleet", d.oldFleet}, {"healthy", st->healthy}, {"desired", st->desired}};
  if (!ready && d.deadlineAt == 0) {
    d.deadlineAt = ctx.now + ctx.plan.healthDeadline.count();
    data["waiting_until"] = formatTime(fromUnixMillis(d.deadlineAt));
    return Transition::save("rollback.capacity", data);
  }
  if (!ready && ctx.now < d.deadlineAt) return Transition::wait();
  if (!ready) {
    d.reason += fmt::format(" (stable fleet {} only {}/{} healthy after {} ms)", d.oldFleet, st->healthy, st->desired,
                            ctx.plan.healthDeadline.count());
  }
  d.deadlineAt = 0;
  data["ready"] = ready;
  return Transition::move(Phase::kRbSwitch, data);
}

Result<Transition> switchBack(RunContext& ctx) {
  auto& d = ctx.d;
  // Scaling held while traffic moves back (released in rb_verify).
  if (auto st = ctx.holdScaling(true); !st) return std::unexpected(st.error());
  auto tp = ctx.editTraffic([&](TrafficPlan& p) { p.sendAllTo(d.oldFleet); });
  if (!tp) return std::unexpected(tp.error());
  return Transition::move(Phase::kRbVerify, {{"weights", tp->weights}});
}

Result<Transition> verify(RunContext& ctx) {
  auto& d = ctx.d;
  auto switched = ctx.confirmSwitch(d.oldFleet, d.oldVersion);
  if (!switched) return std::unexpected(switched.error());
  if (!*switched) return Transition::wait();
  d.state = d.endState.empty() ? kRolledBack : d.endState;
  d.finishedAt = ctx.now;
  d.deadlineAt = ctx.now + ctx.plan.drainTimeout.count();
  d.reason = fmt::format("{}; traffic verified back on {} ({})", d.reason, d.oldFleet, d.oldVersion);
  WavePhases::stopWaves(d, d.state, false, ctx.now);
  return Transition::finish(Phase::kRbDrain);
}

Result<Transition> drain(RunContext& ctx) {
  auto& d = ctx.d;
  auto inflight = ctx.parts.traffic.inflight(ctx.key(), d.newFleet);
  bool drained = inflight && *inflight == 0;
  if (!drained && ctx.now < d.deadlineAt) return Transition::wait();
  auto tp = ctx.editTraffic([&](TrafficPlan& p) {
    p.remove(d.newFleet);
    if (!d.baselineFleet.empty()) p.remove(d.baselineFleet);
  });
  if (!tp) return std::unexpected(tp.error());
  return Transition::move(Phase::kRbRetire, {{"fleet", d.newFleet}, {"drained", drained}});
}

Result<Transition> retire(RunContext& ctx) {
  auto& d = ctx.d;
  if (auto st = ctx.parts.fleets.retireFleet(d.newFleet, ctx.plan.drainTimeout); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = ctx.parts.ledger.markFleet(d.newFleet, "retired"); !st) return std::unexpected(st.error());
  if (auto st = ctx.retireBaselineFleet(); !st) return std::unexpected(st.error());
  if (d.rollbackAllRegions && !WavePhases::keptRegions(d).empty()) {
    return Transition::move(Phase::kRbRegions, {{"retired", d.newFleet}});
  }
  return Transition::move(Phase::kDone, {{"retired", d.newFleet}});
}

Result<Transition> regions(RunContext& ctx) {
  auto& d = ctx.d;
  // The rollback deployment of the regions that kept the release, queued
  // behind this one (found, not repeated, after a restart).
  auto kept = WavePhases::keptRegions(d);
  auto all = ctx.parts.ledger.list(d.service, d.env, 200);
  if (!all) return std::unexpected(all.error());
  std::string id;
  for (const auto& x : *all) {
    if (x.kind == "rollback" && x.rollsBack == d.id) id = x.id;
  }
  std::string regions;
  for (const auto& r : kept) regions += (regions.empty() ? "" : ", ") + r;
  if (id.empty()) {
    auto r = ctx.parts.rollbackRegions(d, ctx.owner() + " (rollback_all_regions)", true);
    if (r) {
      id = r->id;
    } else {
      d.reason += fmt::format("; could not roll back {} too: {}", regions, r.error().describe());
    }
  }
  if (!id.empty()) d.reason += fmt::format("; rolling back {} too ({})", regions, id);
  return Transition::move(Phase::kDone, {{"rollback_all_regions", id}});
}

}  // namespace

// The steps of this machine: one function a phase (the header lists what each does).
std::unique_ptr<PhaseMachine> rollbackPhases() {
  static constexpr PhaseStep kSteps[] = {
      {Phase::kRbCapacity, capacity}, {Phase::kRbSwitch, switchBack}, {Phase::kRbVerify, verify},
      {Phase::kRbDrain, drain},       {Phase::kRbRetire, retire},     {Phase::kRbRegions, regions},
  };
  return std::make_unique<StepMachine>(kSteps, "rollback");
}

}  // namespace ramp::engine
