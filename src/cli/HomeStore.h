// HomeStore.h — the store of the home a command runs in, opened directly
// (no controller needed): the one storeUrlOf() names (store/StoreLocation.h:
// --store, $RAMP_STORE, the home's store.url, else SQLite in the home).
//
// openHomeStore(home, flag, mustExist): with mustExist and the home's
// default SQLite file absent, kNotFound "no store: <file> does not exist (is
// this the right --home?)" instead of creating an empty world. The home is
// created (0700) when it does not exist yet.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::cli {

Result<std::unique_ptr<store::Store>> openHomeStore(const std::filesystem::path& home, const std::string& flag = {},
                                                    bool mustExist = false);

}  // namespace ramp::cli
