#include "cli/ProgressText.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "store/AuditQuery.h"

namespace ramp::cli {

using nlohmann::json;

namespace {

const json& progressOf(const json& d) {
  static const json none = json::object();
  return d.is_object() && d.contains("progress") && d["progress"].is_object() ? d["progress"] : none;
}

double num(const json& o, const char* k, double dflt = NAN) {
  return o.is_object() && o.contains(k) && o[k].is_number() ? o[k].get<double>() : dflt;
}

std::string percent(double rate) {
  if (std::isnan(rate)) return "-";
  double p = 100 * rate;
  if (p == 0) return "0%";
  if (p < 0.1) return fmt::format("{:.3f}%", p);
  if (p < 10) return fmt::format("{:.1f}%", p);
  return fmt::format("{:.0f}%", p);
}

std::string compact(double v) {
  if (std::isnan(v)) return "-";
  if (std::fabs(v) >= 1e5) return fmt::format("{:.2g}", v);
  if (std::fabs(v) >= 100) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2g}", v);
}

// A count of requests or errors: whole, "-" when unknown.
std::string count(double v) { return std::isnan(v) ? "-" : fmt::format("{:.0f}", v); }

}  // namespace

std::string shortDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 10000) return fmt::format("{:.1f}s", ms / 1000.0);
  if (ms < 120000) return fmt::format("{}s", ms / 1000);
  if (ms < 7200000) return fmt::format("{}m{:02}s", ms / 60000, (ms / 1000) % 60);
  return fmt::format("{}h{:02}m", ms / 3600000, (ms / 60000) % 60);
}

std::string stepText(const json& d) {
  const json& p = progressOf(d);
  int steps = p.value("steps", d.value("steps", 0));
  if (steps <= 0) return "";
  int step = p.value("step", std::min(d.value("step", 0), steps));
  std::string name = p.contains("step_name") && p["step_name"].is_string() ? p["step_name"].get<std::string>() : "";
  return fmt::format("step {}/{}{}", step, steps, name.empty() ? "" : " " + name);
}

std::string labelOf(const json& d) {
  const json& p = progressOf(d);
  if (p.contains("label") && p["label"].is_string() && !p["label"].get<std::string>().empty()) {
    return p["label"].get<std::string>();
  }
  return d.value("state", "");
}

std::string activityText(const json& d) {
  const json& p = progressOf(d);
  std::string text = p.value("activity", "");
  if (p.contains("next_look_in_ms") && p["next_look_in_ms"].is_number()) {
    int looks = p.contains("judge_looks") && p["judge_looks"].is_number() ? p["judge_looks"].get<int>() : 0;
    text += fmt::format("; {} look{} so far, next in {}", looks, looks == 1 ? "" : "s",
                        shortDuration(p["next_look_in_ms"].get<int64_t>()));
  }
  return text;
}

