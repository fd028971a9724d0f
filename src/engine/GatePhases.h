// GatePhases.h — what a deployment passes before it starts.
//
//   approval  state awaiting_approval until enough distinct people (never the
//             requester) with an allowed role approve; expired -> aborted
//             with the reason (phase done)
//   queue     state queued until no older active deployment of the same
//             service+env is left (FIFO, persisted: survives restarts)
//   window    state queued while outside the deployment window or inside a
//             freeze (reason says which, and when it opens)
//   -> start  (BlueGreenPhases)
//
// Thread-safety: stateless (PhaseMachine); nextGate reads the store.
#pragma once

#include <optional>
#include <string>

#include "core/Clock.h"
#include "engine/DeploymentLedger.h"
#include "engine/PhaseMachine.h"

namespace ramp::engine {

class GatePhases final : public PhaseMachine {
 public:
  Result<Transition> run(RunContext& ctx) override;

  // The gate a deployment goes to after `from` (approval, queue or window):
  // queue | window | start. Sets d.state / d.reason accordingly.
  static Result<Phase> nextGate(Deployment& d, Phase from, DeploymentLedger& ledger, Clock& clock);
  // The older active deployment of the same service+env it waits behind, if any.
  static Result<std::optional<std::string>> blockedBy(const Deployment& d, store::Store& store);
};

}  // namespace ramp::engine
