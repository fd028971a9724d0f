#include "config/ModelReader.h"

#include <algorithm>
#include <functional>
#include <charconv>
#include <cstdlib>
#include <cctype>
#include <cmath>
#include <set>
#include <system_error>
#include <type_traits>

#include "config/AwsRegions.h"
#include "config/ConfigKeys.h"
#include "config/NameSuggestion.h"
#include "config/QueryTemplate.h"
#include "config/Reference.h"
#include "core/Duration.h"

namespace ramp::config {

namespace {

bool validName(std::string_view n) {
  if (n.empty() || n.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// ami-<lower-case hex>, or ssm:<SSM parameter name> (letters, digits, _ . - /).
bool imageRefOk(std::string_view v) {
  if (v.starts_with("ami-")) {
    return v.size() > 4 && std::all_of(v.begin() + 4, v.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
  }
  if (!v.starts_with("ssm:") || v.size() == 4 || v.size() > 4 + 2048) return false;
  return std::all_of(v.begin() + 4, v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/';
  });
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string clip(std::string_view s) {
  std::string out(s.substr(0, 60));
  if (s.size() > 60) out += "...";
  return out;
}

// arn:PARTITION:sns:REGION:ACCOUNT:NAME — partition aws[-cn|-us-gov...],
// region like us-east-1, a 12-digit account, a topic name of 1..256
// letters, digits, '-' and '_' (a FIFO topic ends in ".fifo").
bool snsTopicArn(std::string_view arn) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 6; ++i) {
    size_t colon = i == 5 ? std::string_view::npos : arn.find(':', start);
    if (i < 5 && colon == std::string_view::npos) return false;
    parts.push_back(arn.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    start = colon + 1;
  }
  auto all = [](std::string_view v, auto ok) {
    for (char c : v) if (!ok(static_cast<unsigned char>(c))) return false;
    return !v.empty();
  };
  std::string_view name = parts[5];
  if (name.size() > 5 && name.substr(name.size() - 5) == ".fifo") name.remove_suffix(5);
  return parts[0] == "arn" && parts[1].rfind("aws", 0) == 0 && parts[2] == "sns" &&
         all(parts[3], [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; }) &&
         parts[4].size() == 12 && all(parts[4], [](unsigned char c) { return std::isdigit(c) != 0; }) &&
         name.size() <= 256 &&
         all(name, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// How a plain (unquoted) scalar reads as a number of type T: the whole text
// must be one, and a number T cannot hold (1e400 as a double, 2^63 as an
// int64) is kUnrepresentable, never the 0 std::from_chars leaves behind.
enum class ScalarNumber { kOk, kNotANumber, kUnrepresentable };

template <class T>
ScalarNumber readScalarNumber(const ConfigNode& n, T& out) {
  if (!n.isScalar() || n.quoted || n.scalar.empty()) return ScalarNumber::kNotANumber;
  const char* end = n.scalar.data() + n.scalar.size();
  auto r = std::from_chars(n.scalar.data(), end, out);
  if (r.ptr != end) return ScalarNumber::kNotANumber;
  if (r.ec == std::errc::result_out_of_range) return ScalarNumber::kUnrepresentable;
  if (r.ec != std::errc{}) return ScalarNumber::kNotANumber;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out)) return ScalarNumber::kNotANumber;
  }
  return ScalarNumber::kOk;
}

// Field readers. A null node, or a missing one, means "not given".
class Fields {
 public:
  Fields(Diagnostics& d, const ConfigNode& map, std::string path, const std::vector<std::string>& allowed)
      : d_(d), map_(map), path_(std::move(path)) {
    for (const auto& e : map.entries) {
      if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end()) {
        d_.error(e.keyPos, "unknown key '" + clip(e.key) + "'" + (path_.empty() ? "" : " in " + path_) +
                               didYouMean(e.key, allowed));
      }
    }
  }

  const ConfigNode* get(const std::string& key) const {
    const ConfigNode* n = map_.find(key);
    return n && !n->isNull() ? n : nullptr;
  }
  std::string path(const std::string& key) const { return join(path_, key); }
  const ConfigNode& map() const { return map_; }
  const std::string& location() const { return path_; }  // where the map is ("analysis.metrics[0]")

  // The list of maps at KEY (absent or null: nothing): each(fields) for
  // every item that is a map, its keys checked against `allowed`; an item
  // that is not a map, or KEY not a list, is reported.
  void eachMap(const std::string& key, const std::vector<std::string>& allowed,
               const std::function<void(const Fields&)>& each) const;

  void missing(const std::string& key, const std::string& hint = "") const {
    d_.error(map_.pos, "missing required key '" + path(key) + "'" + hint);
  }

  std::optional<std::string> string(const std::string& key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (!n->isScalar()) {
      d_.error(n->pos, path(key) + ": expected a string, got " + n->describeKind());
      return std::nullopt;
    }
    return n->scalar;
  }

  std::optional<int64_t> integer(const std::string& key, int64_t lo, int64_t hi) const {
    return ranged(key, lo, hi);
  }

  std::optional<double> number(const std::string& key, double lo, double hi) const { return ranged(key, lo, hi); }

  std::optional<bool> boolean(const std::string& key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (n->isScalar() && !n->quoted && (n->scalar == "true" || n->scalar == "false")) {
      return n->scalar == "true";
    }
    d_.error(n->pos, path(key) + ": expected true or false, got " + n->describeKind());
    return std::nullopt;
  }

  std::optional<milliseconds> duration(const std::string& key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    return durationOf(*n, path(key));
  }

  std::optional<milliseconds> durationOf(const ConfigNode& n, const std::string& p) const {
    if (!n.isScalar()) {
      d_.error(n.pos, p + ": expected a duration such as 30s, 5m or 1h30m, got " + n.describeKind());
      return std::nullopt;
    }
    auto r = parseDuration(n.scalar);
    if (!r) {
      d_.error(n.pos, p + ": " + r.error().message);
      return std::nullopt;
    }
    return *r;
  }

  std::optional<std::string> choice(const std::string& key, const std::vector<std::string>& choices) const {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
      d_.error(get(key)->pos, path(key) + ": '" + clip(*s) + "' is not one of " + quotedList(choices) +
                                  didYouMean(*s, choices));
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::vector<std::string>> strings(const std::string& key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (!n->isSequence()) {
      d_.error(n->pos, path(key) + ": expected a list, got " + n->describeKind());
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < n->items.size(); ++i) {
      const auto& it = n->items[i];
      if (!it.isScalar()) {
        d_.error(it.pos, path(key) + "[" + std::to_string(i) + "]: expected a string, got " + it.describeKind());
        continue;
      }
      out.push_back(it.scalar);
    }
    return out;
  }

  // A nested map (nullptr when absent or, after an error, not a map).
  const ConfigNode* submap(const std::string& key) const {
    const ConfigNode* n = get(key);
    if (!n) return nullptr;
    if (!n->isMap()) {
      d_.error(n->pos, path(key) + ": expected a map, got " + n->describeKind());
      return nullptr;
    }
    return n;
  }

  void references(const std::string& key, const ConfigNode& n, const std::string& p) const {
    if (!n.isScalar()) return;
    for (const auto& prob : checkReferences(n.scalar)) d_.error(n.pos, p + ": " + prob.message);
  }

  Diagnostics& diags() const { return d_; }

 private:
  static std::string numberText(int64_t v) { return std::to_string(v); }
  static std::string numberText(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  }

  // integer() and number(): a T in lo..hi, else an error at the value (the
  // words for a whole number and for a number differ a little).
  template <class T>
  std::optional<T> ranged(const std::string& key, T lo, T hi) const {
    constexpr bool kWhole = std::is_integral_v<T>;
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    T v = 0;
    const ScalarNumber r = readScalarNumber(*n, v);
    const auto range = [&] { return numberText(lo) + ".." + numberText(hi); };
    if (r == ScalarNumber::kNotANumber) {
      d_.error(n->pos, path(key) + ": expected " + (kWhole ? "a whole number" : "a number") + ", got " +
                           n->describeKind());
      return std::nullopt;
    }
    if (r == ScalarNumber::kUnrepresentable) {
      d_.error(n->pos, path(key) + ": " + clip(n->scalar) +
                           (kWhole ? " is out of range " + range()
                                   : " cannot be represented (expected a number in " + range() + ")"));
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      d_.error(n->pos, path(key) + ": " + (kWhole ? numberText(v) : n->scalar) + " is out of range " + range());
      return std::nullopt;
    }
    return v;
  }
  Diagnostics& d_;
  const ConfigNode& map_;
  std::string path_;
};

bool expectMap(Diagnostics& d, const ConfigNode& n, const std::string& path) {
  if (n.isMap()) return true;
  d.error(n.pos, path + ": expected a map, got " + n.describeKind());
  return false;
}

void Fields::eachMap(const std::string& key, const std::vector<std::string>& allowed,
                     const std::function<void(const Fields&)>& each) const {
  const ConfigNode* n = get(key);
  if (!n) return;
  if (!n->isSequence()) {
    d_.error(n->pos, path(key) + ": expected a list, got " + n->describeKind());
    return;
  }
  for (size_t i = 0; i < n->items.size(); ++i) {
    std::string p = path(key) + "[" + std::to_string(i) + "]";
    if (!expectMap(d_, n->items[i], p)) continue;
    Fields f(d_, n->items[i], p, allowed);
    each(f);
  }
}

std::optional<TimeWindow> readWindow(Diagnostics& d, const ConfigNode& n, const std::string& path) {
  if (!expectMap(d, n, path)) return std::nullopt;
  Fields f(d, n, path, keys::kTimeWindow);
  TimeWindow w;
  if (auto days = f.strings("days")) {
    const ConfigNode* dn = f.get("days");
    for (size_t i = 0; i < days->size(); ++i) {
      const auto& day = (*days)[i];
      if (std::find(keys::kDays.begin(), keys::kDays.end(), day) == keys::kDays.end()) {
        d.error(i < dn->items.size() ? dn->items[i].pos : dn->pos,
                f.path("days") + ": '" + clip(day) + "' is not a day (use " + quotedList(keys::kDays) + ")" +
                    didYouMean(day, keys::kDays));
      } else {
        w.days.push_back(day);
      }
    }
  }
  if (auto h = f.string("hours")) {
    // HH:MM-HH:MM, start before end, 00:00..24:00.
    auto minutes = [](std::string_view s) -> int {
      if (s.size() != 5 || s[2] != ':' || !std::isdigit((unsigned char)s[0]) || !std::isdigit((unsigned char)s[1]) ||
          !std::isdigit((unsigned char)s[3]) || !std::isdigit((unsigned char)s[4]))
        return -1;
      int hh = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
      if (mm > 59 || hh > 24 || (hh == 24 && mm != 0)) return -1;
      return hh * 60 + mm;
    };
    size_t dash = h->find('-');
    int a = dash == std::string::npos ? -1 : minutes(std::string_view(*h).substr(0, dash));
    int b = dash == std::string::npos ? -1 : minutes(std::string_view(*h).substr(dash + 1));
    if (a < 0 || b < 0) {
      d.error(f.get("hours")->pos, f.path("hours") + ": '" + clip(*h) + "' is not HH:MM-HH:MM (e.g. 09:00-17:00)");
    } else if (a >= b) {
      d.error(f.get("hours")->pos, f.path("hours") + ": '" + clip(*h) + "' ends before it starts");
    } else {
      w.hours = *h;
    }
  }
  if (auto tz = f.string("timezone")) {
    bool shape = !tz->empty() && tz->size() < 64 &&
                 std::isalpha(static_cast<unsigned char>((*tz)[0])) &&
                 std::all_of(tz->begin(), tz->end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
                 }) &&
                 tz->find("//") == std::string::npos && tz->back() != '/';
    if (!shape) {
      d.error(f.get("timezone")->pos, f.path("timezone") + ": '" + clip(*tz) +
                                          "' is not a time zone name (e.g. UTC, Europe/Paris)");
    } else {
      w.timezone = *tz;
    }
  }
  return w;
}

std::vector<Step> readSteps(Diagnostics& d, const ConfigNode& n, const std::string& path) {
  std::vector<Step> out;
  if (!n.isSequence()) {
    d.error(n.pos, path + ": expected a list of steps, got " + n.describeKind());
    return out;
  }
  int lastWeight = 0;
  Position lastPos;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const ConfigNode& s = n.items[i];
    std::string p = path + "[" + std::to_string(i) + "]";
    if (!s.isMap() || s.entries.size() != 1) {
      d.error(s.pos, p + ": a step is one of {weight: N}, {pause: DURATION|until_resumed}, "
                         "{analysis: {duration: D}}; got " +
                         (s.isMap() ? std::to_string(s.entries.size()) + " keys" : s.describeKind()));
      continue;
    }
    Fields f(d, s, p, keys::kStep);
    const auto& key = s.entries[0].key;
    Step step;
    if (key == "weight") {
      const ConfigNode& wn = s.entries[0].value;
      auto w = f.integer("weight", 1, 100);
      if (wn.isNull()) d.error(s.entries[0].keyPos, f.path("weight") + ": missing value (1..100)");
      if (!w) continue;
      if (*w <= lastWeight) {
        d.error(wn.pos, f.path("weight") + ": weights must increase: " + std::to_string(*w) + " after " +
                            std::to_string(lastWeight) + " (line " + std::to_string(lastPos.line) + ")");
      }
      lastWeight = static_cast<int>(*w);
      lastPos = wn.pos;
      step.kind = Step::Kind::kWeight;
      step.weight = static_cast<int>(*w);
    } else if (key == "pause") {
      step.kind = Step::Kind::kPause;
      const ConfigNode& pn = s.entries[0].value;
      if (pn.isScalar() && pn.scalar == "until_resumed") {
        step.pause = std::nullopt;
      } else if (pn.isNull()) {
        d.error(s.entries[0].keyPos, f.path("pause") + ": missing value (a duration or until_resumed)");
        continue;
      } else {
        auto dur = f.durationOf(pn, f.path("pause"));
        if (!dur) continue;
        step.pause = *dur;
      }
    } else if (key == "analysis") {
      step.kind = Step::Kind::kAnalysis;
      const ConfigNode& an = s.entries[0].value;
      if (!expectMap(d, an, f.path("analysis"))) continue;
      Fields af(d, an, f.path("analysis"), keys::kStepAnalysis);
      // Without a duration the step's deadline is analysis.deadline (filled
      // in once the analysis block is read, readService).
      auto dur = af.duration("duration");
      auto iv = af.duration("interval");
      if (dur) step.analysisDuration = *dur;
      if (iv) step.analysisInterval = *iv;
      if (dur && *dur <= milliseconds(0)) d.error(af.get("duration")->pos, af.path("duration") + ": must be more than 0s");
      if (iv && *iv <= milliseconds(0)) d.error(af.get("interval")->pos, af.path("interval") + ": must be more than 0s");
      if (dur && iv && *iv > *dur) {
        d.error(af.get("interval")->pos, af.path("interval") + ": longer than the analysis duration");
      }
    } else {
      continue;  // reported as unknown key by Fields
    }
    out.push_back(step);
  }
  return out;
}

// The entries of the required top-level map `section` ("environments",
// "services") whose names are valid. Reports the section missing (with
// `example`), not a map or empty, and each invalid name; `what` names one
// entry ("environment").
std::vector<const ConfigEntry*> namedEntries(const Fields& f, const std::string& section, const std::string& what,
                                             const std::string& example) {
  std::vector<const ConfigEntry*> out;
  Diagnostics& d = f.diags();
  const ConfigNode* map = f.get(section);
  if (!map) {
    f.missing(section, " (e.g. " + example + ")");
  } else if (!map->isMap()) {
    d.error(map->pos, section + ": expected a map of " + what + " names, got " + map->describeKind());
  } else {
    if (map->entries.empty()) d.error(map->pos, section + ": needs at least one " + what);
    for (const auto& e : map->entries) {
      if (!validName(e.key)) {
        d.error(e.keyPos, section + ": '" + clip(e.key) + "' is not a valid " + what + " name (letters, digits, '-', '_')");
        continue;
      }
      out.push_back(&e);
    }
  }
  return out;
}

}  // namespace