std::vector<std::string> judgeLines(const json& verdict) {
  std::vector<std::string> out;
  if (!verdict.is_object() || !verdict.contains("metrics") || !verdict["metrics"].is_array()) return out;
  for (const auto& m : verdict["metrics"]) {
    if (!m.is_object()) continue;
    const json& st = m.contains("stats") && m["stats"].is_object() ? m["stats"] : json::object();
    const json& c = st.contains("canary") && st["canary"].is_object() ? st["canary"] : json::object();
    const json& b = st.contains("baseline") && st["baseline"].is_object() ? st["baseline"] : json::object();
    std::string line = fmt::format("{:<12}", m.value("name", ""));
    std::string kind = m.value("kind", "");
    if (c.contains("rate") || c.contains("errors")) {
      line += fmt::format(" canary {} ({}/{})  baseline {} ({}/{})", percent(num(c, "rate")), c.value("errors", 0),
                          c.value("requests", 0), percent(num(b, "rate")), b.value("errors", 0), b.value("requests", 0));
      double lrFail = num(st, "likelihood_ratio_fail"), failAt = num(st, "fail_threshold");
      double passE = num(st, "pass_evidence"), passAt = num(st, "pass_threshold");
      if (!std::isnan(lrFail) && !std::isnan(failAt)) {
        line += fmt::format("  evidence to fail {}/{}", compact(lrFail), compact(failAt));
        if (!std::isnan(passE) && !std::isnan(passAt)) line += fmt::format(", to pass {}/{}", compact(passE), compact(passAt));
      }
    } else if (c.contains("median_ms") || kind == "latency") {
      line += fmt::format(" canary p50 {} ms p99 {} ms (n {})  baseline p50 {} ms p99 {} ms (n {})",
                          compact(num(c, "median_ms")), compact(num(c, "p99_ms")), c.value("n", 0),
                          compact(num(b, "median_ms")), compact(num(b, "p99_ms")), b.value("n", 0));
      double z = num(st, "z"), bz = num(st, "boundary_z");
      if (!std::isnan(z) && !std::isnan(bz)) line += fmt::format("  z {} of ±{}", compact(z), compact(bz));
    }
    std::string cls = m.value("classification", "");
    if (!cls.empty()) line += "  " + cls;
    out.push_back(line);
  }
  // The judge's progress (the engine's numbers of this look, judge #17):
  // canary requests seen, how many it needs to decide, when at the current
  // rate, and whether that is within the step's deadline.
  const json* fc = nullptr;
  const json* pr = verdict.contains("progress") && verdict["progress"].is_object() ? &verdict["progress"] : nullptr;
  if (pr && pr->contains("forecast") && (*pr)["forecast"].is_object()) {
    fc = &(*pr)["forecast"];
  } else if (verdict.contains("details") && verdict["details"].is_object() && verdict["details"].contains("forecast") &&
             verdict["details"]["forecast"].is_object()) {
    fc = &verdict["details"]["forecast"];
  }
  std::string what = fc && (*fc).contains("decision") && (*fc)["decision"].is_string()
                         ? "a " + (*fc)["decision"].get<std::string>() : std::string("a decision");
  double more = fc ? num(*fc, "requests") : std::nan("");
  double secs = fc ? num(*fc, "seconds") : std::nan("");
  if (pr && (*pr).contains("canary") && (*pr)["canary"].is_object()) {
    const json& c = (*pr)["canary"];
    double seen = num(c, "requests");
    std::string line = fmt::format("judge: {} canary requests seen ({} errors, {}/s)", count(seen),
                                   count(num(c, "errors")), compact(num(c, "per_second")));
    // Decided (pass, fail, inconclusive): what it saw and what it decided;
    // "needed" and "left" belong to a judge still looking.
    const std::string decided = verdict.value("verdict", "") == "continue" ? "" : verdict.value("verdict", "");
    if (!decided.empty()) {
      line += "; decided: " + decided;
    } else if (!std::isnan(more) && more <= 0) {
      line += fmt::format(", enough for {}", what);
    } else if (!std::isnan(more)) {
      line += fmt::format(", ~{} needed for {}", count(seen + more), what);
      if (!std::isnan(secs)) line += fmt::format(" in ~{}", shortDuration(static_cast<int64_t>(secs * 1000)));
    }
    double left = decided.empty() ? num(*pr, "deadline_in_s") : std::nan("");
    if (!std::isnan(left)) {
      line += fmt::format("; {} left in the step", shortDuration(static_cast<int64_t>(left * 1000)));
      if (fc && (*fc).contains("within_deadline") && (*fc)["within_deadline"].is_boolean() &&
          !(*fc)["within_deadline"].get<bool>()) {
        line += " (not enough traffic to decide in time";
        double w = num(*fc, "weight_for_deadline");
        line += std::isnan(w) ? ")" : fmt::format(": {}% would be)", count(w));
      }
    }
    out.push_back(line);
  } else if (fc) {
    if (!std::isnan(secs)) {
      out.push_back(fmt::format("forecast: {} in ~{}", what, shortDuration(static_cast<int64_t>(secs * 1000))));
    } else if (!std::isnan(more)) {
      out.push_back(fmt::format("forecast: {} after ~{:.0f} more canary requests", what, more));
    }
  }
  return out;
}

std::string ageOf(const json& iso, WallTime now) {
  if (!iso.is_string()) return "";
  auto ms = store::AuditQuery::parseSince(iso.get<std::string>(), SystemClock::instance());
  if (!ms) return "";
  int64_t d = toUnixMillis(now) - *ms;
  if (d < 0) d = 0;
  if (d < 60000) return fmt::format("{}s", d / 1000);
  if (d < 3600000) return fmt::format("{}m", d / 60000);
  if (d < 86400000) return fmt::format("{}h", d / 3600000);
  return fmt::format("{}d", d / 86400000);
}

std::string clockTime(WallTime t) {
  std::time_t secs = static_cast<std::time_t>(toUnixMillis(t) / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace ramp::cli
