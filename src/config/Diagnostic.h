// Diagnostic.h — one positioned problem in a configuration.
//
// `ramp validate` prints each as `FILE:LINE:COL: error: MESSAGE` (format()).
// The loader collects all of them (Diagnostics), never just the first.
#pragma once

#include <string>

namespace ramp::config {

struct Diagnostic {
  std::string file;
  int line = 1;
  int col = 1;
  std::string message;

  // "FILE:LINE:COL: error: MESSAGE"
  std::string format() const;
  bool operator==(const Diagnostic&) const = default;
};

}  // namespace ramp::config
