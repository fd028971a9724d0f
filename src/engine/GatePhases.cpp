#include "engine/GatePhases.h"

#include <fmt/format.h>

#include "engine/ApprovalPolicyCheck.h"
#include "engine/DeploymentWindow.h"

namespace ramp::engine {

using nlohmann::json;

Result<std::optional<std::string>> GatePhases::blockedBy(const Deployment& d, store::Store& store) {
  store::DeploymentFilter f;
  f.service = d.service;
  f.env = d.env;
  f.activeOnly = true;
  f.limit = 1000;
  auto recs = store.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  std::optional<std::string> ahead;
  for (const auto& r : *recs) {  // newest first: the last older one is the head
    if (r.id == d.id) continue;
    if (r.createdAt < d.createdAt || (r.createdAt == d.createdAt && r.id < d.id)) ahead = r.id;
  }
  return ahead;
}

Result<Phase> GatePhases::nextGate(Deployment& d, Phase from, DeploymentLedger& ledger, Clock& clock) {
  if (from == Phase::kApproval) {
    auto ahead = blockedBy(d, ledger.store());
    if (!ahead) return std::unexpected(ahead.error());
    if (*ahead) {
      d.state = kQueued;
      d.reason = "queued behind " + **ahead;
      return Phase::kQueue;
    }
  }
  // A rollback's redeploy is never held by a window (it was queued behind
  // the deployment it undoes: rollback_all_regions).
  if (d.kind == "rollback") {
    d.state = kQueued;
    return Phase::kStart;
  }
  auto policy = ApprovalPolicyCheck::policyOf(d.rendered);
  if (!policy) return std::unexpected(policy.error());
  auto window = DeploymentWindow::fromPolicy(*policy);
  if (!window) return std::unexpected(window.error());
  auto w = window->check(clock.now());
  d.state = kQueued;
  if (!w.open) {
    d.reason = fmt::format("waiting: {}{}", w.reason, w.opensAt ? "; opens at " + formatTime(*w.opensAt) : "");
    return Phase::kWindow;
  }
  return Phase::kStart;
}

Result<Transition> GatePhases::run(RunContext& ctx) {
  auto& d = ctx.d;
  auto& ledger = ctx.parts.ledger;
  if (d.phase == Phase::kApproval) {
    const auto& req = d.approval;
    if (ApprovalPolicyCheck::expired(req, ctx.now)) {
      d.state = kAborted;
      d.reason = fmt::format("the approval request expired at {} with {} of {} approval(s)",
                             formatTime(fromUnixMillis(req.expiresAt)), req.count(), req.required);
      d.finishedAt = ctx.now;
      Transition t = Transition::move(Phase::kDone);
      t.event.clear();
      return std::move(t)
          .andThen("approval.expired", {{"approvals", req.count()}, {"required", req.required}, {"state", d.state}})
          .andThen("deployment.finished", {{"state", d.state}, {"phase", Phase::kDone}, {"reason", d.reason}});
    }
    if (req.satisfied()) {  // approved (normally moved on by approve() already)
      auto next = nextGate(d, Phase::kApproval, ledger, ctx.parts.clock);
      if (!next) return std::unexpected(next.error());
      return Transition::move(*next);
    }
    return Transition::wait();
  }
  if (d.phase == Phase::kQueue) {
    auto ahead = blockedBy(d, ledger.store());
    if (!ahead) return std::unexpected(ahead.error());
    if (*ahead) {
      std::string reason = "queued behind " + **ahead;
      if (reason == d.reason) return Transition::wait();
      d.reason = reason;
      return Transition::save();
    }
    auto next = nextGate(d, Phase::kQueue, ledger, ctx.parts.clock);
    if (!next) return std::unexpected(next.error());
    if (*next == Phase::kStart) d.reason.clear();
    return Transition::move(*next);
  }
  if (d.phase == Phase::kWindow) {
    std::string before = d.reason;
    auto next = nextGate(d, Phase::kWindow, ledger, ctx.parts.clock);
    if (!next) return std::unexpected(next.error());
    if (*next == Phase::kWindow) return d.reason != before ? Transition::save() : Transition::wait();
    d.reason.clear();
    return Transition::move(*next);
  }
  return internal(fmt::format("phase {} is not a gate", phaseName(d.phase)), d.id);
}

}  // namespace ramp::engine
