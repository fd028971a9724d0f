#!/usr/bin/env bash
# bench/release/run.sh RAMP_BIN — time `ramp release create` (copy + fsync +
# digest) and `ramp release verify` (digest only) on a synthetic tree of
# 16 x 4 MiB random files plus 1000 small files (64 MiB, 1016 files).
set -euo pipefail
bin=${1:-${RAMP_BIN:-}}
[[ -x "$bin" ]] || { echo "usage: $0 PATH/TO/ramp" >&2; exit 1; }
t=$(mktemp -d)
trap 'chmod -R u+w "$t"; rm -rf "$t"' EXIT
mkdir -p "$t/app"
for i in $(seq 1 16); do head -c 4M /dev/urandom > "$t/app/f$i"; done
for i in $(seq 1 1000); do echo "$i" > "$t/app/s$i"; done
export RAMP_HOME="$t/home"
s=$(date +%s.%N); "$bin" release create bench --version 1 --from "$t/app" >/dev/null; e=$(date +%s.%N)
echo "create 64 MiB / 1016 files: $(echo "$e - $s" | bc) s"
s=$(date +%s.%N); "$bin" release verify bench --version 1 >/dev/null; e=$(date +%s.%N)
echo "verify 64 MiB / 1016 files: $(echo "$e - $s" | bc) s"
