#include "config/Reference.h"

#include <cstdlib>

#include "config/SecretStore.h"

namespace ramp::config {

namespace {

bool envNameOk(std::string_view n) {
  if (n.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string shown(std::string_view s) {
  std::string out(s.substr(0, 60));
  if (s.size() > 60) out += "...";
  return out;
}

// Scans text; calls onRef for well-formed references, onProblem otherwise,
// onLiteral for literal text. Returns nothing: callers collect.
template <class OnLiteral, class OnRef, class OnProblem>
void scan(std::string_view text, OnLiteral onLiteral, OnRef onRef, OnProblem onProblem) {
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      onLiteral(std::string_view("${"));
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      onLiteral(text.substr(i, 1));
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      onProblem(ReferenceProblem{i, "unclosed reference '" + shown(text.substr(i)) +
                                        "': write ${env:NAME} or ${secret:NAME}"});
      return;
    }
    std::string_view body = text.substr(i + 2, close - i - 2);
    size_t colon = body.find(':');
    std::string_view scheme = colon == std::string_view::npos ? body : body.substr(0, colon);
    std::string_view name = colon == std::string_view::npos ? std::string_view() : body.substr(colon + 1);
    std::string whole = "${" + std::string(body) + "}";
    if (colon == std::string_view::npos) {
      onProblem(ReferenceProblem{i, "reference '" + shown(whole) +
                                        "' has no scheme: write ${env:NAME} or ${secret:NAME}"});
    } else if (scheme != "env" && scheme != "secret") {
      onProblem(ReferenceProblem{i, "unknown reference scheme '" + shown(scheme) + "' in '" +
                                        shown(whole) + "' (use env or secret)"});
    } else if (name.empty()) {
      onProblem(ReferenceProblem{i, "reference '" + shown(whole) + "' has an empty name"});
    } else if (scheme == "env" && !envNameOk(name)) {
      onProblem(ReferenceProblem{i, "bad variable name '" + shown(name) + "' in '" + shown(whole) +
                                        "' (letters, digits and _; not starting with a digit)"});
    } else if (scheme == "secret" && !SecretStore::validName(name)) {
      onProblem(ReferenceProblem{i, "bad secret name '" + shown(name) + "' in '" + shown(whole) +
                                        "' (letters, digits, '_', '.', '-')"});
    } else {
      onRef(Reference{std::string(scheme), std::string(name), i});
    }
    i = close + 1;
  }
}

}  // namespace

std::vector<ReferenceProblem> checkReferences(std::string_view text) {
  std::vector<ReferenceProblem> out;
  scan(text, [](std::string_view) {}, [](const Reference&) {},
       [&](ReferenceProblem p) { out.push_back(std::move(p)); });
  return out;
}

std::vector<Reference> findReferences(std::string_view text) {
  std::vector<Reference> out;
  scan(text, [](std::string_view) {}, [&](Reference r) { out.push_back(std::move(r)); },
       [](const ReferenceProblem&) {});
  return out;
}

Result<std::string> expandReferences(std::string_view text, const ReferenceLookup& lookup) {
  std::string out;
  std::optional<Error> err;
  scan(
      text, [&](std::string_view lit) { out.append(lit); },
      [&](const Reference& r) {
        if (err) return;
        auto v = lookup(r.scheme, r.name);
        if (!v) {
          err = Error{ErrorCode::kNotFound,
                      r.scheme == "env" ? "environment variable '" + r.name + "' is not set"
                                        : "secret '" + r.name + "' is not set (ramp secret set " + r.name + ")",
                      "${" + r.scheme + ":" + r.name + "}"};
          return;
        }
        out += *v;
      },
      [&](const ReferenceProblem& p) {
        if (!err) err = Error{ErrorCode::kInvalid, p.message, "offset " + std::to_string(p.offset)};
      });
  if (err) return std::unexpected(*err);
  return out;
}

Result<std::string> expandReferences(std::string_view text, const std::filesystem::path& home) {
  SecretStore store(home);
  return expandReferences(text, [&](std::string_view scheme, std::string_view name) -> std::optional<std::string> {
    if (scheme == "env") {
      const char* v = std::getenv(std::string(name).c_str());
      if (!v) return std::nullopt;
      return std::string(v);
    }
    auto v = store.get(std::string(name));
    if (!v) return std::nullopt;
    return *v;
  });
}

}  // namespace ramp::config