Environment ModelReader::readEnvironment(const std::string& name, const ConfigNode& node) {
  Environment env;
  env.name = name;
  std::string path = "environments." + name;
  if (node.isNull()) {
    env.regions = {"local"};
    return env;
  }
  if (!expectMap(d_, node, path)) return env;
  Fields f(d_, node, path, keys::kEnvironment);
  if (auto p = f.choice("provider", keys::kProviders)) env.provider = *p;
  if (auto r = f.strings("regions")) {
    const ConfigNode* rn = f.get("regions");
    std::set<std::string> seen;
    for (size_t i = 0; i < r->size(); ++i) {
      const auto& region = (*r)[i];
      Position p = i < rn->items.size() ? rn->items[i].pos : rn->pos;
      if (!validName(region)) {
        d_.error(p, f.path("regions") + ": '" + clip(region) + "' is not a valid region name (letters, digits, '-', '_')");
      } else if (env.provider == "aws" && !isAwsRegion(region)) {
        d_.error(p, f.path("regions") + ": " + unknownAwsRegion(clip(region)) +
                        " (config/AwsRegions.cpp lists the regions ramp knows)");
      } else if (!seen.insert(region).second) {
        d_.error(p, f.path("regions") + ": region '" + region + "' is listed twice");
      } else {
        env.regions.push_back(region);
      }
    }
    if (r->empty()) d_.error(rn->pos, f.path("regions") + ": needs at least one region");
  }
  if (env.regions.empty() && !f.get("regions")) {
    if (env.provider == "aws") {
      f.missing("regions", " (an aws environment names its regions, e.g. [eu-west-1])");
    } else {
      env.regions = {"local"};
    }
  }
  if (const ConfigNode* a = f.submap("approval")) {
    Fields af(d_, *a, f.path("approval"), keys::kApproval);
    if (auto n = af.integer("approvals", 0, 10)) env.approval.approvals = static_cast<int>(*n);
    if (auto roles = af.strings("roles")) {
      const ConfigNode* rn = af.get("roles");
      for (size_t i = 0; i < roles->size(); ++i) {
        if (!validName((*roles)[i])) {
          d_.error(i < rn->items.size() ? rn->items[i].pos : rn->pos,
                   af.path("roles") + ": '" + clip((*roles)[i]) + "' is not a valid role name");
        } else {
          env.approval.roles.push_back((*roles)[i]);
        }
      }
    }
    if (const ConfigNode* w = af.get("window")) env.approval.window = readWindow(d_, *w, af.path("window"));
    if (const ConfigNode* fr = af.get("freeze")) {
      if (fr->isSequence()) {
        for (size_t i = 0; i < fr->items.size(); ++i) {
          if (auto w = readWindow(d_, fr->items[i], af.path("freeze") + "[" + std::to_string(i) + "]"))
            env.approval.freeze.push_back(*w);
        }
      } else if (auto w = readWindow(d_, *fr, af.path("freeze"))) {
        env.approval.freeze.push_back(*w);
      }
    }
    if (auto e = af.duration("expires")) {
      if (*e <= milliseconds(0)) d_.error(af.get("expires")->pos, af.path("expires") + ": must be more than 0s");
      env.approval.expires = *e;
    }
  }
  if (const ConfigNode* r = f.submap("router")) {
    Fields rf(d_, *r, f.path("router"), keys::kRouter);
    if (auto p = rf.integer("port", 1, 65535)) env.router.port = static_cast<int>(*p);
    if (const ConfigNode* t = rf.submap("timeouts")) {
      Fields tf(d_, *t, rf.path("timeouts"), keys::kRouterTimeouts);
      for (const auto& k : keys::kRouterTimeouts) {
        auto v = tf.duration(k);
        if (!v) continue;
        bool noneAllowed = k == "request" || k == "tunnel_idle" || k == "upgrade_drain";
        if (*v < milliseconds(noneAllowed ? 0 : 1) || *v > std::chrono::hours(24 * 7)) {
          d_.error(tf.get(k)->pos, tf.path(k) + ": must be " + (noneAllowed ? "0s (none)" : "more than 0s") +
                                       " up to 168h");
          continue;
        }
        env.router.timeouts[k] = *v;
      }
    }
    if (auto m = rf.integer("max_connections", 1, 10'000'000)) env.router.maxConnections = *m;
    if (auto m = rf.integer("max_request_body", 0, int64_t{1} << 50)) env.router.maxRequestBody = *m;
    if (const ConfigNode* t = rf.submap("tls")) {
      Fields tf(d_, *t, rf.path("tls"), keys::kRouterTls);
      const ConfigNode* certs = tf.get("certificates");
      if (!certs) {
        tf.missing("certificates", " (a list of {cert, key})");
      } else if (!certs->isSequence() || certs->items.empty()) {
        d_.error(certs->pos, tf.path("certificates") + ": expected a non-empty list of {cert, key}");
      } else {
        for (size_t i = 0; i < certs->items.size(); ++i) {
          std::string cp = tf.path("certificates") + "[" + std::to_string(i) + "]";
          if (!expectMap(d_, certs->items[i], cp)) continue;
          Fields cf(d_, certs->items[i], cp, keys::kRouterCertificate);
          RouterCertificate c;
          for (const char* key : {"cert", "key"}) {
            auto v = cf.string(key);
            if (!v) {
              if (!cf.get(key)) cf.missing(key, " (an absolute path or ${secret:NAME})");
              continue;
            }
            auto refs = findReferences(*v);
            bool secret = refs.size() == 1 && refs[0].scheme == "secret" && refs[0].offset == 0 &&
                          *v == "${secret:" + refs[0].name + "}";
            for (const auto& prob : checkReferences(*v)) d_.error(cf.get(key)->pos, cf.path(key) + ": " + prob.message);
            if (!secret && (v->empty() || v->front() != '/' || !refs.empty())) {
              d_.error(cf.get(key)->pos, cf.path(key) + ": must be an absolute path or ${secret:NAME}, got '" +
                                             clip(*v) + "'");
              continue;
            }
            (std::string_view(key) == "cert" ? c.cert : c.key) = *v;
          }
          env.router.certificates.push_back(std::move(c));
        }
      }
    }
  }
  if (auto s = f.duration("soak")) env.soak = *s;
  if (auto a = f.boolean("auto_promote")) env.autoPromote = *a;
  if (const ConfigNode* a = f.get("aws"); a && env.provider != "aws") {
    d_.error(a->pos, f.path("aws") + ": only meaningful with provider: aws");
  } else if (const ConfigNode* an = f.submap("aws")) {
    AwsSettings aws;
    Fields af(d_, *an, f.path("aws"), keys::kAws);
    // AWS ids: a prefix and a hyphen, then lower-case hex.
    auto idOk = [](const std::string& v, const std::string& prefix) {
      if (!v.starts_with(prefix + "-") || v.size() == prefix.size() + 1) return false;
      return std::all_of(v.begin() + static_cast<long>(prefix.size()) + 1, v.end(),
                         [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
    };
    auto ids = [&](const Fields& fs, const char* key, const std::string& prefix, std::vector<std::string>& out) {
      auto v = fs.strings(key);
      if (!v) return;
      const ConfigNode* n = fs.get(key);
      for (size_t i = 0; i < v->size(); ++i) {
        Position p = i < n->items.size() ? n->items[i].pos : n->pos;
        if (!idOk((*v)[i], prefix)) {
          d_.error(p, fs.path(key) + ": '" + clip((*v)[i]) + "' is not a " + prefix + "-... id");
        } else {
          out.push_back((*v)[i]);
        }
      }
    };
    auto id = [&](const Fields& fs, const char* key, const std::string& prefix, std::string& out) {
      if (auto v = fs.string(key)) {
        if (!idOk(*v, prefix)) {
          d_.error(fs.get(key)->pos, fs.path(key) + ": '" + clip(*v) + "' is not a " + prefix + "-... id");
        } else {
          out = *v;
        }
      }
    };
    // A machine image: ami-<hex>, or ssm:<parameter name> resolved in each region.
    auto image = [&](const Fields& fs, std::string& out) {
      if (auto v = fs.string("image")) {
        if (!imageRefOk(*v)) {
          d_.error(fs.get("image")->pos, fs.path("image") + ": '" + clip(*v) +
                                             "' is not a machine image (ami-... or ssm:<parameter name>)");
        } else {
          out = *v;
        }
      }
    };
    auto twoSubnets = [&](const Fields& fs) {
      if (const ConfigNode* sn = fs.get("subnets"); sn && sn->isSequence() && sn->items.size() < 2) {
        d_.error(sn->pos, fs.path("subnets") + ": needs at least 2 subnets (in 2 Availability Zones) for high availability");
      }
    };
    // ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>; returns its region.
    auto certificate = [&](const Fields& fs, std::string& out) -> std::string {
      auto v = fs.string("certificate");
      if (!v) return "";
      std::vector<std::string> parts;
      size_t start = 0;
      for (int i = 0; i < 5; ++i) {
        size_t c = v->find(':', start);
        if (c == std::string::npos) break;
        parts.push_back(v->substr(start, c - start));
        start = c + 1;
      }
      std::string rest = start <= v->size() ? v->substr(start) : "";
      bool ok = parts.size() == 5 && parts[0] == "arn" && parts[1].starts_with("aws") && parts[2] == "acm" &&
                !parts[3].empty() && parts[4].size() == 12 &&
                std::all_of(parts[4].begin(), parts[4].end(), [](char ch) { return ch >= '0' && ch <= '9'; }) &&
                rest.starts_with("certificate/") && rest.size() > 12;
      if (!ok) {
        d_.error(fs.get("certificate")->pos, fs.path("certificate") + ": '" + clip(*v) +
                                                 "' is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)");
        return "";
      }
      out = *v;
      return parts[3];
    };
    id(af, "vpc", "vpc", aws.vpc);
    ids(af, "subnets", "subnet", aws.subnets);
    if (!af.get("subnets")) {
      af.missing("subnets", " (at least 2, in 2 Availability Zones)");
    } else {
      twoSubnets(af);
    }
    ids(af, "security_groups", "sg", aws.securityGroups);
    if (auto lb = af.string("load_balancer")) aws.loadBalancer = *lb;
    if (auto p = af.integer("listener_port", 1, 65535)) aws.listenerPort = static_cast<int>(*p);
    if (auto p = af.integer("instance_port", 1, 65535)) aws.instancePort = static_cast<int>(*p);
    image(af, aws.image);
    if (auto b = af.string("bundle_bucket")) aws.bundleBucket = *b;
    if (auto al = af.strings("alarms")) aws.alarms = *al;

    // Infrastructure as code.
    std::string certRegion = certificate(af, aws.certificate);
    if (const ConfigNode* rs = af.submap("region_settings")) {
      for (const auto& e : rs->entries) {
        std::string p = af.path("region_settings") + "." + e.key;
        if (std::find(env.regions.begin(), env.regions.end(), e.key) == env.regions.end()) {
          d_.error(e.keyPos, af.path("region_settings") + ": '" + clip(e.key) + "' is not one of this environment's regions " +
                                 quotedList(env.regions) + didYouMean(e.key, env.regions));
          continue;
        }
        if (!expectMap(d_, e.value, p)) continue;
        Fields rf(d_, e.value, p, keys::kAwsRegion);
        AwsRegionSettings r;
        id(rf, "vpc", "vpc", r.vpc);
        ids(rf, "subnets", "subnet", r.subnets);
        twoSubnets(rf);
        ids(rf, "security_groups", "sg", r.securityGroups);
        image(rf, r.image);
        std::string cr = certificate(rf, r.certificate);
        if (!cr.empty() && cr != e.key) {
          d_.error(rf.get("certificate")->pos, rf.path("certificate") + ": the certificate is in " + cr +
                                                   ", not in " + e.key + " (ACM certificates are regional)");
        }
        aws.regionSettings[e.key] = r;
      }
    }
    if (!certRegion.empty()) {
      for (const auto& region : env.regions) {
        auto it = aws.regionSettings.find(region);
        if (region != certRegion && (it == aws.regionSettings.end() || it->second.certificate.empty())) {
          d_.error(af.get("certificate")->pos,
                   af.path("certificate") + ": the certificate is in " + certRegion + " and cannot serve region " +
                       region + " (ACM certificates are regional); give " + af.path("region_settings") + "." +
                       region + ".certificate");
          break;
        }
      }
    }
    if (const ConfigNode* dn = af.submap("dns")) {
      Fields df(d_, *dn, af.path("dns"), keys::kAwsDns);
      AwsDns dns;
      auto domainOk = [](std::string v) {
        if (!v.empty() && v.back() == '.') v.pop_back();
        if (v.empty() || v.size() > 253 || v.front() == '.' || v.find("..") != std::string::npos) return false;
        return std::all_of(v.begin(), v.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        });
      };
      auto trim = [](std::string v) {
        if (!v.empty() && v.back() == '.') v.pop_back();
        return v;
      };
      if (auto z = df.string("zone")) {
        if (!domainOk(*z)) {
          d_.error(df.get("zone")->pos, df.path("zone") + ": '" + clip(*z) + "' is not a domain name (lower-case, e.g. example.com)");
        } else {
          dns.zone = trim(*z);
        }
      } else if (!df.get("zone")) {
        df.missing("zone", " (the Route 53 hosted zone, e.g. example.com)");
      }
      if (auto n = df.string("name")) {
        if (!domainOk(*n)) {
          d_.error(df.get("name")->pos, df.path("name") + ": '" + clip(*n) + "' is not a domain name (lower-case, e.g. shop.example.com)");
        } else if (!dns.zone.empty() && trim(*n) != dns.zone && !trim(*n).ends_with("." + dns.zone)) {
          d_.error(df.get("name")->pos, df.path("name") + ": '" + clip(*n) + "' is not inside the zone " + dns.zone);
        } else {
          dns.name = trim(*n);
        }
      }
      if (auto r = df.choice("routing", keys::kDnsRouting)) dns.routing = *r;
      if (auto t = df.integer("ttl", 0, 172800)) dns.ttl = static_cast<int>(*t);
      if (auto dr = df.boolean("drain")) {
        if (*dr && dns.routing != "weighted") {
          d_.error(df.get("drain")->pos, df.path("drain") + ": draining a region takes its record set to weight 0, "
                                                            "which needs routing: weighted (latency records have no weight)");
        }
        dns.drain = *dr;
      }
      aws.dns = dns;
    }
    af.eachMap("alarm_definitions", keys::kAwsAlarmDefinition, [&](const Fields& xf) {
      AwsAlarmDefinition a;
      if (auto n = xf.string("name")) {
        if (!validName(*n)) {
          d_.error(xf.get("name")->pos, xf.path("name") + ": '" + clip(*n) + "' is not a valid name (letters, digits, '-', '_')");
        }
        for (const auto& prev : aws.alarmDefinitions) {
          if (prev.name == *n) d_.error(xf.get("name")->pos, xf.path("name") + ": alarm '" + clip(*n) + "' is defined twice");
        }
        a.name = *n;
      } else if (!xf.get("name")) {
        xf.missing("name");
      }
      if (auto m = xf.choice("metric", keys::kAlarmMetrics)) a.metric = *m;
      else if (!xf.get("metric")) xf.missing("metric", " (one of " + quotedList(keys::kAlarmMetrics) + ")");
      if (auto t = xf.number("threshold", 0, 1e12)) a.threshold = *t;
      else if (!xf.get("threshold")) xf.missing("threshold", " (the alarm fires above it)");
      if (auto pd = xf.duration("period")) {
        auto sec = pd->count() / 1000;
        if (pd->count() % 1000 != 0 || !(sec == 10 || sec == 30 || (sec >= 60 && sec % 60 == 0))) {
          d_.error(xf.get("period")->pos, xf.path("period") + ": " + formatDuration(*pd) +
                                              " is not a CloudWatch period (10s, 30s or a multiple of 60s)");
        } else {
          a.period = *pd;
        }
      }
      if (auto ep = xf.integer("evaluation_periods", 1, 100)) a.evaluationPeriods = static_cast<int>(*ep);
      aws.alarmDefinitions.push_back(a);
    });
    if (auto t = af.string("notify_topic")) {
      bool ok = !t->empty() && t->size() <= 256 && std::all_of(t->begin(), t->end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
      });
      if (!ok) {
        d_.error(af.get("notify_topic")->pos, af.path("notify_topic") + ": '" + clip(*t) +
                                                  "' is not an SNS topic name (1..256 letters, digits, '-', '_')");
      } else {
        aws.notifyTopic = *t;
      }
    }
    if (auto ip = af.string("instance_profile")) {
      bool ok = !ip->empty() && ip->size() <= 128 && std::all_of(ip->begin(), ip->end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || std::string_view("+=,.@_-").find(ch) != std::string_view::npos;
      });
      if (!ok) {
        d_.error(af.get("instance_profile")->pos, af.path("instance_profile") + ": '" + clip(*ip) +
                                                      "' is not an IAM instance profile name (1..128 of letters, digits, +=,.@_-)");
      } else {
        aws.instanceProfile = *ip;
      }
    }
    env.aws = aws;
  } else if (env.provider == "aws" && !f.get("aws")) {
    f.missing("aws", " (an aws environment needs aws: {subnets: [...], ...})");
  }
  return env;
}

