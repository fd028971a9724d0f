// AuditQuery.h — reading the audit log the way people and scripts ask for it.
//
// One parser for the API (GET /api/v1/audit?...) and the CLI's local path, so
// both accept the same text and name the same field on error:
//   service, env, deployment   exact matches (empty = any)
//   since                      RFC 3339 (2026-11-26T08:17:37Z, fractions and
//                              ±HH:MM offsets allowed), Unix milliseconds
//                              (all digits), or a duration back from now
//                              ("90m", "2h", "7d"; see core/Duration.h)
//   after                      only events with seq > after (paging)
//   before                     only events with seq < before (paging back)
//   kind                       kinds starting with it ("deployment.", "verdict")
//   actor                      exact
//   order                      asc (default: oldest first) | desc (newest first)
//   limit                      1..10000, default 1000
// and the JSON shape of one event (eventToJson), shared by every reader.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "store/Store.h"

namespace ramp::store {

class AuditQuery {
 public:
  // Unknown keys are ignored (the API may add its own); bad values are
  // kInvalid with `where` = the key.
  static Result<AuditFilter> parse(const std::map<std::string, std::string>& query, const Clock& clock);
  // The `since` value alone: Unix milliseconds.
  static Result<int64_t> parseSince(const std::string& text, const Clock& clock);
  // {seq, time (RFC 3339), time_ms, actor, kind, service, env, deployment,
  //  data, prev_hash, hash}
  static nlohmann::json eventToJson(const AuditEvent& e);
};

}  // namespace ramp::store
