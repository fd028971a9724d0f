#include "record/ConfigBundle.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/Sha256.h"

namespace ramp::record {

namespace fs = std::filesystem;

std::string ConfigBundle::digest() const {
  std::string canonical;
  for (const auto& f : files) {
    canonical += fmt::format("{}:{}\n{}:{}\n", f.name.size(), f.name, f.text.size(), f.text);
  }
  return "sha256:" + sha256Hex(canonical);
}

config::LoadResult ConfigBundle::load() const { return config::loadConfigFiles(files, {}); }

nlohmann::json ConfigBundle::toJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : files) out.push_back({{"name", f.name}, {"text", f.text}});
  return out;
}

Result<ConfigBundle> ConfigBundle::fromJson(const nlohmann::json& j, const std::string& field) {
  if (!j.is_array()) return invalid("must be a list of {\"name\", \"text\"} files", field);
  if (j.empty()) return invalid("must hold at least one file (ramp.yaml)", field);
  if (j.size() > config::kMaxFiles) {
    return invalid(fmt::format("more than {} files", config::kMaxFiles), field);
  }
  ConfigBundle b;
  std::set<std::string> names;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& f = j[i];
    std::string at = fmt::format("{}[{}]", field, i);
    if (!f.is_object()) return invalid("must be an object {\"name\", \"text\"}", at);
    for (auto it = f.begin(); it != f.end(); ++it) {
      if (it.key() != "name" && it.key() != "text") return invalid("unknown field (expected name, text)", at + "." + it.key());
    }
    if (!f.contains("name") || !f["name"].is_string()) return invalid("must be a string", at + ".name");
    if (!f.contains("text") || !f["text"].is_string()) return invalid("must be a string", at + ".text");
    std::string name = f["name"];
    if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos ||
        name.find('\\') != std::string::npos || name.front() == '.' ||
        name.find_first_of(std::string("\0\n\r", 3)) != std::string::npos) {
      return invalid("'" + name + "' is not a configuration file name (a plain file name, no directories)",
                     at + ".name");
    }
    if (!names.insert(name).second) return invalid("'" + name + "' appears twice", at + ".name");
    std::string text = f["text"];
    if (text.size() > config::kMaxFileBytes) {
      return invalid(fmt::format("{} is {} bytes; configuration files are limited to 4 MiB", name, text.size()),
                     at + ".text");
    }
    b.files.push_back({std::move(name), std::move(text)});
  }
  std::sort(b.files.begin(), b.files.end(), [](const auto& a, const auto& c) { return a.name < c.name; });
  return b;
}

Result<ConfigBundle> ConfigBundle::fromPath(const fs::path& path) {
  auto read = config::readConfigFiles(path);
  if (!read.diagnostics.empty()) return invalid(formatDiagnostics(read.diagnostics));
  ConfigBundle b;
  for (auto& f : read.files) b.files.push_back({fs::path(f.name).filename().string(), std::move(f.text)});
  std::sort(b.files.begin(), b.files.end(), [](const auto& a, const auto& c) { return a.name < c.name; });
  return b;
}

std::string formatDiagnostics(const std::vector<config::Diagnostic>& diagnostics) {
  std::string msg;
  for (const auto& d : diagnostics) msg += (msg.empty() ? "" : "\n") + d.format();
  return msg;
}

}  // namespace ramp::record
