// AwsIniFile.h — the AWS shared config/credentials file format.
//
// "[section]" headers, "key = value" lines, '#' and ';' comments, indented
// sub-settings (e.g. "s3 =\n  max_concurrent_requests = 10") skipped. A
// missing file is an empty AwsIniFile (exists() == false); a malformed line
// is an kInvalid error at "FILE:LINE". Keys are case-sensitive as in the
// AWS CLI; section names are kept verbatim ("profile dev", "default").
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/Result.h"

namespace ramp::providers::aws {

class AwsIniFile {
 public:
  struct Entry {
    std::string value;
    int line = 0;
  };
  using Section = std::map<std::string, Entry>;

  static Result<AwsIniFile> load(const std::string& path);
  static Result<AwsIniFile> parse(const std::string& text, const std::string& path);

  bool exists() const { return exists_; }
  const std::string& path() const { return path_; }
  const Section* section(const std::string& name) const;
  // "FILE:LINE" of a key in a section, for error messages.
  std::string where(const std::string& section, const std::string& key) const;

 private:
  std::string path_;
  bool exists_ = false;
  std::map<std::string, Section> sections_;
  std::map<std::string, int> sectionLines_;
};

}  // namespace ramp::providers::aws
