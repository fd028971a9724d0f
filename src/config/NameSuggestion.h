// NameSuggestion.h — "did you mean ...?" for misspelt keys and names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ramp::config {

// The candidate closest to `word` by edit distance (a swap of two neighbours
// counts as one edit), if it is close enough
// (at most a third of the word's length, at least 1, at most 3 edits).
std::optional<std::string> closestName(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

// "'a', 'b', 'c'" — for "valid names are ..." messages.
std::string quotedList(const std::vector<std::string>& names);

// How an unknown name is reported: "unknown WHAT 'NAME' (did you mean
// 'x'?); PLURAL are 'a', 'b'" (e.g. what "service", plural "services").
std::string unknownName(std::string_view what, std::string_view name, const std::vector<std::string>& known,
                        std::string_view plural);

}  // namespace ramp::config
