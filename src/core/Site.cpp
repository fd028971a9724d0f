#include "core/Site.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/Home.h"
#include "core/Sha256.h"

namespace ramp {

namespace fs = std::filesystem;

namespace {

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

Result<Site> Site::of(const fs::path& home) {
  fs::path file = home / "site.json";
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::error_code ec;
    if (fs::exists(file, ec)) {
      auto text = readFile(file, 4096);
      if (!text) return std::unexpected(text.error());
      auto j = nlohmann::json::parse(*text, nullptr, false);
      if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty()) {
        return invalid("not a site record (want {\"id\", \"host\", \"home\"}); remove it to have a new one made",
                       file.string());
      }
      // The host is read afresh (a renamed host keeps its id).
      return Site{j["id"].get<std::string>(), hostName(), home.string()};
    }
    if (auto h = ensureHome(home); !h) return std::unexpected(h.error());
    Site s{randomHex(8), hostName(), home.string()};
    fs::path tmp = home / ("site.json.new." + std::to_string(::getpid()));
    if (auto w = writeFileAtomic(tmp, nlohmann::json{{"id", s.id}, {"host", s.host}, {"home", s.home}}.dump() + "\n");
        !w) {
      return std::unexpected(w.error());
    }
    // link(2) never replaces: two processes starting together agree on one id.
    int rc = ::link(tmp.c_str(), file.c_str());
    ::unlink(tmp.c_str());
    if (rc == 0) return s;
  }
  return unavailable("cannot create the site record", file.string());
}

}  // namespace ramp
