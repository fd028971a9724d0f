// Reference.h — ${env:NAME} and ${secret:NAME} inside configuration strings.
//
// Secrets and variables appear in the config only by reference. They are
// checked for syntax when the config loads (positioned errors), kept
// unresolved in the model, in `ramp render` output, in digests, in the store
// and in logs, and resolved only when an instance starts (expandReferences).
//
// Syntax: `${SCHEME:NAME}` with SCHEME `env` (NAME [A-Za-z_][A-Za-z0-9_]*)
// or `secret` (NAME [A-Za-z0-9_.-]+, see SecretStore.h). `$${` stands for a
// literal `${`. Any other `$` is literal.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"

namespace ramp::config {

struct Reference {
  std::string scheme;  // "env" | "secret"
  std::string name;
  size_t offset = 0;   // of the '$' in the text
};

struct ReferenceProblem {
  size_t offset = 0;   // of the offending '${' in the text
  std::string message;
};

// Every syntax problem in `text` (unknown scheme, empty name, bad name,
// unclosed `${`). Empty when the text is fine.
std::vector<ReferenceProblem> checkReferences(std::string_view text);

// The well-formed references in `text`, in order.
std::vector<Reference> findReferences(std::string_view text);

// Resolves references: env from the process environment, secrets from the
// secret store of `home` (SecretStore). Fails naming the first reference that
// is malformed or missing; the error never contains a resolved value.
Result<std::string> expandReferences(std::string_view text, const std::filesystem::path& home);

// The same with an explicit lookup (scheme, name) -> value, for tests and
// for providers that resolve secrets elsewhere (AWS SSM / Secrets Manager).
using ReferenceLookup =
    std::function<std::optional<std::string>(std::string_view scheme, std::string_view name)>;
Result<std::string> expandReferences(std::string_view text, const ReferenceLookup& lookup);

}  // namespace ramp::config
