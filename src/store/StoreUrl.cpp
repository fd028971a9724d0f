#include "store/StoreUrl.h"

#include <regex>

#include <fmt/format.h>

namespace ramp::store {

std::string redactStoreUrl(const std::string& url) {
  std::string out = url;
  // scheme://user:password@host → scheme://user:***@host
  static const std::regex userinfo(R"(^([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):[^@/?#]*@)");
  out = std::regex_replace(out, userinfo, "$1:***@", std::regex_constants::format_first_only);
  // password=secret in a query string or a key=value conninfo
  static const std::regex param(R"((^|[?&\s])(password)=([^&\s]*))", std::regex::icase);
  out = std::regex_replace(out, param, "$1$2=***");
  return out;
}

Result<StoreUrl> parseStoreUrl(const std::string& url) {
  if (url.empty()) {
    return invalid("empty store URL; use sqlite:///abs/path.db, a file path, or postgresql://...",
                   "store URL");
  }
  auto startsWith = [&](std::string_view p) { return url.rfind(p, 0) == 0; };
  if (startsWith("postgresql://") || startsWith("postgres://")) {
    return StoreUrl{StoreUrl::Kind::kPostgres, url};
  }
  if (startsWith("sqlite://")) {
    std::string path = url.substr(std::string_view("sqlite://").size());
    if (path.empty() || path[0] != '/') {
      return invalid(fmt::format("SQLite URL '{}' must name an absolute path: sqlite:///abs/path.db",
                                 redactStoreUrl(url)),
                     "store URL");
    }
    if (path.find_first_of("?#") != std::string::npos) {
      return invalid(fmt::format("SQLite URL '{}' takes no query or fragment", redactStoreUrl(url)),
                     "store URL");
    }
    return StoreUrl{StoreUrl::Kind::kSqlite, path};
  }
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    return invalid(fmt::format("unsupported store URL scheme '{}' in '{}'; use sqlite:///abs/path.db, "
                               "a file path, or postgresql://...",
                               url.substr(0, scheme), redactStoreUrl(url)),
                   "store URL");
  }
  return StoreUrl{StoreUrl::Kind::kSqlite, url};
}

}  // namespace ramp::store
