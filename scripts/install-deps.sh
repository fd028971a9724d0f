#!/usr/bin/env bash
# Installs every package ramp needs to build, test and benchmark, from Debian
# packages only. Idempotent: a second run installs nothing and takes a second.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --bench  also the peers the benchmarks measure against
#   scripts/install-deps.sh --test   also moto, the AWS API emulator of the aws tests
#                                    (on PATH, or installed into a virtual environment
#                                    with pip when PyPI is reachable; else a clear stop)
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libpq-dev libssl-dev libboost-dev libcurl4-openssl-dev
  libtinyxml2-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev lld
)
TEST_PKGS=( postgresql curl procps python3 iproute2 chromium zsh bsdutils prometheus openssl )
# Local instances and smoke tests run sandboxed (docs/providers.md).
RUN_PKGS=( bubblewrap util-linux )
BENCH_PKGS=( haproxy nginx-light wrk nghttp2-client hyperfine )

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${RUN_PKGS[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${BENCH_PKGS[@]}"); fi
if [[ "${1:-}" == "--test" ]]; then want+=(python3-venv); fi

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

# A controller run as root runs local instances as this unprivileged user
# (ramp serve --instance-user; docs/providers.md "Isolation").
if [[ $(id -u) -eq 0 ]] && ! getent passwd ramp-instance >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ramp-instance
  echo "install-deps: created the system user ramp-instance"
fi

# The PostgreSQL server binaries live in a versioned directory; tests find
# them through scripts/pg-bin (no PATH edits needed).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "install-deps: PostgreSQL server binaries missing after install" >&2; exit 1
fi

# The dashboard's browser test: playwright-core from npm, pinned by
# tests/dashboard/package-lock.json (npm ci only when node_modules differs).
"$(dirname "$0")/../tests/dashboard/ensure-deps.sh"

# moto 5.2.1 for the aws tests: the one on PATH (with boto3 for the tests'
# helpers), or a virtual environment made here. `make test` puts
# $RAMP_MOTO_VENV/bin first on PATH.
if [[ "${1:-}" == "--test" ]]; then
  MOTO_VENV="${RAMP_MOTO_VENV:-$HOME/.cache/ramp/moto-venv}"
  if command -v moto_server >/dev/null 2>&1 && python3 -c 'import boto3' 2>/dev/null; then
    :
  elif [[ -x "$MOTO_VENV/bin/moto_server" ]]; then
    :
  else
    echo "install-deps: moto_server not found; installing moto[server]==5.2.1 into $MOTO_VENV with pip"
    if python3 -m venv --system-site-packages "$MOTO_VENV" &&
       "$MOTO_VENV/bin/pip" install -q --timeout 30 --retries 1 'moto[server]==5.2.1'; then
      echo "install-deps: moto installed in $MOTO_VENV"
    else
      rm -rf "$MOTO_VENV"
      echo "install-deps: cannot install moto: PyPI is not reachable from this machine (pip failed)." >&2
      echo "  The aws tests need moto_server 5.2.1 and boto3: install them (pip install 'moto[server]==5.2.1')" >&2
      echo "  or point RAMP_MOTO_VENV at a virtual environment that has them, then run make test again." >&2
      exit 1
    fi
  fi
fi
