// PlanJson.h — the machine-readable form of a Plan (`ramp plan --json`,
// `ramp plan -o FILE`, read back by `ramp apply FILE`).
//
// {"format_version": 1, "project", "env", "regions": [...], "refreshed",
//  "no_op": bool, "summary": {"add", "change", "replace", "destroy"},
//  "changes": [{"action": "create"|"update"|"replace"|"delete", "address",
//               "type", "region", "reason", "desired": RESOURCE|null,
//               "current": STATE|null,
//               "attributes": [{"name", "before", "after", "forces_replacement"}]}],
//  "managed_by_deployments": [...], "basis": {REGION: {"lineage", "serial"}},
//  "digest": "<sha256 hex>"}
// RESOURCE = {"address", "type", "name", "region", "attributes",
//             "depends_on", "force_new", "tags"};
// STATE = {"address", "type", "name", "region", "id", "attributes"}
// (infra/ResourceJson.h writes and reads them, as for the journal and the state).
//
// planFromJson(planJson(p)) == p (round trip). planFromJson checks every
// field and answers kInvalid naming the JSON path ("changes[2].action"),
// and refuses a plan whose digest does not match its content (edited).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "infra/Plan.h"

namespace ramp::infra {

nlohmann::json planJson(const Plan& plan);
Result<Plan> planFromJson(const nlohmann::json& j);

// The text the digest is computed over: planJson without "digest", dumped
// compactly (keys sorted) — written directly, without building a JSON tree.
std::string planCanonicalText(const Plan& plan);
// planJson(plan).dump() (compact), written the same fast way: what `ramp
// plan --json` / `-o FILE` should print for large plans.
std::string planJsonText(const Plan& plan);
std::string planDigest(const Plan& plan);

std::string actionName(Action a);  // create | update | replace | delete | import


}  // namespace ramp::infra
