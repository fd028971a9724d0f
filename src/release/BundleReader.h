// BundleReader.h — unpacks a release bundle (ReleaseBundle.h) into a tree.
//
// The reverse of ReleaseBundle::write, for the bundles ramp writes: ustar
// headers (name + prefix), directories ('5'), regular files ('0' or NUL) and
// symbolic links ('2'), ending with a zero block. Used to rebuild a release
// from the shared store on a host that has never seen it; the caller then
// checks the tree digest (TreeDigest.h) against the release's — a bundle
// that unpacks to anything else is refused there.
//
// extract(bytes, into) creates `into` (which must not exist) and refuses,
// naming the entry and changing nothing outside `into`:
//   - a header whose checksum does not match, a truncated archive, a size
//     field that is not octal, an unknown entry type;
//   - a path that is absolute, empty, has "." or ".." components, or leads
//     through a symbolic link the archive made (no write ever escapes);
//   - a symbolic link whose target is absolute or climbs out of the tree;
//   - a path that appears twice.
// Modes: files 0444, or 0555 when any exec bit is set; directories 0555 —
// the release store's read-only normal form. On error the caller removes
// `into` (ReadOnlyCopy.h removeReadOnlyTree).
#pragma once

#include <filesystem>
#include <string_view>

#include "core/Result.h"

namespace ramp::release {

class BundleReader {
 public:
  static Status extract(std::string_view bytes, const std::filesystem::path& into);
};

}  // namespace ramp::release
