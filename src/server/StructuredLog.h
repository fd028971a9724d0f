// StructuredLog.h — the controller's log lines: one JSON object per line
// for machines, or the familiar "<time> controller: <msg>" for people.
//
// The format is chosen once: RAMP_LOG_FORMAT=json|text wins; otherwise
// text when the stream's file descriptor is a terminal, JSON when it is not
// (a log file, a pipe, journald). A JSON line always has "time" (ISO 8601
// UTC, milliseconds), "level" (info|warn|error), "component" and "msg", plus
// "deployment", "service" and "env" when the line concerns a deployment
// (empty context fields are left out). Text lines append the context as
// "[deployment=... service=... env=...]". One write per line, under a mutex,
// so lines from different threads never interleave.
#pragma once

#include <mutex>
#include <ostream>
#include <string>

#include "core/Clock.h"

namespace ramp::server {

struct LogContext {
  std::string deployment;
  std::string service;
  std::string env;
};

class StructuredLog {
 public:
  enum class Format { kText, kJson };

  // RAMP_LOG_FORMAT if set to json or text, else by isatty(fd).
  static Format detect(int fd);

  StructuredLog(std::ostream& out, Format format, Clock& clock, std::string component);

  void info(const std::string& msg, const LogContext& ctx = {}) { write("info", msg, ctx); }
  void warn(const std::string& msg, const LogContext& ctx = {}) { write("warn", msg, ctx); }
  void error(const std::string& msg, const LogContext& ctx = {}) { write("error", msg, ctx); }
  void write(const std::string& level, const std::string& msg, const LogContext& ctx);

  // One line, without the newline (pure; for tests).
  std::string format(WallTime time, const std::string& level, const std::string& msg, const LogContext& ctx) const;

  // The controller's log on stderr (format detected on first use).
  static StructuredLog& controller();

 private:
  std::ostream& out_;
  Format format_;
  Clock& clock_;
  std::string component_;
  std::mutex mu_;
};

}  // namespace ramp::server
