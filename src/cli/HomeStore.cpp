#include "cli/HomeStore.h"

#include "core/Home.h"
#include "store/StoreLocation.h"

namespace ramp::cli {

namespace fs = std::filesystem;

Result<std::unique_ptr<store::Store>> openHomeStore(const fs::path& home, const std::string& flag, bool mustExist) {
  auto url = store::storeUrlOf(home, flag);
  if (!url) return std::unexpected(url.error());
  if (*url == store::defaultStoreUrl(home)) {
    std::error_code ec;
    if (mustExist && !fs::exists(home / "ramp.db", ec)) {
      return notFound("no store: " + (home / "ramp.db").string() + " does not exist (is this the right --home?)",
                      "--home");
    }
    if (auto h = ensureHome(home); !h) return std::unexpected(h.error());
  }
  return store::openStore(*url);
}

}  // namespace ramp::cli
