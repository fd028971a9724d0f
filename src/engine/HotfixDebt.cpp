#include "engine/HotfixDebt.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "engine/PromotionCheck.h"

namespace ramp::engine {

nlohmann::json HotfixDebtEntry::toJson() const {
  return {{"service", service}, {"env", env},           {"version", version}, {"digest", digest},
          {"deployment", deployment}, {"reason", reason}, {"missing", missing}};
}

std::vector<HotfixDebtEntry> HotfixDebt::of(const std::vector<Deployment>& deployments) {
  std::vector<const Deployment*> hotfixes;
  for (const auto& d : deployments) {
    if (d.hotfix && PromotionCheck::succeeded(d)) hotfixes.push_back(&d);
  }
  std::sort(hotfixes.begin(), hotfixes.end(),
            [](const Deployment* a, const Deployment* b) { return a->createdAt > b->createdAt; });
  std::vector<HotfixDebtEntry> out;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const Deployment* h : hotfixes) {
    if (!seen.insert({h->service, h->env, h->digest}).second) continue;
    auto at = std::find(h->pipeline.begin(), h->pipeline.end(), h->env);
    if (at == h->pipeline.end()) continue;
    HotfixDebtEntry e{h->service, h->env, h->version, h->digest, h->id, h->hotfixReason, {}};
    for (auto it = h->pipeline.begin(); it != at; ++it) {
      bool through = std::any_of(deployments.begin(), deployments.end(), [&](const Deployment& d) {
        return d.service == h->service && d.env == *it && d.digest == h->digest && PromotionCheck::succeeded(d);
      });
      if (!through) e.missing.push_back(*it);
    }
    if (!e.missing.empty()) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace ramp::engine
