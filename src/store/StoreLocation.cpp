#include "store/StoreLocation.h"

#include <cstdlib>

#include "core/Home.h"
#include "store/StoreUrl.h"

namespace ramp::store {

namespace fs = std::filesystem;

std::string defaultStoreUrl(const fs::path& home) { return "sqlite://" + (home / "ramp.db").string(); }

Result<std::string> storeUrlOf(const fs::path& home, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("RAMP_STORE"); env && *env) return std::string(env);
  fs::path file = home / "store.url";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto text = readFile(file, 8192);
    if (!text) return std::unexpected(text.error());
    std::string url = *text;
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r' || url.back() == ' ')) url.pop_back();
    if (url.empty()) return invalid("the recorded store URL is empty; remove the file or put a URL in it", file.string());
    if (auto p = parseStoreUrl(url); !p) return invalid(p.error().message, file.string());
    return url;
  }
  return defaultStoreUrl(home);
}

Status recordStoreUrl(const fs::path& home, const std::string& url) {
  fs::path file = home / "store.url";
  if (auto cur = readFile(file, 8192); cur && (*cur == url + "\n" || *cur == url)) return ok();
  return writeFileAtomic(file, url + "\n");
}

}  // namespace ramp::store
