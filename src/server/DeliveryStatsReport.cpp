#include "server/DeliveryStatsReport.h"

#include "core/Duration.h"
#include "server/DeliveryStats.h"

namespace ramp::server {

using nlohmann::json;

Result<json> deliveryStatsReport(store::Store& st, const release::ReleaseStore& releases, Clock& clock,
                                 const std::string& since, const std::optional<std::string>& service,
                                 const std::optional<std::string>& env, const std::string& where) {
  auto window = parseDuration(since.empty() ? "30d" : since);
  if (!window) return invalid("must be a duration back from now, like 30d or 12h (" + window.error().message + ")", where);
  if (window->count() <= 0) return invalid("must be longer than zero", where);
  DeliveryStatsQuery q;
  q.until = toUnixMillis(clock.now());
  q.since = q.until - window->count();
  q.service = service;
  q.env = env;

  std::vector<store::AuditEvent> events;
  int64_t after = 0;
  for (int page = 0; page < 200; ++page) {
    store::AuditFilter f;
    f.afterSeq = after;
    f.service = q.service;
    f.env = q.env;
    f.limit = 1000;
    auto batch = st.listEvents(f);
    if (!batch) return std::unexpected(batch.error());
    for (auto& e : *batch) {
      after = std::max(after, e.seq);
      if (e.kind == "deployment.finished" || e.kind == "deployment.rollback") events.push_back(std::move(e));
    }
    if (batch->size() < 1000) break;
  }
  std::vector<store::ReleaseRecord> recs;
  auto list = releases.list(q.service);
  if (!list) return std::unexpected(list.error());
  for (const auto& rel : *list) {
    store::ReleaseRecord rr;
    rr.service = rel.service;
    rr.version = rel.version;
    rr.digest = rel.digest;
    rr.createdAt = rel.createdAtMs;
    recs.push_back(std::move(rr));
  }
  json rows = json::array();
  for (const auto& fig : computeDeliveryStats(events, recs, q)) rows.push_back(fig.toJson());
  return json{{"since", formatTime(fromUnixMillis(q.since))},
              {"until", formatTime(fromUnixMillis(q.until))},
              {"window_seconds", window->count() / 1000},
              {"services", rows}};
}

}  // namespace ramp::server
