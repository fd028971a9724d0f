// StoreLocation.h — which store a home belongs to.
//
// A home names its world's store so that every command run in it (the
// controller, `ramp release`, `ramp audit`, `ramp stats`) opens the same one,
// on every host that shares it. storeUrlOf(home, flag) is, in order:
//   1. `flag` (a command's --store), when not empty;
//   2. $RAMP_STORE, when set and not empty;
//   3. the URL recorded in $RAMP_HOME/store.url (by `ramp serve --store`);
//   4. SQLite in the home: "sqlite://$RAMP_HOME/ramp.db".
// recordStoreUrl writes store.url (mode 0600: a URL may hold a password;
// prefer ~/.pgpass or PGPASSWORD) atomically; the same URL again is no
// change. A store.url that is empty or unreadable is kInvalid naming it.
// defaultStoreUrl(home): the URL of 4.
#pragma once

#include <filesystem>
#include <string>

#include "core/Result.h"

namespace ramp::store {

Result<std::string> storeUrlOf(const std::filesystem::path& home, const std::string& flag = {});
Status recordStoreUrl(const std::filesystem::path& home, const std::string& url);
std::string defaultStoreUrl(const std::filesystem::path& home);

}  // namespace ramp::store
