#include "engine/PromotionCheck.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/Clock.h"
#include "core/Duration.h"

namespace ramp::engine {

Result<std::string> PromotionCheck::previousStage(const std::vector<std::string>& pipeline,
                                                  const std::string& target) {
  auto it = std::find(pipeline.begin(), pipeline.end(), target);
  std::string order;
  for (const auto& e : pipeline) order += (order.empty() ? "" : " -> ") + e;
  if (it == pipeline.end()) {
    return invalid(fmt::format("'{}' is not a stage of the pipeline ({})", target, order), "to");
  }
  if (it == pipeline.begin()) {
    return invalid(fmt::format("'{}' is the first stage of the pipeline ({}); deploy into it with ramp deploy",
                               target, order),
                   "to");
  }
  return *(it - 1);
}

std::chrono::milliseconds PromotionCheck::soakOf(const Deployment& d) {
  if (!d.rendered.is_object() || !d.rendered.contains("environment")) return std::chrono::milliseconds(0);
  const auto& env = d.rendered["environment"];
  if (!env.is_object() || !env.contains("soak") || !env["soak"].is_string()) return std::chrono::milliseconds(0);
  auto s = parseDuration(env["soak"].get<std::string>());
  return s ? *s : std::chrono::milliseconds(0);
}

bool PromotionCheck::succeeded(const Deployment& d) { return d.state == kSucceeded && !d.digest.empty(); }

Result<PromotionSource> PromotionCheck::source(const std::vector<std::string>& pipeline, const std::string& service,
                                               const std::string& target, const std::vector<Deployment>& deployments,
                                               int64_t nowMs, const std::optional<std::string>& digest) {
  auto prev = previousStage(pipeline, target);
  if (!prev) return std::unexpected(prev.error());
  // Newest success in the previous stage (by finish time, then creation).
  const Deployment* best = nullptr;
  for (const auto& d : deployments) {
    if (d.service != service || d.env != *prev || !succeeded(d)) continue;
    if (digest && d.digest != *digest) continue;
    if (!best || d.finishedAt > best->finishedAt ||
        (d.finishedAt == best->finishedAt && d.createdAt > best->createdAt)) {
      best = &d;
    }
  }
  if (!best) {
    if (digest) {
      return failedPrecondition(fmt::format("release {} of {} has not succeeded in {}, the stage before {}; "
                                            "promote it through the pipeline (ramp promote {} --to {}), "
                                            "or ship it with --hotfix --reason",
                                            digest->substr(0, 19), service, *prev, target, service, *prev),
                                "version");
    }
    return failedPrecondition(
        fmt::format("no release of {} has succeeded in {} (the stage before {}); nothing to promote", service,
                    *prev, target),
        "to");
  }
  auto soak = soakOf(*best);
  int64_t ready = best->finishedAt + soak.count();
  if (nowMs < ready) {
    return failedPrecondition(
        fmt::format("{} {} succeeded in {} at {} but has soaked only {} of {}; {} remain", service, best->version,
                    *prev, formatTime(fromUnixMillis(best->finishedAt)),
                    formatDuration(std::chrono::milliseconds(nowMs - best->finishedAt)), formatDuration(soak),
                    formatDuration(std::chrono::milliseconds(ready - nowMs))),
        "soak");
  }
  return PromotionSource{*prev, best->id, best->version, best->digest, best->finishedAt};
}

}  // namespace ramp::engine
