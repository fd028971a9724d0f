#!/usr/bin/env bash
# AWS API calls a controller makes, idle and per deployment, on moto with
# signature checking on: every request goes through tests/aws_provider/
# fault_proxy.py (no faults: it only counts, per action).
#
#   bench/aws/api-calls.sh RAMP_BIN [LABEL]      (IDLE=60 seconds per idle window,
#                                                 MOTO_AUTH=0 signature checking off)
#
# One service (web), one environment with two regions (us-east-1, eu-west-1),
# blue/green. Steps, each measured as the proxy's count difference:
#   apply        ramp apply --env prod (the infrastructure)
#   deploy 1     ramp deploy 1.0.0 (both regions, in waves; the first fleets)
#   idle         IDLE seconds with one fleet per region, no deployment running
#   deploy 2     ramp deploy 2.0.0 (a new fleet per region, the old retired)
#   idle-empty   IDLE seconds after `ramp down --env prod` (0 fleets, the
#                entry points still known)
# Prints one JSON line per step: {label, step, seconds, calls, per_minute,
# per_minute_per_region, actions}. Figures: docs/benchmarks.md ("AWS API calls").
# Runs against any ramp binary (an older one deploys without the apply).
set -u
ramp=$(realpath "$1"); label=${2:-$(basename "$(dirname "$(dirname "$(dirname "$ramp")")")")}
idle=${IDLE:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/ramp-aws-calls.XXXXXX)
export RAMP_HOME="$work/home"
mkdir -p "$RAMP_HOME"
cleanup() {
  "$ramp" down >/dev/null 2>&1
  [[ -n "${proxy:-}" ]] && kill "$proxy" 2>/dev/null
  "$src/tests/aws/moto-fixture.sh" stop "$work/moto" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
"$src/tests/aws/moto-fixture.sh" start "$work/moto" >/dev/null || exit 1
moto="http://127.0.0.1:$(cat "$work/moto/moto.port")"
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY < <(python3 "$src/tests/aws/moto_keys.py" "$moto") || exit 1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
# MOTO_AUTH=0: signature checking off (a ramp from before the form-encoding
# workaround cannot pass it: docs/aws.md, moto caveats).
if [[ ${MOTO_AUTH:-1} == 0 ]]; then
  curl -s -X POST -H 'Content-Type: text/plain' -d inf "$moto/moto-api/reset-auth" >/dev/null
fi
python3 "$src/tests/aws_provider/fault_proxy.py" --upstream "$moto" --state "$work/proxy" &
proxy=$!
for _ in $(seq 1 100); do [[ -s "$work/proxy/proxy.port" ]] && break; sleep 0.1; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/proxy/proxy.port")"
py() { AWS_ENDPOINT_URL="$moto" python3 "$src/tests/aws_provider/moto_world.py" "$@"; }
read -r vpc s1 s2 ami < <(py settings)
read -r euvpc eus1 eus2 euami < <(MOTO_WORLD_REGION=eu-west-1 py settings)
py zone example.com >/dev/null
cd "$work" && mkdir -p release/bin && printf '#!/bin/sh\nexec sleep 1000\n' >release/bin/web && chmod +x release/bin/web
cat >ramp.yaml <<YAML
project: shop
environments:
  prod:
    provider: aws
    regions: [us-east-1, eu-west-1]
    aws:
      vpc: $vpc
      subnets: [$s1, $s2]
      image: $ami
      region_settings:
        eu-west-1: {vpc: $euvpc, subnets: [$eus1, $eus2]}
      dns: {zone: example.com, routing: weighted}
      alarm_definitions:
        - {name: errors, metric: target_5xx_rate, threshold: 50}
pipeline: [prod]
services:
  web:
    release: {from: release}
    run: {command: bin/web}
    instances: 2
    health: {path: /healthz, interval: 200ms, timeout: 100ms}
    strategy: {type: bluegreen, bake: 0s, deadline: 30s, drain: 0s}
YAML
for v in 1.0.0 2.0.0; do "$ramp" release create web --version $v --from release >/dev/null || exit 1; done
# The controller deploys its config of record (#15).
"$ramp" config push >/dev/null 2>&1 || exit 1
stats() { curl -s "$AWS_ENDPOINT_URL/__proxy/stats"; }
step() {  # $1 = step name, $2 = seconds, $3 = before JSON, $4 = after JSON
  python3 - "$label" "$1" "$2" "$3" "$4" <<'PY'
import json, sys
label, step, seconds, a, b = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5])
calls = b["requests"] - a["requests"]
actions = {k: v - a["actions"].get(k, 0) for k, v in b["actions"].items() if v - a["actions"].get(k, 0)}
out = {"label": label, "step": step, "seconds": round(seconds, 1), "calls": calls, "actions": dict(sorted(actions.items()))}
if step.startswith("idle"):
    out["per_minute"] = round(calls * 60 / seconds, 1)
    out["per_minute_per_region"] = round(calls * 30 / seconds, 1)
print(json.dumps(out))
PY
}
measure() {  # $1 = step, then the command
  local name=$1; shift
  local a b t0; a=$(stats); t0=$(date +%s.%N)
  "$@" >"$work/$name.out" 2>&1 || echo "{\"label\": \"$label\", \"step\": \"$name\", \"error\": $(tail -3 "$work/$name.out" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
  b=$(stats)
  step "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" "$a" "$b"
}
measure apply "$ramp" apply --env prod --yes
measure "deploy 1" "$ramp" deploy web --env prod --version 1.0.0
measure idle sleep "$idle"
measure "deploy 2" "$ramp" deploy web --env prod --version 2.0.0
"$ramp" down --env prod >/dev/null 2>&1
measure idle-empty sleep "$idle"