void ModelReader::readConfig(const ConfigNode& root, Config& out) {
  if (!root.isMap()) {
    d_.error(root.pos, std::string("the configuration must be a map with project, environments, pipeline and services; got ") +
                           (root.isNull() ? "an empty document" : root.describeKind()));
    return;
  }
  Fields f(d_, root, "", keys::kTop);
  if (const ConfigNode* v = f.get("version")) {
    if (!v->isScalar() || v->scalar != "1") d_.error(v->pos, "version: only version 1 is supported");
  }
  if (auto p = f.string("project")) {
    if (!validName(*p)) {
      d_.error(f.get("project")->pos, "project: '" + clip(*p) + "' is not a valid name (letters, digits, '-', '_')");
    }
    out.project = *p;
  } else if (!f.get("project")) {
    f.missing("project");
  }

  // Environments.
  for (const ConfigEntry* e : namedEntries(f, "environments", "environment", "environments: {int: {provider: local}}")) {
    out.environments.push_back(readEnvironment(e->key, e->value));
  }
  std::vector<std::string> envNames = out.environmentNames();

  // Pipeline.
  if (const ConfigNode* p = f.get("pipeline")) {
    if (!p->isSequence()) {
      d_.error(p->pos, "pipeline: expected a list of environment names, got " + p->describeKind());
    } else {
      std::vector<std::pair<std::string, Position>> seen;
      for (size_t i = 0; i < p->items.size(); ++i) {
        const ConfigNode& it = p->items[i];
        if (!it.isScalar()) {
          d_.error(it.pos, "pipeline[" + std::to_string(i) + "]: expected an environment name, got " + it.describeKind());
          continue;
        }
        auto prev = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == it.scalar; });
        if (prev != seen.end()) {
          d_.error(it.pos, "pipeline: environment '" + clip(it.scalar) + "' appears twice (first at line " +
                               std::to_string(prev->second.line) + "); a pipeline cannot loop back");
          continue;
        }
        seen.emplace_back(it.scalar, it.pos);
        if (std::find(envNames.begin(), envNames.end(), it.scalar) == envNames.end()) {
          d_.error(it.pos, "pipeline: unknown environment '" + clip(it.scalar) + "'" + didYouMean(it.scalar, envNames) +
                               "; environments are " + quotedList(envNames));
          continue;
        }
        out.pipeline.push_back(it.scalar);
      }
    }
  } else {
    out.pipeline = envNames;
  }

  // All regions, for override checks.
  std::vector<std::string> regions;
  for (const auto& e : out.environments) {
    for (const auto& r : e.regions) {
      if (std::find(regions.begin(), regions.end(), r) == regions.end()) regions.push_back(r);
    }
  }

  // Services: names and override sections; the fields themselves are read
  // per environment and region by the loader (readService).
  for (const ConfigEntry* entry : namedEntries(f, "services", "service", "services: {web: {run: {command: bin/web}}}")) {
    const ConfigEntry& e = *entry;
    std::string path = "services." + e.key;
    if (!e.value.isMap()) {
      d_.error(e.value.isNull() ? e.keyPos : e.value.pos,
               path + ": expected a map with at least run.command, got " + e.value.describeKind());
      continue;
    }
    if (const ConfigNode* ov = e.value.find("overrides"); ov && !ov->isNull()) {
      if (expectMap(d_, *ov, path + ".overrides")) {
        Fields of(d_, *ov, path + ".overrides", keys::kOverrides);
        auto checkNames = [&](const char* kind, const std::vector<std::string>& valid, const char* what) {
          const ConfigNode* m = of.submap(kind);
          if (!m) return;
          for (const auto& oe : m->entries) {
            if (std::find(valid.begin(), valid.end(), oe.key) == valid.end()) {
              d_.error(oe.keyPos, of.path(kind) + ": unknown " + what + " '" + clip(oe.key) + "'" +
                                      didYouMean(oe.key, valid) + "; " + what + "s are " + quotedList(valid));
            }
            if (!oe.value.isMap() && !oe.value.isNull()) {
              d_.error(oe.value.pos, of.path(kind) + "." + oe.key + ": expected a map of service fields, got " +
                                         oe.value.describeKind());
            }
          }
        };
        checkNames("env", envNames, "environment");
        checkNames("region", regions, "region");
      }
    }
    out.services.push_back(ServiceDefinition{e.key, e.value});
  }
}

