// Transition.h — what one run of a deployment's current phase returns: the
// strategy decides, the engine commits (one call: the record and its audit
// event, DeploymentLedger::commit) and then runs the next phase.
//
//   wait()         nothing changed that needs writing; look again next tick
//   save(ev)       the record changed within the phase (the judge's state, a
//                  reason): commit it (with event `ev` when given), then wait
//   move(to)       the phase's side effect is done: commit `to` with the
//                  event deployment.phase, then run `to` at once
//   finish(to)     like move, with the event deployment.finished (the
//                  deployment's state became terminal, or its waves stopped)
//
// `then`: audit events written after the move's event in the same
// transaction, in order (e.g. an expired approval's approval.expired). A
// move is checked against PhaseTable.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/Phase.h"

namespace ramp::engine {

struct Transition {
  enum class Kind { kWait, kSave, kMove };
  Kind kind = Kind::kWait;
  Phase to = Phase::kDone;  // kMove
  std::string event;        // "" = no event
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::pair<std::string, nlohmann::json>> then;

  static Transition wait() { return {}; }
  static Transition save(std::string event = {}, nlohmann::json data = nlohmann::json::object()) {
    return {Kind::kSave, Phase::kDone, std::move(event), std::move(data), {}};
  }
  static Transition move(Phase to, nlohmann::json data = nlohmann::json::object()) {
    return {Kind::kMove, to, "deployment.phase", std::move(data), {}};
  }
  static Transition finish(Phase to, nlohmann::json data = nlohmann::json::object()) {
    return {Kind::kMove, to, "deployment.finished", std::move(data), {}};
  }
  Transition&& andThen(std::string event, nlohmann::json data) && {
    then.emplace_back(std::move(event), std::move(data));
    return std::move(*this);
  }
};

}  // namespace ramp::engine
