// Log lines: exact JSON and text forms, context fields, escaping, and that
// RAMP_LOG_FORMAT overrides the terminal check.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "server/StructuredLog.h"

using ramp::ManualClock;
using ramp::server::LogContext;
using ramp::server::StructuredLog;

TEST(StructuredLog, JsonLineHasTimeLevelMsgAndDeploymentContext) {
  std::ostringstream out;
  ManualClock clock(ramp::fromUnixMillis(1'700'000'000'123));
  StructuredLog log(out, StructuredLog::Format::kJson, clock, "controller");
  log.info("deployment d-1 submitted \"quoted\"\nnext", LogContext{"d-1", "crawler", "prod"});
  log.error("tick: store gone");
  std::string text = out.str();
  auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(text.substr(0, nl),
            "{\"time\":\"" + ramp::formatTime(clock.now()) +
                "\",\"level\":\"info\",\"component\":\"controller\",\"msg\":\"deployment d-1 submitted "
                "\\\"quoted\\\"\\nnext\",\"deployment\":\"d-1\",\"service\":\"crawler\",\"env\":\"prod\"}");
  auto second = nlohmann::json::parse(text.substr(nl + 1));
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["msg"], "tick: store gone");
  EXPECT_FALSE(second.contains("deployment"));
  EXPECT_EQ(text.back(), '\n');
}

TEST(StructuredLog, TextLineForPeople) {
  std::ostringstream out;
  ManualClock clock(ramp::fromUnixMillis(1'700'000'000'000));
  StructuredLog log(out, StructuredLog::Format::kText, clock, "controller");
  log.info("serving", {});
  log.warn("slow", LogContext{"d-2", "", "int"});
  EXPECT_EQ(out.str(), ramp::formatTime(clock.now()) + " controller: serving\n" + ramp::formatTime(clock.now()) +
                           " controller: warn: slow [deployment=d-2 env=int]\n");
}

TEST(StructuredLog, EnvironmentVariableOverridesTerminalDetection) {
  setenv("RAMP_LOG_FORMAT", "json", 1);
  EXPECT_EQ(StructuredLog::detect(2), StructuredLog::Format::kJson);
  setenv("RAMP_LOG_FORMAT", "text", 1);
  EXPECT_EQ(StructuredLog::detect(2), StructuredLog::Format::kText);
  unsetenv("RAMP_LOG_FORMAT");
  // Under ctest stderr is not a terminal.
  EXPECT_EQ(StructuredLog::detect(2), isatty(2) ? StructuredLog::Format::kText : StructuredLog::Format::kJson);
}
