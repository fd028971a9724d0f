#include "server/InfraRoutes.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "config/ConfigLoader.h"
#include "core/Sha256.h"
#include "infra/Applier.h"
#include "infra/DesiredGraph.h"
#include "infra/Drift.h"
#include "infra/aws/AwsInfraProvider.h"
#include "infra/LocalInfraProvider.h"
#include "infra/PlanJson.h"
#include "infra/PlanText.h"
#include "infra/Planner.h"
#include "infra/Refresher.h"
#include "infra/StoreInfraStore.h"

namespace ramp::server {

namespace {

using json = nlohmann::json;

struct InfraRequest {
  config::Config cfg;
  std::string env;
  std::vector<std::string> regions;  // as asked (empty = all of the env's)
  const config::Environment* envCfg = nullptr;
};

Result<InfraRequest> readInfraRequest(const ApiRequest& r) {
  InfraRequest out;
  auto env = requireString(r.body, "env");
  if (!env) return std::unexpected(env.error());
  out.env = *env;
  if (r.body.contains("regions")) {
    const json& regions = r.body["regions"];
    if (!regions.is_array()) return invalid("must be an array of region names", "regions");
    for (const auto& x : regions) {
      if (!x.is_string() || x.get<std::string>().empty()) {
        return invalid("must be an array of region names", "regions");
      }
      out.regions.push_back(x.get<std::string>());
    }
  }
  auto text = requireString(r.body, "config");
  if (!text) return std::unexpected(text.error());
  auto name = optionalString(r.body, "config_name");
  if (!name) return std::unexpected(name.error());
  auto loaded = config::loadConfigText(*text, name->value_or("ramp.yaml"));
  if (!loaded.ok()) {
    std::string msg;
    for (const auto& d : loaded.diagnostics) msg += (msg.empty() ? "" : "\n") + d.format();
    return invalid("the config does not load:\n" + msg, "config");
  }
  out.cfg = std::move(*loaded.config);
  out.envCfg = out.cfg.environment(out.env);
  if (!out.envCfg) {
    return invalid(fmt::format("no environment '{}' in the config", out.env), "env");
  }
  return out;
}

Result<std::unique_ptr<infra::InfraProvider>> providerFor(const InfraRequest& q, const std::filesystem::path& home,
                                                          const std::filesystem::path& rampBinary) {
  if (q.envCfg->provider == "local") {
    return std::unique_ptr<infra::InfraProvider>(new infra::LocalInfraProvider(home, rampBinary));
  }
  if (q.envCfg->provider == "aws") {
    // The standard credentials chain, AWS_ENDPOINT_URL(_<SERVICE>) honoured;
    // each resource names its own region.
    providers::aws::AwsClientOptions o;
    for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      if (const char* r = std::getenv(var); r && *r) {
        o.region = r;
        break;
      }
    }
    return std::unique_ptr<infra::InfraProvider>(new infra::aws::AwsInfraProvider(o));
  }
  return failedPrecondition(fmt::format("environment {} uses provider '{}', which has no infrastructure provider "
                                        "(local and aws do)",
                                        q.env, q.envCfg->provider),
                            "environments." + q.env + ".provider");
}

std::vector<std::string> regionsOf(const InfraRequest& q) {
  return q.regions.empty() ? q.envCfg->regions : q.regions;
}

Result<infra::Plan> makePlan(const InfraRequest& q, infra::InfraProvider& provider, infra::InfraStore& is,
                             bool doRefresh) {
  auto desired = infra::desiredResources(q.cfg, q.env, q.regions);
  if (!desired) return std::unexpected(desired.error());
  std::map<std::string, infra::InfraState> states;
  if (q.regions.empty()) {
    auto all = is.loadAll(q.cfg.project, q.env);
    if (!all) return std::unexpected(all.error());
    states = std::move(*all);
  }
  std::vector<std::string> wanted = regionsOf(q);
  wanted.push_back("");
  for (const auto& region : wanted) {
    if (states.contains(region)) continue;
    auto s = is.load(q.cfg.project, q.env, region);
    if (!s) return std::unexpected(s.error());
    states.emplace(region, std::move(*s));
  }
  std::optional<std::map<std::string, infra::ResourceState>> refreshed;
  if (doRefresh) {
    auto r = infra::refresh(provider, *desired, states);
    if (!r) return std::unexpected(r.error());
    refreshed = std::move(*r);
  }
  return infra::Planner::plan(q.cfg.project, q.env, regionsOf(q), *desired, states, refreshed);
}

Result<bool> optionalBool(const json& body, const std::string& field, bool dflt) {
  if (!body.contains(field)) return dflt;
  if (!body[field].is_boolean()) return invalid("must be true or false", field);
  return body[field].get<bool>();
}

}  // namespace

