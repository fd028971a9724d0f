#include "config/SecretStore.h"

#include <sys/stat.h>

#include <algorithm>

#include "core/Home.h"

namespace ramp::config {

namespace fs = std::filesystem;

SecretStore::SecretStore(fs::path home) : dir_(std::move(home) / "secrets") {}

bool SecretStore::validName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Status SecretStore::checkName(const std::string& name) const {
  if (!validName(name)) {
    return invalid("bad secret name '" + name.substr(0, 60) +
                       "': use letters, digits, '_', '.', '-' (at most 128)",
                   "NAME");
  }
  return ok();
}

Status SecretStore::set(const std::string& name, std::string_view value) {
  if (auto s = checkName(name); !s) return s;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return unavailable("cannot create secret store: " + ec.message(), dir_.string());
  if (::chmod(dir_.c_str(), 0700) != 0) {
    return unavailable("cannot restrict the secret store to its owner", dir_.string());
  }
  return writeFileAtomic(dir_ / name, value, fs::perms::owner_read | fs::perms::owner_write);
}

Result<std::string> SecretStore::get(const std::string& name) const {
  if (auto s = checkName(name); !s) return std::unexpected(s.error());
  std::error_code ec;
  if (!fs::is_regular_file(dir_ / name, ec)) return notFound("no secret named '" + name + "'", name);
  auto v = readFile(dir_ / name, 1u << 20);
  if (!v) return std::unexpected(Error{v.error().code, v.error().message, name});
  return v;
}

Result<std::vector<std::string>> SecretStore::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (it->is_regular_file() && validName(n)) out.push_back(n);
  }
  if (ec) return unavailable("cannot list secrets: " + ec.message(), dir_.string());
  std::sort(out.begin(), out.end());
  return out;
}

Status SecretStore::remove(const std::string& name) {
  if (auto s = checkName(name); !s) return s;
  std::error_code ec;
  if (!fs::remove(dir_ / name, ec)) {
    if (ec) return unavailable("cannot remove secret: " + ec.message(), name);
    return notFound("no secret named '" + name + "'", name);
  }
  return ok();
}

}  // namespace ramp::config
