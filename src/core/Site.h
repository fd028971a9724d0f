// Site.h — which host and home a controller runs in, as the world's store
// names it.
//
// A `local` environment's fleets and router are processes on one host, run
// by the controller of one home there: its site. The store records each
// local environment's site (store/ProviderStore.h) so that a controller of
// another site (another host sharing a PostgreSQL store) knows it must not
// act on them (docs/controller.md, "local environments across hosts").
//
// Site::of(home) reads $RAMP_HOME/site.json ({"id","host","home"}), creating
// it on first use (mode 0600, atomic; id = 16 random hex characters). The id
// is what is compared: it survives a host rename, and two homes on one host
// are two sites. host and home are for people (label(): "HOST:HOME").
#pragma once

#include <filesystem>
#include <string>

#include "core/Result.h"

namespace ramp {

struct Site {
  std::string id;
  std::string host;
  std::string home;

  std::string label() const { return host + ":" + home; }
  static Result<Site> of(const std::filesystem::path& home);
};

}  // namespace ramp
