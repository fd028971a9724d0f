#!/bin/sh
# build.sh — builds the crawler standalone into dist/bin/crawler.
#
# Used as the service's release build (ramp.yaml: release: {build: "./build.sh",
# output: dist}); works wherever this folder is copied. Release build with
# CMake (Ninja if present, else Makefiles); reuses an existing build dir
# (CRAWLER_BUILD_DIR, default ./build) for speed; uses ccache when present;
# idempotent. Needs: cmake, a C++20 compiler, Boost headers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${CRAWLER_BUILD_DIR:-"$here/build"}
dist="$here/dist"

if [ ! -f "$build/CMakeCache.txt" ]; then
  generator=""
  if command -v ninja >/dev/null 2>&1; then generator="-G Ninja"; fi
  # shellcheck disable=SC2086
  cmake -S "$here" -B "$build" $generator -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build" --parallel "${CRAWLER_JOBS:-2}" >&2

# Assemble dist/ afresh so a release holds exactly what it should.
rm -rf "$dist"
mkdir -p "$dist/bin"
cp "$build/crawler" "$dist/bin/crawler"
chmod 0755 "$dist/bin/crawler"
if [ -n "${RAMP_RELEASE_VERSION:-}" ]; then
  printf '%s\n' "$RAMP_RELEASE_VERSION" > "$dist/VERSION"
fi
# Knobs set at build time are carried in the release (dist/crawler.env, read
# by the crawler at start): `CRAWLER_ERROR_RATE=0.2 ./build.sh` makes a bad
# build whose instances answer 20% of requests with a 500, wherever they run.
knobs=""
for k in CRAWLER_ERROR_RATE CRAWLER_LATENCY_MS CRAWLER_LATENCY_FACTOR CRAWLER_FAIL_HEALTH CRAWLER_CRASH_AFTER; do
  eval "v=\${$k:-}"
  if [ -n "$v" ]; then
    printf '%s=%s\n' "$k" "$v" >> "$dist/crawler.env"
    knobs="$knobs $k=$v"
  fi
done
echo "built $dist/bin/crawler${RAMP_RELEASE_VERSION:+ ($RAMP_RELEASE_VERSION)}${knobs:+; carried in the release (crawler.env):$knobs}" >&2