Service ModelReader::readService(const std::string& name, const ConfigNode& node, const std::string& context) {
  Service s;
  s.name = name;
  std::string path = "services." + name;
  d_.setContext(context);
  struct ClearContext {
    Diagnostics& d;
    ~ClearContext() { d.setContext(""); }
  } clear{d_};
  if (!expectMap(d_, node, path)) return s;
  Fields f(d_, node, path, keys::kService);
  if (const ConfigNode* o = node.find("overrides")) {
    d_.error(o->pos, path + ".overrides: overrides cannot be nested inside an override");
  }

  if (const ConfigNode* r = f.submap("release")) {
    Fields rf(d_, *r, f.path("release"), keys::kRelease);
    auto from = rf.string("from");
    auto build = rf.string("build");
    auto output = rf.string("output");
    if (from && build) {
      d_.error(rf.get("build")->pos, rf.path("build") + ": give either release.from (a directory) or release.build (a command), not both");
    } else if (!from && !build) {
      d_.error(r->pos, f.path("release") + ": needs 'from: DIR' or 'build: COMMAND' with 'output: DIR'");
    }
    if (build && !output) rf.missing("output", " (the directory the build command produces)");
    if (output && !build) d_.error(rf.get("output")->pos, rf.path("output") + ": only meaningful with release.build");
    for (auto* v : {&from, &output}) {
      if (*v && v->value().empty()) d_.error(r->pos, f.path("release") + ": empty directory name");
    }
    if (auto image = rf.string("image")) {
      if (!imageRefOk(*image)) {
        d_.error(rf.get("image")->pos, rf.path("image") + ": '" + clip(*image) +
                                           "' is not a machine image (ami-... or ssm:<parameter name>)");
      }
      s.release.image = *image;
    }
    if (from) s.release.from = *from;
    if (build) s.release.build = *build;
    if (output) s.release.output = *output;
  }

  if (const ConfigNode* r = f.submap("run")) {
    Fields rf(d_, *r, f.path("run"), keys::kRun);
    if (auto c = rf.string("command")) {
      if (c->empty()) d_.error(rf.get("command")->pos, rf.path("command") + ": must not be empty");
      rf.references("command", *rf.get("command"), rf.path("command"));
      s.run.command = *c;
    } else if (!rf.get("command")) {
      rf.missing("command", " (the program that runs an instance, e.g. bin/server)");
    }
    if (auto a = rf.strings("args")) {
      s.run.args = *a;
      const ConfigNode* an = rf.get("args");
      for (size_t i = 0; i < an->items.size(); ++i) {
        rf.references("args", an->items[i], rf.path("args") + "[" + std::to_string(i) + "]");
      }
    }
    if (const ConfigNode* e = rf.submap("env")) {
      for (const auto& entry : e->entries) {
        std::string p = rf.path("env") + "." + entry.key;
        bool nameOk = !entry.key.empty() && !std::isdigit(static_cast<unsigned char>(entry.key[0])) &&
                      std::all_of(entry.key.begin(), entry.key.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
        if (!nameOk) {
          d_.error(entry.keyPos, rf.path("env") + ": '" + clip(entry.key) + "' is not a valid variable name");
          continue;
        }
        if (entry.value.isNull()) {
          s.run.env[entry.key] = "";
        } else if (!entry.value.isScalar()) {
          d_.error(entry.value.pos, p + ": expected a string, got " + entry.value.describeKind());
        } else {
          rf.references("env", entry.value, p);
          s.run.env[entry.key] = entry.value.scalar;
        }
      }
    }
    if (auto pe = rf.string("port_env")) s.run.portEnv = *pe;
  } else if (!f.get("run")) {
    f.missing("run", " (how an instance runs: run: {command: ...})");
  }

  if (const ConfigNode* h = f.submap("health")) {
    HealthCheck hc;
    Fields hf(d_, *h, f.path("health"), keys::kHealth);
    if (auto p = hf.string("path")) {
      if (p->empty() || (*p)[0] != '/') {
        d_.error(hf.get("path")->pos, hf.path("path") + ": '" + clip(*p) + "' must start with '/'");
      }
      hc.path = *p;
    }
    if (auto v = hf.duration("interval")) {
      if (*v <= milliseconds(0)) d_.error(hf.get("interval")->pos, hf.path("interval") + ": must be more than 0s");
      hc.interval = *v;
    }
    if (auto v = hf.duration("timeout")) {
      if (*v <= milliseconds(0)) d_.error(hf.get("timeout")->pos, hf.path("timeout") + ": must be more than 0s");
      hc.timeout = *v;
    }
    if (hc.timeout > hc.interval && (hf.get("timeout") || hf.get("interval"))) {
      const ConfigNode* at = hf.get("timeout") ? hf.get("timeout") : hf.get("interval");
      d_.error(at->pos, hf.path("timeout") + ": " + formatDuration(hc.timeout) + " is longer than the interval " +
                            formatDuration(hc.interval));
    }
    if (auto v = hf.integer("healthy_threshold", 1, 100)) hc.healthyThreshold = static_cast<int>(*v);
    if (auto v = hf.integer("unhealthy_threshold", 1, 100)) hc.unhealthyThreshold = static_cast<int>(*v);
    s.health = hc;
  }

  if (auto n = f.integer("instances", 1, 1000)) s.instances = static_cast<int>(*n);
  if (const ConfigNode* sc = f.submap("scaling")) {
    // min <= instances <= max; exactly one target, more than 0.
    Fields cf(d_, *sc, f.path("scaling"), keys::kScaling);
    Scaling sg;
    auto mn = cf.integer("min", 1, 1000);
    auto mx = cf.integer("max", 1, 1000);
    if (!cf.get("min")) cf.missing("min", " (fewest instances)");
    if (!cf.get("max")) cf.missing("max", " (most instances)");
    if (mn) sg.min = static_cast<int>(*mn);
    if (mx) sg.max = static_cast<int>(*mx);
    if (mn && mx && *mn > *mx) {
      d_.error(cf.get("max")->pos, cf.path("max") + ": " + std::to_string(*mx) + " is less than min " +
                                       std::to_string(*mn));
    } else if (mn && mx && (s.instances < sg.min || s.instances > sg.max)) {
      const ConfigNode* at = f.get("instances") ? f.get("instances") : sc;
      d_.error(at->pos, f.path("instances") + ": " + std::to_string(s.instances) + " is outside scaling " +
                            std::to_string(sg.min) + ".." + std::to_string(sg.max) +
                            " (instances is the size of a first fleet)");
    }
    sg.targetRequestsPerInstance = cf.number("target_requests_per_instance", 0, 1e9);
    sg.targetCpu = cf.number("target_cpu", 0, 100);
    for (const char* key : {"target_requests_per_instance", "target_cpu"}) {
      std::optional<double> v = std::string(key) == "target_cpu" ? sg.targetCpu : sg.targetRequestsPerInstance;
      if (v && *v <= 0) d_.error(cf.get(key)->pos, cf.path(key) + ": must be more than 0");
    }
    if (cf.get("target_requests_per_instance") && cf.get("target_cpu")) {
      d_.error(cf.get("target_cpu")->pos, cf.path("target_cpu") +
                                              ": set either target_requests_per_instance or target_cpu, not both");
    } else if (!cf.get("target_requests_per_instance") && !cf.get("target_cpu")) {
      d_.error(sc->pos, f.path("scaling") + ": needs a target: target_requests_per_instance or target_cpu");
    }
    s.scaling = sg;
  }
  if (auto t = f.string("instance_type")) s.instanceType = *t;

  const ConfigNode* typeNode = nullptr;
  if (const ConfigNode* st = f.submap("strategy")) {
    Fields sf(d_, *st, f.path("strategy"), keys::kStrategy);
    if (auto t = sf.choice("type", keys::kStrategies)) s.strategy.type = *t;
    typeNode = sf.get("type") ? sf.get("type") : st;
    if (auto v = sf.duration("bake")) s.strategy.bake = *v;
    if (auto v = sf.string("smoke_test")) s.strategy.smokeTest = *v;
    if (auto v = sf.duration("deadline")) {
      if (*v <= milliseconds(0)) d_.error(sf.get("deadline")->pos, sf.path("deadline") + ": must be more than 0s");
      s.strategy.deadline = *v;
    }
    if (auto v = sf.duration("drain")) s.strategy.drain = *v;
    if (auto b = sf.choice("baseline", keys::kBaselines)) s.strategy.baseline = *b;
    if (const ConfigNode* p = sf.submap("pin")) {
      Fields pf(d_, *p, sf.path("pin"), keys::kPin);
      Pinning pin;
      if (auto h = pf.string("header")) pin.header = *h;
      if (auto c = pf.string("cookie")) pin.cookie = *c;
      if (pin.header.empty() && pin.cookie.empty()) {
        d_.error(p->pos, sf.path("pin") + ": needs a header or a cookie name");
      }
      s.strategy.pin = pin;
    }
    bool canary = s.strategy.type == "canary";
    if (auto v = sf.duration("weight_lease")) {
      if (*v != milliseconds(0) && (*v < milliseconds(1000) || *v > milliseconds(3600000))) {
        d_.error(sf.get("weight_lease")->pos, sf.path("weight_lease") + ": must be 0 (no lease) or between 1s and 1h");
      }
      s.strategy.weightLease = *v;
    }
    if (auto v = sf.choice("on_lease_expiry", keys::kOnLeaseExpiry)) s.strategy.onLeaseExpiry = *v;
    for (const char* key : {"weight_lease", "on_lease_expiry"}) {
      if (sf.get(key) && !canary) {
        d_.error(sf.get(key)->pos, sf.path(key) + ": the weight lease applies only to the canary strategy, not " +
                                       s.strategy.type);
      }
    }
    for (const char* key : {"steps", "hotfix_steps"}) {
      const ConfigNode* sn = sf.get(key);
      if (!sn) continue;
      if (!canary) {
        d_.error(sn->pos, sf.path(key) + ": steps apply only to the canary strategy, not " + s.strategy.type);
        continue;
      }
      auto steps = readSteps(d_, *sn, sf.path(key));
      if (sn->isSequence() && sn->items.empty()) d_.error(sn->pos, sf.path(key) + ": needs at least one step");
      else if (sn->isSequence() && std::none_of(steps.begin(), steps.end(), [](const Step& x) { return x.kind == Step::Kind::kWeight; }) &&
               steps.size() == sn->items.size()) {
        d_.error(sn->pos, sf.path(key) + ": needs at least one weight step");
      }
      // A fresh baseline gets the canary's weight too: stable keeps 100 - 2w.
      if (s.strategy.baseline == "fresh" && sn->isSequence()) {
        for (size_t i = 0; i < sn->items.size(); ++i) {
          const ConfigNode& it = sn->items[i];
          if (!it.isMap() || it.entries.size() != 1 || it.entries[0].key != "weight") continue;
          const ConfigNode& wn = it.entries[0].value;
          char* end = nullptr;
          long w = wn.isScalar() ? std::strtol(wn.scalar.c_str(), &end, 10) : 0;
          if (w > 50 && end && *end == '\0') {
            d_.error(wn.pos, sf.path(key) + "[" + std::to_string(i) + "].weight: " + std::to_string(w) +
                                 " is more than 50: with baseline: fresh the baseline fleet gets the canary's weight "
                                 "too and the stable fleet 100 - 2 x weight (the canary takes all traffic after the "
                                 "last step anyway)");
          }
        }
      }
      (std::string(key) == "steps" ? s.strategy.steps : s.strategy.hotfixSteps) = std::move(steps);
    }
    if (canary && !sf.get("steps")) {
      d_.error(typeNode->pos, sf.path("steps") + ": the canary strategy needs steps, e.g. [{weight: 10}, {weight: 100}]");
    }
  }
  if (s.strategy.type == "canary" && !s.health) {
    d_.error(typeNode ? typeNode->pos : node.pos,
             path + ": the canary strategy needs a health check (add health: {path: /healthz})");
  }

  if (const ConfigNode* a = f.submap("analysis")) {
    Fields af(d_, *a, f.path("analysis"), keys::kAnalysis);
    auto& an = s.analysis;
    if (auto v = af.number("max_false_rollback", 0.0001, 0.5)) an.maxFalseRollback = *v;
    if (auto v = af.integer("min_requests", 1, 100'000'000)) an.minRequests = static_cast<int>(*v);
    if (auto v = af.number("min_error_rate", 0, 1)) {
      if (*v >= 1) d_.error(af.get("min_error_rate")->pos, af.path("min_error_rate") + ": must be less than 1 (a rate, e.g. 0.0001)");
      an.minErrorRate = *v;
    }
    if (auto v = af.number("latency_tolerance", 0, 10)) an.latencyTolerance = *v;
    if (auto v = af.number("latency_deadline_tolerance", 0, 10)) an.latencyDeadlineTolerance = *v;
    if (auto v = af.number("pass_score", 0, 100)) an.passScore = *v;
    if (auto v = af.number("marginal_score", 0, 100)) an.marginalScore = *v;
    if (an.marginalScore > an.passScore) {
      const ConfigNode* at = af.get("marginal_score") ? af.get("marginal_score") : af.get("pass_score");
      if (at) d_.error(at->pos, af.path("marginal_score") + ": must not exceed pass_score");
    }
    if (auto v = af.number("max_false_pass", 0.0001, 0.5)) an.maxFalsePass = *v;
    if (auto v = af.number("error_rate_objective", 0, 1)) {
      if (*v >= 1) d_.error(af.get("error_rate_objective")->pos, af.path("error_rate_objective") + ": must be less than 1 (a rate, e.g. 0.005)");
      an.errorRateObjective = *v;
    }
    if (auto v = af.number("error_rate_tolerance", 0, 100)) an.errorRateTolerance = *v;
    if (auto v = af.choice("on_inconclusive", keys::kOnInconclusive)) an.onInconclusive = *v;
    if (auto v = af.duration("deadline")) {
      if (*v <= milliseconds(0)) d_.error(af.get("deadline")->pos, af.path("deadline") + ": must be more than 0s");
      an.deadline = *v;
    }
    if (const ConfigNode* g = af.submap("groups")) {
      for (const auto& e : g->entries) {
        std::string p = af.path("groups") + "." + e.key;
        double w = 0;
        const ConfigNode& v = e.value;
        const ScalarNumber r = readScalarNumber(v, w);
        if (r == ScalarNumber::kNotANumber) {
          d_.error(v.pos, p + ": expected a weight (a number 0..100), got " + v.describeKind());
          continue;
        }
        if (r == ScalarNumber::kUnrepresentable) {
          d_.error(v.pos, p + ": " + clip(v.scalar) + " cannot be represented (expected a number in 0..100)");
          continue;
        }
        if (w < 0 || w > 100) {
          d_.error(v.pos, p + ": " + v.scalar + " is out of range 0..100");
          continue;
        }
        an.groups[e.key] = w;
      }
      double sum = 0;
      for (const auto& [k, w] : an.groups) sum += w;
      if (sum > 100 + 1e-9) {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, sum);
        d_.error(g->pos, af.path("groups") + ": the weights sum to " + std::string(buf, r.ptr) + ", more than 100");
      }
    }
    if (const ConfigNode* pn = af.submap("prometheus")) {
      Fields pf(d_, *pn, af.path("prometheus"), keys::kPrometheus);
      PrometheusSource src;
      if (auto u = pf.string("url")) {
        if (u->rfind("http://", 0) != 0 && u->rfind("https://", 0) != 0)
          d_.error(pf.get("url")->pos, pf.path("url") + ": '" + clip(*u) + "' is not an http(s) URL");
        src.url = *u;
      } else if (!pf.get("url")) {
        pf.missing("url", " (the Prometheus server, e.g. http://127.0.0.1:9090)");
      }
      if (auto t = pf.duration("timeout")) {
        if (*t <= milliseconds(0) || *t > milliseconds(60000))
          d_.error(pf.get("timeout")->pos, pf.path("timeout") + ": must be more than 0s and at most 1m");
        src.timeout = *t;
      }
      an.prometheus = src;
    }
    af.eachMap("metrics", keys::kMetric, [&](const Fields& mf) {
      Metric metric;
      if (auto nm = mf.string("name")) metric.name = *nm;
      else if (!mf.get("name")) mf.missing("name");
      if (auto k = mf.choice("kind", keys::kMetricKinds)) metric.kind = *k;
      else if (!mf.get("kind")) mf.missing("kind", " (error_rate or latency)");
      if (auto c = mf.boolean("critical")) metric.critical = *c;
      if (auto w = mf.number("weight", 0.000001, 1000)) metric.weight = *w;
      if (auto g = mf.string("group")) {
        if (g->empty()) d_.error(mf.get("group")->pos, mf.path("group") + ": must not be empty");
        metric.group = *g;
      }
      if (auto dir = mf.choice("direction", keys::kDirections)) {
        if (metric.kind == "error_rate" && *dir != "increase")
          d_.error(mf.get("direction")->pos, mf.path("direction") +
                                                 ": an error rate can only regress by increasing (direction: increase)");
        metric.direction = *dir;
      }
      if (const ConfigNode* qn = mf.submap("prometheus")) {
        Fields qf(d_, *qn, mf.path("prometheus"), keys::kMetricQueries);
        MetricQueries q;
        for (auto [key, out] : {std::pair{"total", &q.total}, std::pair{"successes", &q.successes},
                                std::pair{"errors", &q.errors}, std::pair{"histogram", &q.histogram}}) {
          if (auto v = qf.string(key)) {
            auto names = QueryTemplate::placeholders(*v);
            if (v->find_first_not_of(" \t") == std::string::npos) {
              d_.error(qf.get(key)->pos, qf.path(key) + ": an empty query");
            } else if (!names) {
              d_.error(qf.get(key)->pos, qf.path(key) + ": " + names.error().message);
            } else if (std::none_of(names->begin(), names->end(),
                                    [](const std::string& n) { return n == "fleet" || n == "release"; })) {
              d_.error(qf.get(key)->pos, qf.path(key) +
                                             ": the query names no fleet: without {{fleet}} (or {{release}}) it "
                                             "measures the same series for the canary and the baseline");
            }
            *out = *v;
          }
        }
        if (metric.kind == "error_rate") {
          if (!qf.get("errors")) qf.missing("errors", " (a PromQL query counting the failures)");
          if (qf.get("total") && qf.get("successes"))
            d_.error(qf.get("successes")->pos, qf.path("successes") + ": give total or successes, not both");
          else if (!qf.get("total") && !qf.get("successes"))
            qf.missing("total", " (or successes: a PromQL query counting the requests)");
          if (qf.get("histogram"))
            d_.error(qf.get("histogram")->pos, qf.path("histogram") + ": only a latency metric has a histogram");
        } else if (metric.kind == "latency") {
          if (!qf.get("histogram")) qf.missing("histogram", " (a PromQL query of the histogram's le buckets)");
          for (const char* k : {"total", "successes", "errors"})
            if (qf.get(k)) d_.error(qf.get(k)->pos, qf.path(k) + ": a latency metric has only a histogram");
        }
        if (!an.prometheus)
          d_.error(qn->pos, mf.path("prometheus") + ": needs analysis.prometheus.url (the server to ask)");
        metric.prometheus = q;
      } else if (!metric.name.empty()) {
        // The router measures one error rate and one latency per fleet:
        // two metrics of one kind would judge the same numbers twice.
        for (const auto& prev : an.metrics)
          if (!prev.prometheus && prev.kind == metric.kind && !metric.kind.empty())
            d_.error(mf.map().pos, mf.location() + ": metric '" + metric.name + "' and '" + prev.name +
                                          "' would both read the router's " + metric.kind +
                                          " (give one of them prometheus: queries)");
      }
      for (const auto& prev : an.metrics) {
        if (!metric.name.empty() && prev.name == metric.name) {
          d_.error(mf.get("name")->pos, mf.location() + ".name: metric '" + metric.name + "' is listed twice");
        }
      }
      an.metrics.push_back(metric);
    });
  }
  if (s.analysis.metrics.empty()) {
    s.analysis.metrics = {Metric{"error_rate", "error_rate", true, 1.0, {}, {}, {}},
                          Metric{"latency", "latency", false, 1.0, {}, {}, {}}};
  }
  if (const ConfigNode* a = f.get("analysis"); a && a->isMap() && !s.analysis.groups.empty()) {
    const ConfigNode* g = a->find("groups");
    for (const auto& [name, w] : s.analysis.groups) {
      bool used = std::any_of(s.analysis.metrics.begin(), s.analysis.metrics.end(), [&](const Metric& m) {
        return (m.group.empty() ? m.name : m.group) == name;
      });
      if (!used && g) {
        const ConfigNode* gn = g->find(name);
        d_.error(gn ? gn->pos : g->pos, f.path("analysis") + ".groups." + name + ": no metric is in group '" + name + "'");
      }
    }
  }
  // An analysis step without its own duration collects until analysis.deadline.
  for (auto [list, steps] : {std::pair{"steps", &s.strategy.steps}, std::pair{"hotfix_steps", &s.strategy.hotfixSteps}}) {
    for (size_t i = 0; i < steps->size(); ++i) {
      auto& st = (*steps)[i];
      if (st.kind != Step::Kind::kAnalysis || st.analysisDuration > milliseconds(0)) continue;
      st.analysisDuration = s.analysis.deadline;
      if (st.analysisInterval > st.analysisDuration) {
        const ConfigNode* at = typeNode ? typeNode : &node;
        d_.error(at->pos, path + ".strategy." + list + "[" + std::to_string(i) + "].analysis.interval: " +
                              formatDuration(st.analysisInterval) + " is longer than the step's deadline, analysis.deadline (" +
                              formatDuration(st.analysisDuration) + ")");
      }
    }
  }

  f.eachMap("alerts", keys::kAlert, [&](const Fields& af) {
    Alert alert;
    const ConfigNode* wn = af.get("webhook");
    const ConfigNode* sn = af.get("sns");
    if (wn && sn) {
      d_.error(sn->pos, af.path("sns") + ": an alert has either webhook or sns, not both");
    } else if (sn) {
      if (auto arn = af.string("sns")) {
        if (!snsTopicArn(*arn)) {
          d_.error(sn->pos, af.path("sns") + ": '" + clip(*arn) +
                                "' is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)");
        }
        alert.sns = *arn;
      }
      if (const ConfigNode* secn = af.get("secret")) {
        d_.error(secn->pos, af.path("secret") + ": only a webhook alert is signed; an sns alert has no secret");
      }
      s.alerts.push_back(alert);
      return;
    }
    if (auto w = af.string("webhook")) {
      af.references("webhook", *af.get("webhook"), af.path("webhook"));
      bool http = w->rfind("http://", 0) == 0 || w->rfind("https://", 0) == 0 || w->rfind("${", 0) == 0;
      if (!http) d_.error(af.get("webhook")->pos, af.path("webhook") + ": '" + clip(*w) + "' is not an http(s) URL");
      alert.webhook = *w;
    } else if (!af.get("webhook")) {
      af.missing("webhook", " (an http(s) URL, or sns: a topic ARN)");
    }
    if (auto sec = af.string("secret")) {
      const ConfigNode* sn = af.get("secret");
      auto probs = checkReferences(*sec);
      auto refs = findReferences(*sec);
      if (!probs.empty()) {
        af.references("secret", *sn, af.path("secret"));
      } else if (refs.size() != 1 || refs[0].offset != 0 ||
                 *sec != "${" + refs[0].scheme + ":" + refs[0].name + "}") {
        d_.error(sn->pos, af.path("secret") + ": must be a reference such as ${secret:NAME}, never the secret itself");
      }
      alert.secret = *sec;
    }
    s.alerts.push_back(alert);
  });
  return s;
}

void mergeInto(ConfigNode& base, const ConfigNode& over) {
  if (base.isMap() && over.isMap()) {
    for (const auto& e : over.entries) {
      if (ConfigNode* b = base.find(e.key)) {
        mergeInto(*b, e.value);
      } else {
        base.entries.push_back(e);
      }
    }
    return;
  }
  base = over;
}

ConfigNode effectiveTree(const ServiceDefinition& def, const std::string& env, const std::string& region) {
  ConfigNode out = def.node;
  const ConfigNode* ov = def.node.find("overrides");
  std::erase_if(out.entries, [](const ConfigEntry& e) { return e.key == "overrides"; });
  if (!ov || !ov->isMap()) return out;
  if (const ConfigNode* byEnv = ov->find("env"); byEnv && byEnv->isMap()) {
    if (const ConfigNode* o = byEnv->find(env); o && o->isMap()) mergeInto(out, *o);
  }
  if (const ConfigNode* byRegion = ov->find("region"); byRegion && byRegion->isMap()) {
    if (const ConfigNode* o = byRegion->find(region); o && o->isMap()) mergeInto(out, *o);
  }
  return out;
}

}  // namespace ramp::config
