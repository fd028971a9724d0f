// YamlReader.h — YAML text to a ConfigNode tree, safely.
//
// The only place that touches yaml-cpp. Contract: never throws, never
// crashes, ends quickly on any input, and reports every failure as a
// positioned error in the given Diagnostics:
//   - YAML syntax errors (yaml-cpp's own mark), including its nesting guard;
//   - more than one document in a file;
//   - nesting deeper than kMaxDepth levels;
//   - more than kMaxNodes nodes after expanding aliases (defeats
//     "billion laughs" alias bombs, which yaml-cpp stores as shared nodes);
//   - non-scalar or duplicate map keys.
// Size limits are the loader's job (ConfigLoader).
#pragma once

#include <optional>
#include <string_view>

#include "config/ConfigNode.h"
#include "config/Diagnostics.h"

namespace ramp::config {

class YamlReader {
 public:
  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxNodes = 250'000;

  // Parses `text` (file index `file` in `diags`). Returns the root node
  // (kNull for an empty document), or nullopt after reporting why not.
  static std::optional<ConfigNode> read(std::string_view text, uint32_t file, Diagnostics& diags);
};

}  // namespace ramp::config
