// ConfigNode.h — a YAML document as ramp's config layer sees it.
//
// yaml-cpp's node graph is converted once (YamlReader) into this small tree
// of plain values: every node keeps the file, line and column it came from,
// so every later check (types, names, overrides, merges of several files)
// can report a positioned error. Aliases are expanded into copies during the
// conversion, under a node budget, so the tree is always a finite tree.
// Positions are 1-based. `file` indexes the loader's list of file names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ramp::config {

struct Position {
  uint32_t file = 0;
  int line = 1;
  int col = 1;
};

struct ConfigEntry;

struct ConfigNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  Position pos;
  std::string scalar;            // kScalar: the text
  bool quoted = false;           // kScalar: written quoted (a string, never a number or bool)
  std::vector<ConfigNode> items;     // kSequence
  std::vector<ConfigEntry> entries;  // kMap, in document order; keys are unique

  bool isNull() const { return kind == Kind::kNull; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isSequence() const { return kind == Kind::kSequence; }
  bool isMap() const { return kind == Kind::kMap; }
  // kMap: the value of `key`, or nullptr.
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  // "a map", "a list", "a string", "null": for "expected X, got Y" messages.
  std::string describeKind() const;
};

struct ConfigEntry {
  std::string key;
  Position keyPos;
  ConfigNode value;
};

}  // namespace ramp::config
