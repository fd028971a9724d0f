// Terminal.h — the one decision whether ramp writes ANSI escapes (colour,
// or redrawing the screen in place) to an output stream.
//
// Contract:
//   - colourOn(fd): with --color=always, yes; with --color=never (or
//     --no-color), no; otherwise (auto, the default) only when fd is a
//     terminal, $NO_COLOR is unset or empty (no-color.org) and $TERM is not
//     "dumb". --color=always wins over NO_COLOR (a per-invocation flag
//     overrides the environment, as no-color.org asks).
//   - redrawOn(fd): clearing and redrawing the screen (status --watch) only
//     on a terminal whose $TERM is not "dumb"; never decided by colour flags.
//   - paint(fd, style, text): text wrapped in the style's escape and a reset
//     when colourOn(fd), else text unchanged.
// Every escape the CLI prints goes through this class; the mode is set once
// by main() from the global --color / --no-color flags before a command runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ramp::cli {

class Terminal {
 public:
  enum class Mode { kAuto, kAlways, kNever };
  enum class Style { kBold, kDim, kRed, kGreen, kYellow, kCyan };

  // "auto" | "always" | "never"; nullopt for anything else.
  static std::optional<Mode> parseMode(std::string_view text);
  static void setMode(Mode mode);
  static Mode mode();

  // The pure rule, for a stream that is (or is not) a terminal, given the
  // values of $NO_COLOR and $TERM (nullptr when unset).
  static bool decide(Mode mode, bool isTerminal, const char* noColor, const char* term);

  static bool colourOn(int fd);
  static bool redrawOn(int fd);
  static std::string paint(int fd, Style style, std::string_view text);
  // The colour of a deployment state: green succeeded, red failed /
  // rolled_back / aborted / rolling_back, yellow waiting on a person, cyan
  // in progress (running, queued, baking, retiring).
  static std::string paintState(int fd, std::string_view state);
};

}  // namespace ramp::cli
