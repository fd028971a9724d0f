// Plan.h — what `ramp plan` decides and `ramp apply` carries out.
//
// A Plan is computed by the Planner (pure: desired resources + recorded
// state + refreshed real state → changes) for one environment and a set of
// regions. Each Change is one resource's action with the attributes that
// differ. Rendered for people by PlanText (`+`, `~`, `-/+`, `-` and a
// summary line) and for scripts by PlanJson (with "no_op").
//
// A saved plan (`ramp plan -o FILE`) is applied only if the state it was
// computed against is still the current one: same lineage and serial per
// region (`basis`); otherwise apply refuses it as stale.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infra/Resource.h"

namespace ramp::infra {

// kImport: the resource is desired and exists (the refresh found it) but no
// state records it — made by a deployment (the router's entry point a
// deploy ensures) or outside ramp. Apply reads it once more and records it
// in the state; nothing is created or changed.
enum class Action { kCreate, kUpdate, kReplace, kDelete, kImport };

// The reason of a delete of a leftover: a resource carrying ramp's tags for
// the environment that no state knows (e.g. a twin made by a create whose
// answer was lost). Its address is "<its ramp:address or type>@<id>", so
// it never stands for the recorded resource of that address; apply deletes
// it only with --allow-destroy.
inline constexpr const char* kLeftoverReason = "leftover: carries ramp's tags, no state knows it";

struct AttributeChange {
  std::string name;
  nlohmann::json before;  // null when absent
  nlohmann::json after;   // null when absent
  bool forcesReplace = false;
};

struct Change {
  Action action = Action::kCreate;
  std::string address;
  std::string type;
  std::string region;                       // "" = global
  std::optional<Resource> desired;          // create / update / replace / import
  std::optional<ResourceState> current;     // update / replace / delete / import
  std::vector<AttributeChange> attributes;  // sorted by name
  std::string reason;                       // e.g. "deleted outside ramp", "region removed"
};

// The state a plan was computed against, per region ("" = global).
struct StateBasis {
  std::string lineage;
  int64_t serial = 0;
};

struct Plan {
  std::string project;
  std::string env;
  std::vector<std::string> regions;               // the regions planned, in wave order
  std::vector<Change> changes;                    // dependency order (creates before dependants, deletes after)
  std::vector<std::string> managedByDeployments;  // e.g. "fleets and listener weights of crawler in prod/us-east-1"
  std::map<std::string, StateBasis> basis;        // region → state it was computed against
  bool refreshed = false;                         // real state was read from the provider
  std::string digest;                             // sha256 over the canonical JSON of the above

  bool noOp() const { return changes.empty(); }
  // How many changes are `a` (the add / change / replace / destroy summary).
  int count(Action a) const {
    int n = 0;
    for (const auto& c : changes) n += c.action == a ? 1 : 0;
    return n;
  }
};

}  // namespace ramp::infra
