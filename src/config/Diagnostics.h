// Diagnostics.h — the list of problems found while loading a configuration.
//
// Holds the names of the files being read (ConfigNode positions index into
// it) and every Diagnostic reported so far, de-duplicated (the same override
// checked for several regions reports once), sorted by file then position.
#pragma once

#include <string>
#include <vector>

#include "config/ConfigNode.h"
#include "config/Diagnostic.h"

namespace ramp::config {

class Diagnostics {
 public:
  // Registers a file name; returns its index for Position::file.
  uint32_t addFile(std::string name);
  const std::vector<std::string>& files() const { return files_; }

  // Errors reported while a context is set (e.g. "environment prod, region
  // local" while checking a service with its overrides) are merged: the same
  // error found in every context is shown once without one; otherwise the
  // contexts it was found in are appended: " (in environment prod, ...)".
  void setContext(std::string context);

  void error(const Position& pos, std::string message);
  void error(uint32_t file, int line, int col, std::string message);
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  // Sorted by file order, line, column; duplicates removed.
  std::vector<Diagnostic> sorted() const;
  // Every error as reported (position and message, no context), in order.
  struct Positioned {
    Position pos;
    std::string message;
  };
  std::vector<Positioned> positioned() const;
  // "FILE:LINE" of a position, for "first defined at ..." hints.
  std::string where(const Position& pos) const;

 private:
  struct Entry {
    Position pos;
    std::string message;
    std::string context;
  };
  std::vector<std::string> files_;
  std::string context_;
  std::vector<std::string> contexts_;  // every context set, in order
  std::vector<Entry> list_;
};

}  // namespace ramp::config
