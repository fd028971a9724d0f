#!/usr/bin/env bash
# Installs every package ramp needs to build, test and benchmark, from Debian
# packages only. Idempotent: a second run installs nothing and takes a second.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the peers the benchmarks measure against
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libpq-dev libssl-dev libboost-dev libcurl4-openssl-dev
  libtinyxml2-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev
)
TEST_PKGS=( postgresql curl procps python3 iproute2 chromium zsh bsdutils )
BENCH_PKGS=( haproxy nginx-light wrk nghttp2-client hyperfine )

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${BENCH_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#want[@]} packages present"
fi

# The PostgreSQL server binaries live in a versioned directory; tests find
# them through scripts/pg-bin (no PATH edits needed).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "install-deps: PostgreSQL server binaries missing after install" >&2; exit 1
fi

# The dashboard's browser test: playwright-core from npm, pinned by
# tests/dashboard/package-lock.json (npm ci only when node_modules differs).
"$(dirname "$0")/../tests/dashboard/ensure-deps.sh"
