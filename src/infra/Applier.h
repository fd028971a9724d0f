// Applier.h — `ramp apply`: carries out a Plan against an InfraProvider,
// recording every step in the store so that a killed apply resumes.
//
// apply(plan, provider, store, options):
//  1. Takes the lease "infra/<project>/<env>" (ApplyLock: TTL, renewed by a
//     keeper thread; an expired lease of a crashed apply is taken over).
//     Held by someone else → kConflict naming the holder.
//  2. Refuses a stale plan (options.checkBasis): for every region of
//     plan.basis the stored lineage and serial must be the ones the plan was
//     computed against; otherwise kFailedPrecondition naming the region.
//  3. Refuses, unless options.allowDestroy, a plan that deletes every
//     resource of a region (kFailedPrecondition naming the region and
//     --allow-destroy).
//  4. Resumes the open journal intents of earlier applies of this env first
//     (in journal order, with their own client tokens: a create that had
//     reached the provider finds what it made instead of making a twin).
//  5. Runs the changes in waves: deletes of global resources (Route 53),
//     then the regions in plan.regions order, `parallelRegions` at a time
//     (default 1), then creates/updates of global resources. Within a wave
//     a change starts when the changes it depends on (desired.dependsOn) are
//     done; deletes keep the plan's order. At most `parallelism` calls run at
//     once, and at most familyLimit(family) per API family (elbv2,
//     cloudwatch, sns, iam, route53, router) — the provider's own rate
//     budgets pace the calls inside. A failed wave stops the later ones
//     (their changes reported "skipped") unless continueOnRegionFailure.
//  6. For every change: a journal intent (with the client token) BEFORE the
//     provider call; after it, the region's state is saved (compare-and-swap
//     on serial) and the intent marked done, or marked failed with the
//     provider's message. A kill -9 loses at most the calls in flight, and
//     those are resumed by step 4 of the next apply.
//  7. Appends the audit event "infra.applied" (plan digest, apply id, actor,
//     approver, counts, per-change outcome).
// Partial failures are not errors: they are in the report (ok() false).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "infra/InfraProvider.h"
#include "infra/InfraStore.h"
#include "infra/Plan.h"

namespace ramp::infra {

struct ApplyOptions {
  std::string actor = "ramp";        // who applies (audit)
  std::string approvedBy;            // who approved, when an approval was required (audit)
  std::string applyId;               // empty = generated ("apply-<hex>")
  std::string leaseOwner;            // empty = the apply id
  int64_t leaseTtlMs = 30'000;
  int parallelism = 4;               // concurrent provider calls in all
  std::map<std::string, int> familyLimits;  // API family -> concurrent calls; "*" = default (2)
  int parallelRegions = 1;
  bool continueOnRegionFailure = false;
  bool allowDestroy = false;
  bool checkBasis = true;
  Clock* clock = nullptr;            // nullptr = SystemClock
};

struct ChangeOutcome {
  std::string address;
  std::string type;
  std::string region;
  std::string action;       // create | update | replace | delete
  std::string status;       // done | failed | skipped
  std::string message;      // the provider's message on failure, why on skip
  std::string clientToken;
  bool resumed = false;     // an open intent of an earlier apply
};

struct ApplyReport {
  std::string applyId;
  std::string project;
  std::string env;
  std::string planDigest;
  std::vector<ChangeOutcome> outcomes;  // resumed first, then in plan order
  std::vector<std::string> regionsFailed;
  int done = 0;
  int failed = 0;
  int skipped = 0;
  int resumed = 0;

  bool ok() const { return failed == 0 && skipped == 0; }
  nlohmann::json toJson() const;
};

class Applier {
 public:
  static Result<ApplyReport> apply(const Plan& plan, InfraProvider& provider, InfraStore& store,
                                   const ApplyOptions& options);
};

// The agreed free-function form.
inline Result<ApplyReport> apply(const Plan& plan, InfraProvider& provider, InfraStore& store,
                                 const ApplyOptions& options) {
  return Applier::apply(plan, provider, store, options);
}

// Deterministic per (address, desired attributes): "ramp-<32 hex>".
std::string clientTokenFor(const Resource& desired);
// API family of a resource type: elbv2, cloudwatch, sns, iam, route53, router, or the type.
std::string apiFamilyOf(const std::string& type);
// Region part of an address ("aws_lb.web[us-east-1]" -> "us-east-1"; "" for global).
std::string regionOfAddress(const std::string& address);

}  // namespace ramp::infra
