#include "store/AuditQuery.h"

#include <cctype>
#include <chrono>
#include <cstdio>

#include "core/Duration.h"

namespace ramp::store {

namespace {

bool allDigits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Strict RFC 3339: YYYY-MM-DD('T'|'t'|' ')HH:MM:SS[.fraction](Z|z|±HH:MM).
std::optional<int64_t> parseRfc3339(const std::string& s) {
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) ||
      s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  int offsetMin = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || !digits(pos + 1, 2, oh) || s[pos + 3] != ':' || !digits(pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offsetMin = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  int64_t days = sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offsetMin * 60;
  return secs * 1000 + ms;
}

}  // namespace

Result<int64_t> AuditQuery::parseSince(const std::string& text, const Clock& clock) {
  if (text.empty()) return invalid("must not be empty", "since");
  if (allDigits(text)) return std::stoll(text);
  if (auto t = parseRfc3339(text)) return *t;
  if (auto d = parseDuration(text)) return toUnixMillis(clock.now()) - d->count();
  return invalid("'" + text +
                     "' is not a time: use RFC 3339 (2026-11-26T08:17:37Z), Unix milliseconds, or a "
                     "duration back from now (90m, 2h, 7d)",
                 "since");
}

Result<AuditFilter> AuditQuery::parse(const std::map<std::string, std::string>& q, const Clock& clock) {
  AuditFilter f;
  auto get = [&](const char* k) -> const std::string* {
    auto it = q.find(k);
    return it == q.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (auto v = get("service")) f.service = *v;
  if (auto v = get("env")) f.env = *v;
  if (auto v = get("deployment")) f.deploymentId = *v;
  if (auto v = get("since")) {
    auto t = parseSince(*v, clock);
    if (!t) return std::unexpected(t.error());
    f.sinceTime = *t;
  } else if (q.contains("since")) {
    return invalid("must not be empty", "since");
  }
  if (auto v = get("after")) {
    if (!allDigits(*v)) return invalid("'" + *v + "' is not a sequence number (0 or more)", "after");
    f.afterSeq = std::stoll(*v);
  }
  if (auto v = get("before")) {
    if (!allDigits(*v)) return invalid("'" + *v + "' is not a sequence number (0 or more)", "before");
    f.beforeSeq = std::stoll(*v);
  }
  if (auto v = get("kind")) f.kindPrefix = *v;
  if (auto v = get("actor")) f.actor = *v;
  if (auto v = get("order")) {
    if (*v != "asc" && *v != "desc") return invalid("'" + *v + "' is not 'asc' or 'desc'", "order");
    f.newestFirst = *v == "desc";
  }
  if (auto v = get("limit")) {
    if (!allDigits(*v) || v->size() > 6) return invalid("'" + *v + "' is not a number between 1 and 10000", "limit");
    int limit = std::stoi(*v);
    if (limit < 1 || limit > 10000) return invalid("must be between 1 and 10000", "limit");
    f.limit = limit;
  }
  return f;
}

nlohmann::json AuditQuery::eventToJson(const AuditEvent& e) {
  return nlohmann::json{{"seq", e.seq},
                        {"time", formatTime(fromUnixMillis(e.time))},
                        {"time_ms", e.time},
                        {"actor", e.actor},
                        {"kind", e.kind},
                        {"service", e.service},
                        {"env", e.env},
                        {"deployment", e.deploymentId},
                        {"data", e.data},
                        {"prev_hash", e.prevHash},
                        {"hash", e.hash}};
}

}  // namespace ramp::store