void addInfraRoutes(ApiServer& api, store::Store& st, const std::filesystem::path& home,
                    const std::filesystem::path& rampBinary, Clock& clock) {
  api.route("POST", "/api/v1/infra/plan", Access::bodyEnv("viewer"), [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"env", "config", "config_name", "regions", "refresh"}); !s) {
      return std::unexpected(s.error());
    }
    auto q = readInfraRequest(r);
    if (!q) return std::unexpected(q.error());
    auto refresh = optionalBool(r.body, "refresh", true);
    if (!refresh) return std::unexpected(refresh.error());
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    auto plan = makePlan(*q, **provider, is, *refresh);
    if (!plan) return std::unexpected(plan.error());
    // Intents of an interrupted apply: the next apply resumes them first
    // (even when the plan itself has no changes).
    auto open = is.openJournal(q->cfg.project, q->env);
    if (!open) return std::unexpected(open.error());
    std::string text = infra::planText(*plan, false);
    if (!open->empty()) {
      text += fmt::format("\nNote: {} change(s) of an interrupted apply are still open in the journal; the next "
                          "apply resumes them first.\n",
                          open->size());
    }
    return ApiResponse{200, {{"plan", infra::planJson(*plan)}, {"text", text}, {"no_op", plan->noOp()},
                             {"open_intents", open->size()}}};
  });

  api.route("POST", "/api/v1/infra/apply", Access::bodyEnv("deployer"), [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"env", "config", "config_name", "regions", "refresh", "plan", "allow_destroy",
                                     "parallel_regions", "continue_on_region_failure"});
        !s) {
      return std::unexpected(s.error());
    }
    auto q = readInfraRequest(r);
    if (!q) return std::unexpected(q.error());
    if (q->envCfg->approval.approvals > 0) {
      return fail(ErrorCode::kPermissionDenied,
                  fmt::format("environment {} requires {} approval(s) (its approval policy); applying its "
                              "infrastructure through an approved request is not supported yet",
                              q->env, q->envCfg->approval.approvals),
                  "environments." + q->env + ".approval.approvals");
    }
    auto refresh = optionalBool(r.body, "refresh", true);
    if (!refresh) return std::unexpected(refresh.error());
    auto allowDestroy = optionalBool(r.body, "allow_destroy", false);
    if (!allowDestroy) return std::unexpected(allowDestroy.error());
    auto cont = optionalBool(r.body, "continue_on_region_failure", false);
    if (!cont) return std::unexpected(cont.error());
    int parallelRegions = 1;
    if (r.body.contains("parallel_regions")) {
      const json& p = r.body["parallel_regions"];
      if (!p.is_number_integer() || p.get<int>() < 1 || p.get<int>() > 64) {
        return invalid("must be a whole number from 1 to 64", "parallel_regions");
      }
      parallelRegions = p.get<int>();
    }
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    infra::Plan plan;
    if (r.body.contains("plan")) {
      auto saved = infra::planFromJson(r.body["plan"]);
      if (!saved) return invalid(saved.error().describe(), "plan");
      if (saved->env != q->env) {
        return invalid(fmt::format("the saved plan is for environment '{}', not '{}'", saved->env, q->env), "plan.env");
      }
      if (saved->project != q->cfg.project) {
        return invalid(fmt::format("the saved plan is for project '{}', not '{}'", saved->project, q->cfg.project),
                       "plan.project");
      }
      plan = std::move(*saved);
    } else {
      auto fresh = makePlan(*q, **provider, is, *refresh);
      if (!fresh) return std::unexpected(fresh.error());
      plan = std::move(*fresh);
    }
    infra::ApplyOptions o;
    o.actor = r.actor.empty() ? "ramp" : r.actor;
    o.applyId = "apply-" + randomHex(8);
    o.leaseOwner = fmt::format("controller-{}:{}", ::getpid(), o.applyId);
    o.allowDestroy = *allowDestroy;
    o.continueOnRegionFailure = *cont;
    o.parallelRegions = parallelRegions;
    o.clock = &clock;
    o.leaseTtlMs = 10'000;  // renewed every ~3 s; a crashed controller's lock is free 10 s later
    auto report = infra::apply(plan, **provider, is, o);
    if (!report) return std::unexpected(report.error());
    return ApiResponse{200, {{"report", report->toJson()}, {"plan", infra::planJson(plan)},
                             {"text", infra::planText(plan, false)}}};
  });

  api.route("POST", "/api/v1/infra/drift", Access::bodyEnv("viewer"), [&st, home, rampBinary, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"env", "config", "config_name", "regions"}); !s) return std::unexpected(s.error());
    auto q = readInfraRequest(r);
    if (!q) return std::unexpected(q.error());
    auto provider = providerFor(*q, home, rampBinary);
    if (!provider) return std::unexpected(provider.error());
    infra::StoreInfraStore is(st, clock);
    auto report = infra::Drift::detect(q->cfg.project, q->env, regionsOf(*q), **provider, is);
    if (!report) return std::unexpected(report.error());
    return ApiResponse{200, {{"report", report->toJson()}, {"text", report->text()}}};
  });
}

void forwardInfraRoutes(ApiServer& api, const ApiServer::Handler& forward) {
  api.route("POST", "/api/v1/infra/plan", Access::bodyEnv("viewer"), forward);
  api.route("POST", "/api/v1/infra/apply", Access::bodyEnv("deployer"), forward);
  api.route("POST", "/api/v1/infra/drift", Access::bodyEnv("viewer"), forward);
}

}  // namespace ramp::server
