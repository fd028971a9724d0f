#include "server/StructuredLog.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

namespace ramp::server {

StructuredLog::Format StructuredLog::detect(int fd) {
  if (const char* f = std::getenv("RAMP_LOG_FORMAT")) {
    std::string v = f;
    if (v == "json") return Format::kJson;
    if (v == "text") return Format::kText;
  }
  return isatty(fd) ? Format::kText : Format::kJson;
}

StructuredLog::StructuredLog(std::ostream& out, Format format, Clock& clock, std::string component)
    : out_(out), format_(format), clock_(clock), component_(std::move(component)) {}

std::string StructuredLog::format(WallTime time, const std::string& level, const std::string& msg,
                                  const LogContext& ctx) const {
  if (format_ == Format::kJson) {
    nlohmann::ordered_json j;
    j["time"] = formatTime(time);
    j["level"] = level;
    j["component"] = component_;
    j["msg"] = msg;
    if (!ctx.deployment.empty()) j["deployment"] = ctx.deployment;
    if (!ctx.service.empty()) j["service"] = ctx.service;
    if (!ctx.env.empty()) j["env"] = ctx.env;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = formatTime(time) + " " + component_ + ": ";
  if (level != "info") line += level + ": ";
  line += msg;
  std::string c;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) c += std::string(c.empty() ? "" : " ") + k + "=" + v;
  };
  add("deployment", ctx.deployment);
  add("service", ctx.service);
  add("env", ctx.env);
  if (!c.empty()) line += " [" + c + "]";
  return line;
}

void StructuredLog::write(const std::string& level, const std::string& msg, const LogContext& ctx) {
  std::string line = format(clock_.now(), level, msg, ctx) + "\n";
  std::lock_guard lock(mu_);
  out_ << line << std::flush;
}

StructuredLog& StructuredLog::controller() {
  static StructuredLog log(std::cerr, detect(2), SystemClock::instance(), "controller");
  return log;
}

}  // namespace ramp::server
