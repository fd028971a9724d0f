#include "providers/aws/AwsIniFile.h"

#include <fstream>
#include <sstream>

namespace ramp::providers::aws {
namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<AwsIniFile> AwsIniFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    AwsIniFile f;
    f.path_ = path;
    return f;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Result<AwsIniFile> AwsIniFile::parse(const std::string& text, const std::string& path) {
  AwsIniFile f;
  f.path_ = path;
  f.exists_ = true;
  std::istringstream in(text);
  std::string raw;
  std::string current;
  bool inSection = false;
  int lineNo = 0;
  while (std::getline(in, raw) && lineNo < 1'000'000) {
    ++lineNo;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      auto close = line.find(']');
      if (close == std::string::npos) {
        return invalid("section header without ']'", path + ":" + std::to_string(lineNo));
      }
      current = trim(line.substr(1, close - 1));
      if (current.empty()) return invalid("empty section name", path + ":" + std::to_string(lineNo));
      f.sections_[current];
      f.sectionLines_.emplace(current, lineNo);
      inSection = true;
      continue;
    }
    if (raw[0] == ' ' || raw[0] == '\t') continue;  // sub-setting of the previous key
    auto eq = line.find('=');
    if (eq == std::string::npos) {
      return invalid("expected 'key = value' or '[section]', got '" + line.substr(0, 40) + "'",
                     path + ":" + std::to_string(lineNo));
    }
    if (!inSection) {
      return invalid("setting outside of any [section]", path + ":" + std::to_string(lineNo));
    }
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (key.empty()) return invalid("empty key", path + ":" + std::to_string(lineNo));
    f.sections_[current][key] = Entry{value, lineNo};
  }
  return f;
}

const AwsIniFile::Section* AwsIniFile::section(const std::string& name) const {
  auto it = sections_.find(name);
  return it == sections_.end() ? nullptr : &it->second;
}

std::string AwsIniFile::where(const std::string& section, const std::string& key) const {
  if (auto* s = this->section(section)) {
    if (auto it = s->find(key); it != s->end()) return path_ + ":" + std::to_string(it->second.line);
  }
  if (auto it = sectionLines_.find(section); it != sectionLines_.end()) {
    return path_ + ":" + std::to_string(it->second);
  }
  return path_;
}

}  // namespace ramp::providers::aws
