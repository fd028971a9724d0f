#include "cli/Terminal.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ramp::cli {

namespace {
std::atomic<Terminal::Mode> gMode{Terminal::Mode::kAuto};

bool termIsDumb(const char* term) { return term != nullptr && std::strcmp(term, "dumb") == 0; }

const char* escapeOf(Terminal::Style s) {
  switch (s) {
    case Terminal::Style::kBold: return "\x1b[1m";
    case Terminal::Style::kDim: return "\x1b[2m";
    case Terminal::Style::kRed: return "\x1b[31m";
    case Terminal::Style::kGreen: return "\x1b[32m";
    case Terminal::Style::kYellow: return "\x1b[33m";
    case Terminal::Style::kCyan: return "\x1b[36m";
  }
  return "";
}
}  // namespace

std::optional<Terminal::Mode> Terminal::parseMode(std::string_view text) {
  if (text == "auto") return Mode::kAuto;
  if (text == "always") return Mode::kAlways;
  if (text == "never") return Mode::kNever;
  return std::nullopt;
}

void Terminal::setMode(Mode mode) { gMode.store(mode); }
Terminal::Mode Terminal::mode() { return gMode.load(); }

bool Terminal::decide(Mode mode, bool isTerminal, const char* noColor, const char* term) {
  if (mode == Mode::kAlways) return true;
  if (mode == Mode::kNever) return false;
  if (noColor != nullptr && noColor[0] != '\0') return false;
  if (termIsDumb(term)) return false;
  return isTerminal;
}

bool Terminal::colourOn(int fd) {
  return decide(mode(), ::isatty(fd) == 1, std::getenv("NO_COLOR"), std::getenv("TERM"));
}

bool Terminal::redrawOn(int fd) { return ::isatty(fd) == 1 && !termIsDumb(std::getenv("TERM")); }

std::string Terminal::paint(int fd, Style style, std::string_view text) {
  if (!colourOn(fd)) return std::string(text);
  return std::string(escapeOf(style)) + std::string(text) + "\x1b[0m";
}

std::string Terminal::paintState(int fd, std::string_view state) {
  if (state == "succeeded") return paint(fd, Style::kGreen, state);
  if (state == "failed" || state == "rolled_back" || state == "aborted") return paint(fd, Style::kRed, state);
  if (state == "paused" || state == "awaiting_approval") return paint(fd, Style::kYellow, state);
  if (state == "rolling_back") return paint(fd, Style::kRed, state);
  if (state == "running" || state == "queued" || state == "baking" || state == "retiring") {
    return paint(fd, Style::kCyan, state);
  }
  return std::string(state);
}

}  // namespace ramp::cli
