// ConfigOfRecord.h — the configuration the controller enforces, and every
// change to it (docs/access.md "Trust model"; docs/decisions.md "The config
// of record").
//
// push(request, holds):
//   1. the bundle is loaded with the same loader as `ramp validate`: any
//      problem is kInvalid with every FILE:LINE:COL line (nothing recorded);
//   2. identical to the version in force (same digest): "unchanged", nothing
//      recorded;
//   3. PushImpact against the version in force says which roles the push
//      needs (deployer / admin per environment); a pusher missing one gets
//      kPermissionDenied naming the role, the environment and why, nothing
//      recorded (`holds(role, env)` answers for the caller);
//   4. dry run: the outcome (state "dry_run", impact, diff, what approvals it
//      would wait for), nothing recorded;
//   5. a policy change to a protected environment (its policy in force asks
//      for approvals): recorded "pending" with one approval request per such
//      environment (that environment's policy in force: count, roles,
//      expiry; the pusher is the requester) — nothing of it takes effect
//      until every request is satisfied; audit config.push_requested;
//   6. otherwise recorded "in_force" at once; audit config.pushed (version,
//      digest, base version, pusher, git commit + dirty, message, the
//      impact lines).
//   A push is compared with the version in force when it is made; the store
//   refuses it (kConflict) when another push took effect in between.
// approve / reject(id "cfg-N", actor, rolesIn): the deployment rules
//   (engine::ApprovalPolicyCheck) per environment of the pending push:
//   four-eyes, the policy's roles, each person once, a rejection needs a
//   comment and ends the push (the requester may withdraw it). The approval
//   that satisfies the last request puts the version in force — unless the
//   version in force changed since it was pushed: then it ends "stale"
//   (kFailedPrecondition asking to push again). Audit config.approval_granted,
//   config.approval_rejected, config.pushed / config.stale.
// expirePending(): pending pushes past an approval request's expiry end
//   "expired" (audit config.approval_expired); called from the leader's loop.
// inForce(): the loaded version in force (cached per version), or
//   kFailedPrecondition "no configuration has been pushed" naming
//   `ramp config push`.
// fill(request): the deployment fields of request.service/env/region from
//   the version in force (record/StageRender.h): rendered, digest, git,
//   pipeline, later stages, waves, and the config version.
// Thread-safe (one mutex around pushes and decisions; the store's rules
// make concurrent controllers safe).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/GitState.h"
#include "config/Model.h"
#include "core/Clock.h"
#include "core/Result.h"
#include "engine/Engine.h"
#include "record/ConfigBundle.h"
#include "record/PushImpact.h"
#include "store/Store.h"

namespace ramp::record {

struct PushRequest {
  ConfigBundle bundle;
  std::string actor;
  std::optional<std::string> gitCommit;
  std::optional<bool> gitDirty;
  std::string message;
  bool dryRun = false;
};

struct PushOutcome {
  std::string state;               // in_force | pending | unchanged | dry_run
  int64_t version = 0;             // the new version (0 for unchanged / dry_run)
  int64_t baseVersion = 0;         // the version in force it was compared with
  std::string digest;
  PushImpact impact;
  std::string diff;                // unified diff against the version in force
  nlohmann::json approvals = nlohmann::json::object();  // env -> ApprovalRequest API form (pending / dry_run)
  nlohmann::json toJson() const;
};

struct LoadedVersion {
  store::ConfigVersionRecord record;
  config::Config config;
  config::GitState git;
  ConfigBundle bundle;
};

class ConfigOfRecord {
 public:
  using Holds = std::function<bool(const std::string& role, const std::string& env)>;
  // Roles the caller holds in `env` (viewer, deployer, approver, hotfix,
  // admin and any of `extra` the approval policy names).
  using RolesIn = std::function<std::set<std::string>(const std::string& env, const std::vector<std::string>& extra)>;

  ConfigOfRecord(store::Store& store, Clock& clock);

  Result<PushOutcome> push(const PushRequest& request, const Holds& holds);
  Result<store::ConfigVersionRecord> approve(const std::string& id, const std::string& actor, const RolesIn& roles,
                                             const std::string& comment);
  Result<store::ConfigVersionRecord> reject(const std::string& id, const std::string& actor, const RolesIn& roles,
                                            const std::string& comment);
  Status expirePending();

  Result<std::shared_ptr<const LoadedVersion>> inForce();
  Result<std::shared_ptr<const LoadedVersion>> load(int64_t version);
  Result<std::vector<store::ConfigVersionRecord>> pending();
  // Every version, newest first (at most `limit`).
  Result<std::vector<store::ConfigVersionRecord>> history(int limit) { return store_.listConfigVersions({}, limit); }
  Status fill(engine::DeployRequest& request);

  // "cfg-7" <-> 7; nullopt when `id` is not a config change id.
  static std::string idOf(int64_t version) { return "cfg-" + std::to_string(version); }
  static std::optional<int64_t> versionOf(const std::string& id);
  // The API form of a version: everything but the file texts (`files`
  // lists names and sizes), with approvals in API form; `withFiles` adds
  // the texts.
  static nlohmann::json toApiJson(const store::ConfigVersionRecord& r, bool withFiles);

 private:
  Result<std::shared_ptr<const LoadedVersion>> loadRecord(const store::ConfigVersionRecord& r);
  Result<store::ConfigVersionRecord> decide(const std::string& id, const std::string& actor, const RolesIn& roles,
                                            const std::string& comment, bool approve);
  Status audit(const std::string& kind, const std::string& actor, nlohmann::json data);

  store::Store& store_;
  Clock& clock_;
  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<const LoadedVersion>> cache_;
};

}  // namespace ramp::record
