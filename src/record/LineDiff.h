// LineDiff.h — a unified diff of two configurations (pure), for people:
// `ramp config diff`, the dry run of `ramp config push`, and the audit of a
// push (which carries the PushImpact summary, not the text).
//
//   unifiedDiff(a, b, labelA, labelB)  "--- labelA/NAME" / "+++ labelB/NAME"
//   per file that differs, hunks with 3 lines of context; a file only on
//   one side is all removed / all added. Empty when the bundles are equal.
//   Files whose line product exceeds 16 million are reported as changed
//   without hunks (bounded time and memory).
#pragma once

#include <string>

#include "record/ConfigBundle.h"

namespace ramp::record {

std::string unifiedDiff(const ConfigBundle& a, const ConfigBundle& b, const std::string& labelA,
                        const std::string& labelB);

}  // namespace ramp::record
