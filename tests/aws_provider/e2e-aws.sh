#!/usr/bin/env bash
# End to end on the aws provider against moto: `ramp deploy` (which starts
# `ramp serve`) with AWS_ENDPOINT_URL pointing at moto and fake credentials.
#   1. blue/green 1.0.0 then 2.0.0: succeed; the listener sends 100 to 2.0.0
#   2. canary 3.0.0 whose target group CloudWatch shows 30% 5XX: rolled back
#      (exit 3); the listener sends 100 to 2.0.0 again
#   3. after each deployment, every ramp-tagged resource (groups, launch
#      templates, target groups, instances, listener rules) is exactly the
#      live fleet's: no twin, no orphan; `ramp down` leaves nothing tagged
#
# e2e-aws.sh --faults: the same, with ramp (serve and CLI) talking to moto
# through tests/aws_provider/fault_proxy.py, which throttles every 5th AWS
# request, answers every 7th with a 500 and drops the connection of every
# 11th after moto performed it. The test also checks that each kind of fault
# did happen during the run (proxy stats).
set -u
here=$(cd "$(dirname "$0")" && pwd)
faults=0; [[ "${1:-}" == --faults ]] && faults=1
port=$(cat "$RAMP_MOTO_STATE/moto.port" 2>/dev/null) || { echo "FAIL: moto fixture not running"; exit 1; }
moto="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL="$moto" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
curl -s -X POST "$moto/moto-api/reset" >/dev/null || { echo "FAIL: moto reset"; exit 1; }
py() { AWS_ENDPOINT_URL="$moto" python3 "$here/moto_world.py" "$@"; }
proxy=
stop_proxy() { [[ -n "$proxy" ]] && { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; }; proxy=; }
fail() {
  echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1
  [[ -n "${feeder:-}" ]] && kill "$feeder" 2>/dev/null
  stop_proxy; exit 1
}
limit=90
if [[ $faults == 1 ]]; then
  pstate="$RAMP_HOME/proxy"
  python3 "$here/fault_proxy.py" --upstream "$moto" --state "$pstate" --throttle 5 --error 7 --drop 11 &
  proxy=$!
  for _ in $(seq 1 100); do [[ -s "$pstate/proxy.port" ]] && break; sleep 0.1; done
  [[ -s "$pstate/proxy.port" ]] || fail "fault proxy did not start"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$pstate/proxy.port")"
  echo "ramp talks to moto through the fault proxy at $AWS_ENDPOINT_URL"
  limit=240
fi
# expect JSON: waits (bounded, 30 s) until the inventory's fleets/rules equal JSON.
expect() {
  local want=$1 got=
  for _ in $(seq 1 60); do
    got=$(py inventory) || fail "inventory"
    python3 -c "import json,sys; g=json.loads(sys.argv[1]); w=json.loads(sys.argv[2]); sys.exit(0 if {'fleets': g['fleets'], 'rules': g['rules']} == w else 1)" "$got" "$want" && { echo "inventory: $got"; return 0; }
    sleep 0.5
  done
  fail "resources are not exactly the expected set: want $want, got $got"
}
fleet() { echo "{\"$1\": {\"asg\": 1, \"tg\": 1, \"lt\": 1, \"instances\": 2}}"; }

work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" && cd "$work" || exit 1
printf '#!/bin/sh\nexec sleep 1000\n' >release/bin/web && chmod +x release/bin/web
read -r vpc s1 s2 ami < <(py settings) || fail "moto settings"
[[ "$ami" == ami-* ]] || fail "no AMI from moto"

config() {  # $1 = strategy block
  cat >ramp.yaml <<YAML
project: shop
environments:
  prod:
    provider: aws
    regions: [us-east-1]
    aws:
      vpc: $vpc
      subnets: [$s1, $s2]
      image: $ami
      alarms: []
pipeline: [prod]
services:
  web:
    release: {from: release}
    run: {command: bin/web}
    instances: 2
    instance_type: t3.micro
    health: {path: /healthz, interval: 200ms, timeout: 100ms}
$1
    analysis:
      min_requests: 50
      on_inconclusive: rollback
      metrics:
        - {name: error_rate, kind: error_rate, critical: true}
YAML
}
config "    strategy: {type: bluegreen, bake: 0s, deadline: 20s, drain: 0s}"
"$RAMP_BIN" validate || fail "validate"
for v in 1.0.0 2.0.0 3.0.0; do
  "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"
done

timeout $limit "$RAMP_BIN" deploy web --env prod --version 1.0.0; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc"
expect "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
timeout $limit "$RAMP_BIN" deploy web --env prod --version 2.0.0; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 2.0.0 exited $rc"
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
got=$(py listener)
echo "listener after blue/green: $got"
[[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('2.0.0'))" "$got") == 100 ]] || fail "2.0.0 does not get 100: $got"
tags=$(py tagged); echo "tagged: $tags"
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['max_groups_per_fleet'])" "$tags") -le 1 ]] || fail "twin groups: $tags"

config "    strategy:
      type: canary
      bake: 0s
      deadline: 20s
      drain: 0s
      pin: {header: X-Ramp-Canary}
      steps:
        - weight: 20
        - analysis: {duration: 6s, interval: 500ms}
        - weight: 100"
AWS_ENDPOINT_URL="$moto" python3 "$here/moto_world.py" feed $((limit - 10)) 3.0.0 & feeder=$!
timeout $limit "$RAMP_BIN" deploy web --env prod --version 3.0.0; rc=$?
kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null; feeder=
[[ $rc -eq 3 ]] || { "$RAMP_BIN" status web --env prod --json; fail "canary 3.0.0 exited $rc, expected 3 (rolled back)"; }
got=$(py listener)
echo "listener after the rollback: $got"
[[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('2.0.0'), d.get('3.0.0', 0))" "$got") == "100 0" ]] || fail "after rollback: $got"
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"

"$RAMP_BIN" down >/dev/null || fail "ramp down"
tags=$(py tagged); echo "after down: $tags"
[[ "$tags" == '{"asg": 0, "tg": 0, "lt": 0, "max_groups_per_fleet": 0}' ]] || fail "resources left: $tags"
expect '{"fleets": {}, "rules": 0}'
if [[ $faults == 1 ]]; then
  stats=$(curl -s "$AWS_ENDPOINT_URL/__proxy/stats"); echo "fault proxy: $stats"
  python3 -c "import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s['throttled'] > 0 and s['errors'] > 0 and s['dropped'] > 0 else 1)" "$stats" \
    || fail "the proxy did not inject every kind of fault: $stats"
  stop_proxy
fi
echo "PASS"
