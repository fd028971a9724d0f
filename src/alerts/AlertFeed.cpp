#include "alerts/AlertFeed.h"

#include <string>

namespace ramp::alerts {

namespace {
const char* kProgress = "alerts:last_seq";
}

AlertFeed::AlertFeed(store::Store& store, Notifier& notifier) : store_(store), notifier_(notifier) {}

Result<int> AlertFeed::poll(int maxEvents) {
  if (!lastSeq_) {
    auto saved = store_.getSetting(kProgress);
    if (!saved) return std::unexpected(saved.error());
    if (*saved) {
      try {
        lastSeq_ = std::stoll(**saved);
      } catch (...) {
        return internal("corrupt setting " + std::string(kProgress) + ": '" + **saved + "'", kProgress);
      }
    } else {
      // First poll of this world: start at the end of the log. Bounded: pages
      // through the log once.
      int64_t end = 0;
      for (;;) {
        store::AuditFilter f;
        f.afterSeq = end;
        f.limit = 1000;
        auto page = store_.listEvents(f);
        if (!page) return std::unexpected(page.error());
        if (page->empty()) break;
        end = page->back().seq;
        if (page->size() < 1000) break;
      }
      if (auto p = store_.putSettingIfAbsent(kProgress, std::to_string(end)); !p) return std::unexpected(p.error());
      lastSeq_ = end;
    }
  }
  store::AuditFilter f;
  f.afterSeq = *lastSeq_;
  f.limit = std::max(1, maxEvents);
  auto events = store_.listEvents(f);
  if (!events) return std::unexpected(events.error());
  if (events->empty()) return 0;
  int notified = 0;
  for (const auto& e : *events) {
    if (!Notifier::alertFor(e, nlohmann::json::object())) continue;
    nlohmann::json rendered = nlohmann::json::object();
    if (!e.deploymentId.empty()) {
      if (auto d = store_.getDeployment(e.deploymentId); d && d->doc.contains("rendered")) rendered = d->doc["rendered"];
    }
    if (notifier_.onAudit(e, rendered)) ++notified;
  }
  lastSeq_ = events->back().seq;
  if (auto p = store_.putSetting(kProgress, std::to_string(*lastSeq_)); !p) return std::unexpected(p.error());
  return notified;
}

}  // namespace ramp::alerts
