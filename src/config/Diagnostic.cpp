#include "config/Diagnostic.h"

namespace ramp::config {

std::string Diagnostic::format() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + message;
}

}  // namespace ramp::config
