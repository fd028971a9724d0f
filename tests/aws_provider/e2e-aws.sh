#!/usr/bin/env bash
# End to end on the aws provider against moto: `ramp deploy` (which starts
# `ramp serve`) with AWS_ENDPOINT_URL pointing at moto and fake credentials.
#   1. blue/green 1.0.0 then 2.0.0: succeed; the listener sends 100 to 2.0.0
#   2. canary 3.0.0 whose target group CloudWatch shows 30% 5XX: rolled back
#      (exit 3); the listener sends 100 to 2.0.0 again
#   3. no twin resources at any point; `ramp down` leaves nothing tagged
set -u
here=$(cd "$(dirname "$0")" && pwd)
port=$(cat "$RAMP_MOTO_STATE/moto.port" 2>/dev/null) || { echo "FAIL: moto fixture not running"; exit 1; }
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
curl -s -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null || { echo "FAIL: moto reset"; exit 1; }
py() { python3 "$here/moto_world.py" "$@"; }
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; [[ -n "${feeder:-}" ]] && kill "$feeder" 2>/dev/null; exit 1; }

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

timeout 90 "$RAMP_BIN" deploy web --env prod --version 1.0.0; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc"
timeout 90 "$RAMP_BIN" deploy web --env prod --version 2.0.0; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 2.0.0 exited $rc"
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
python3 "$here/moto_world.py" feed 80 3.0.0 & feeder=$!
timeout 90 "$RAMP_BIN" deploy web --env prod --version 3.0.0; rc=$?
kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null; feeder=
[[ $rc -eq 3 ]] || { "$RAMP_BIN" status web --env prod --json; fail "canary 3.0.0 exited $rc, expected 3 (rolled back)"; }
got=$(py listener)
echo "listener after the rollback: $got"
[[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get('2.0.0'), d.get('3.0.0', 0))" "$got") == "100 0" ]] || fail "after rollback: $got"

"$RAMP_BIN" down >/dev/null || fail "ramp down"
tags=$(py tagged); echo "after down: $tags"
[[ "$tags" == '{"asg": 0, "tg": 0, "lt": 0, "max_groups_per_fleet": 0}' ]] || fail "resources left: $tags"
echo "PASS"
