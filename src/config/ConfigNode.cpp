#include "config/ConfigNode.h"

namespace ramp::config {

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

std::string ConfigNode::describeKind() const {
  switch (kind) {
    case Kind::kNull: return "nothing (null)";
    case Kind::kScalar: return quoted ? "the string \"" + scalar.substr(0, 40) + "\"" : "'" + scalar.substr(0, 40) + "'";
    case Kind::kSequence: return "a list";
    case Kind::kMap: return "a map";
  }
  return "?";
}

}  // namespace ramp::config
