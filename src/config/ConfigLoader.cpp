#include "config/ConfigLoader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <tuple>

#include "config/Diagnostics.h"
#include "config/ModelReader.h"
#include "config/YamlReader.h"

namespace ramp::config {

namespace fs = std::filesystem;

namespace {

// Merges the top-level tree of one more file into `into`; clashes reported.
void mergeFile(ConfigNode& into, const ConfigNode& next, Diagnostics& diags, const std::string& path) {
  if (into.isMap() && next.isMap()) {
    for (const auto& e : next.entries) {
      ConfigNode* b = into.find(e.key);
      if (!b) {
        into.entries.push_back(e);
      } else if (b->isMap() && e.value.isMap()) {
        mergeFile(*b, e.value, diags, path.empty() ? e.key : path + "." + e.key);
      } else {
        diags.error(e.keyPos, "'" + (path.empty() ? e.key : path + "." + e.key) + "' is also defined at " +
                                  diags.where(b->pos) + "; each setting belongs in one file");
      }
    }
    return;
  }
  if (into.isNull()) {
    into = next;
  } else if (!next.isNull()) {
    diags.error(next.pos, "the configuration must be a map with project, environments, pipeline and services");
  }
}

void collectPositions(const ConfigNode& n, std::set<std::tuple<uint32_t, int, int>>& out) {
  out.insert({n.pos.file, n.pos.line, n.pos.col});
  for (const auto& i : n.items) collectPositions(i, out);
  for (const auto& e : n.entries) {
    out.insert({e.keyPos.file, e.keyPos.line, e.keyPos.col});
    collectPositions(e.value, out);
  }
}

LoadResult finish(const ConfigNode& root, Diagnostics& diags, const fs::path& baseDir) {
  Config cfg;
  cfg.baseDir = baseDir;
  cfg.files = diags.files();
  ModelReader reader(diags);
  reader.readConfig(root, cfg);
  for (const auto& svc : cfg.services) {
    if (cfg.environments.empty()) {
      reader.readService(svc.name, effectiveTree(svc, "", ""), "");
      continue;
    }
    std::set<std::tuple<uint32_t, int, int>> seen;  // positions some effective tree carries
    for (const auto& env : cfg.environments) {
      for (const auto& region : env.regions) {
        ConfigNode tree = effectiveTree(svc, env.name, region);
        collectPositions(tree, seen);
        reader.readService(svc.name, tree, "environment " + env.name + ", region " + region);
      }
    }
    // A value that every environment overrides is in no effective tree, yet
    // it is in the file: it must be valid too (`instances: "one"` with every
    // environment setting its own). Read the service without overrides and
    // keep only the errors found at such positions (a base that is
    // incomplete until an override completes it is not an error).
    Diagnostics baseDiags;
    for (const auto& f : diags.files()) baseDiags.addFile(f);
    ModelReader baseReader(baseDiags);
    baseReader.readService(svc.name, effectiveTree(svc, "", ""), "");
    for (const auto& e : baseDiags.positioned()) {
      if (!seen.contains({e.pos.file, e.pos.line, e.pos.col})) diags.error(e.pos, e.message);
    }
  }
  LoadResult out;
  out.diagnostics = diags.sorted();
  if (out.diagnostics.empty()) out.config = std::move(cfg);
  return out;
}

std::optional<std::string> readLimited(const fs::path& p, const std::string& name, uint32_t file,
                                       Diagnostics& diags) {
  std::error_code ec;
  auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    diags.error(file, 1, 1, "cannot read configuration: no such file");
    return std::nullopt;
  }
  if (!fs::is_regular_file(status)) {
    diags.error(file, 1, 1, "cannot read configuration: not a regular file");
    return std::nullopt;
  }
  auto size = fs::file_size(p, ec);
  if (ec) {
    diags.error(file, 1, 1, "cannot read configuration: " + ec.message());
    return std::nullopt;
  }
  if (size > kMaxFileBytes) {
    diags.error(file, 1, 1, "file is " + std::to_string(size) + " bytes; configuration files are limited to " +
                                std::to_string(kMaxFileBytes) + " bytes (4 MiB)");
    return std::nullopt;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    diags.error(file, 1, 1, "cannot open configuration file");
    return std::nullopt;
  }
  std::string data;
  data.resize(static_cast<size_t>(size));
  in.read(data.data(), static_cast<std::streamsize>(size));
  data.resize(static_cast<size_t>(in.gcount()));
  // It may have grown meanwhile: never read more than the limit.
  if (in.peek() != std::char_traits<char>::eof()) {
    diags.error(file, 1, 1, "file changed while being read; configuration files are limited to 4 MiB");
    return std::nullopt;
  }
  return data;
}

// Rejects what yaml-cpp would misread: NUL bytes and other control
// characters (binary garbage), reported at their position.
bool checkText(std::string_view text, uint32_t file, Diagnostics& diags) {
  int line = 1, col = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      col = 1;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", c);
      diags.error(file, line, col, std::string("control character ") + buf +
                                       " in the file; a configuration is UTF-8 text (is this a binary file?)");
      return false;
    }
    ++col;
  }
  return true;
}

}  // namespace

