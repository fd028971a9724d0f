#include "config/QueryTemplate.h"

#include <algorithm>

namespace ramp::config {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Calls on(name) for each placeholder and appends the text between them to
// `out` (when given). Errors name the placeholder.
template <class On>
Status scan(const std::string& text, std::string* out, On on) {
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string::npos) {
      if (out) out->append(text, i);
      break;
    }
    if (out) out->append(text, i, open - i);
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos)
      return invalid("'{{' at offset " + std::to_string(open) + " is never closed with '}}'", "query");
    std::string name = trim(text.substr(open + 2, close - open - 2));
    const auto& known = QueryTemplate::names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + std::string("{{") + k + "}}";
      return invalid("unknown placeholder '{{" + name + "}}' (known: " + list + ")", "query");
    }
    if (auto s = on(name); !s) return s;
    i = close + 2;
  }
  return ok();
}

}  // namespace

const std::vector<std::string>& QueryTemplate::names() {
  static const std::vector<std::string> n{"fleet", "release", "service", "env", "region"};
  return n;
}

Result<std::vector<std::string>> QueryTemplate::placeholders(const std::string& text) {
  std::vector<std::string> found;
  auto s = scan(text, nullptr, [&](const std::string& name) -> Status {
    found.push_back(name);
    return ok();
  });
  if (!s) return std::unexpected(s.error());
  return found;
}

Result<std::string> QueryTemplate::fill(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  auto s = scan(text, &out, [&](const std::string& name) -> Status {
    auto it = values.find(name);
    if (it == values.end()) return invalid("no value for '{{" + name + "}}'", "query");
    out += escape(it->second);
    return ok();
  });
  if (!s) return std::unexpected(s.error());
  return out;
}

}  // namespace ramp::config