LoadResult loadConfigText(std::string_view text, const std::string& fileName, const fs::path& baseDir) {
  Diagnostics diags;
  uint32_t file = diags.addFile(fileName);
  if (text.size() > kMaxFileBytes) {
    diags.error(file, 1, 1, "file is " + std::to_string(text.size()) +
                                " bytes; configuration files are limited to 4 MiB");
    return LoadResult{std::nullopt, diags.sorted()};
  }
  if (!checkText(text, file, diags)) return LoadResult{std::nullopt, diags.sorted()};
  auto root = YamlReader::read(text, file, diags);
  if (!root) return LoadResult{std::nullopt, diags.sorted()};
  return finish(*root, diags, baseDir);
}

LoadResult loadConfigFiles(const std::vector<ConfigFile>& files, const fs::path& baseDir) {
  Diagnostics diags;
  if (files.empty()) {
    uint32_t none = diags.addFile("(no files)");
    diags.error(none, 1, 1, "no configuration files");
    return LoadResult{std::nullopt, diags.sorted()};
  }
  if (files.size() > kMaxFiles) {
    uint32_t first = diags.addFile(files.front().name);
    diags.error(first, 1, 1, "more than " + std::to_string(kMaxFiles) + " configuration files");
    return LoadResult{std::nullopt, diags.sorted()};
  }
  if (files.size() == 1) return loadConfigText(files.front().text, files.front().name, baseDir);
  ConfigNode root;
  bool readable = true;
  uint32_t firstIdx = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    uint32_t idx = diags.addFile(f.name);
    if (i == 0) firstIdx = idx;
    if (f.text.size() > kMaxFileBytes) {
      diags.error(idx, 1, 1, "file is " + std::to_string(f.text.size()) +
                                 " bytes; configuration files are limited to " + std::to_string(kMaxFileBytes) +
                                 " bytes (4 MiB)");
      readable = false;
      continue;
    }
    if (!checkText(f.text, idx, diags)) {
      readable = false;
      continue;
    }
    auto tree = YamlReader::read(f.text, idx, diags);
    if (!tree) {
      readable = false;
      continue;
    }
    if (!tree->isMap() && !tree->isNull()) {
      diags.error(tree->pos, "each configuration file must be a map (of project, environments, pipeline, services)");
      readable = false;
      continue;
    }
    mergeFile(root, *tree, diags, "");
  }
  if (!readable || !diags.empty()) return LoadResult{std::nullopt, diags.sorted()};
  if (root.isNull()) root.pos = Position{firstIdx, 1, 1};
  return finish(root, diags, baseDir);
}

ReadFiles readConfigFiles(const fs::path& path) {
  ReadFiles out;
  Diagnostics diags;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    out.baseDir = fs::absolute(path, ec).lexically_normal();
    std::vector<fs::path> files;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      auto ext = it->path().extension().string();
      if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file()) files.push_back(it->path());
      if (files.size() > kMaxFiles) break;
    }
    std::sort(files.begin(), files.end());
    uint32_t dirFile = diags.addFile(path.string());
    if (files.empty()) diags.error(dirFile, 1, 1, "no *.yaml or *.yml files in this directory");
    if (files.size() > kMaxFiles) {
      diags.error(dirFile, 1, 1, "more than " + std::to_string(kMaxFiles) + " YAML files in this directory");
    }
    if (diags.empty()) {
      for (const auto& f : files) {
        uint32_t idx = diags.addFile(f.string());
        if (auto text = readLimited(f, f.string(), idx, diags)) out.files.push_back({f.string(), std::move(*text)});
      }
    }
  } else {
    out.baseDir = fs::absolute(path, ec).parent_path().lexically_normal();
    uint32_t idx = diags.addFile(path.string());
    if (auto text = readLimited(path, path.string(), idx, diags)) out.files.push_back({path.string(), std::move(*text)});
  }
  out.diagnostics = diags.sorted();
  return out;
}

LoadResult loadConfigPath(const fs::path& path) {
  auto read = readConfigFiles(path);
  if (!read.diagnostics.empty()) return LoadResult{std::nullopt, std::move(read.diagnostics)};
  return loadConfigFiles(read.files, read.baseDir);
}

Result<Config> loadConfig(const fs::path& path) {
  auto r = loadConfigPath(path);
  if (r.ok()) return std::move(*r.config);
  std::string msg;
  for (const auto& d : r.diagnostics) {
    if (!msg.empty()) msg += "\n";
    msg += d.format();
  }
  // Each line already carries its FILE:LINE:COL.
  return invalid(msg);
}

fs::path configPathFor(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return fs::path(*flag);
  return fs::path("ramp.yaml");
}

}  // namespace ramp::config
