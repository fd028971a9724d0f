# Shared by the AWS end-to-end scripts (sourced, not run): moto from the
# suite's fixture (signature checking on; the IAM key made by
# tests/aws/moto_keys.py is exported as AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY), helpers to read moto with boto3, a work
# directory with a release, and the ramp.yaml of an aws environment.
#   py CMD ...          moto_world.py against moto itself (never the proxy)
#   fail MSG            prints FAIL, stops ramp/feeder/proxy, exits 1
#   expect JSON         waits (bounded, 30 s) until ramp's tagged resources
#                       ({"fleets": ..., "rules": n}) are exactly JSON
#   fleet VERSION       the JSON of one whole fleet (1 of each, 2 instances)
#   config STRATEGY     writes ramp.yaml with STRATEGY's YAML lines ($ALARMS:
#                       the environment's alarms, $ALERTS: the service's alerts);
#                       the environment's infrastructure: DNS records in
#                       example.com (weighted), the web/errors alarm
#   apply_infra         `ramp apply --env prod --yes`: what deployments ride on
#   start_feeder S BAD  moto_world.py feed S BAD in the background ($feeder),
#                       returning once its first round is in CloudWatch (at
#                       most 60 s): a canary analysed before its metrics
#                       source publishes reads 0/0 on both fleets (seen at
#                       load 15, where python + boto3 take seconds to start)
#   chain_is JSON       the record web.prod.example.com leads, through moto's
#                       API, to exactly JSON ({region: {forward, instances}})
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=$(cat "$RAMP_MOTO_STATE/moto.port" 2>/dev/null) || { echo "FAIL: moto fixture not running"; exit 1; }
moto="http://127.0.0.1:$port"
# moto checks every signature: a reset, then an IAM key of its own (3 free calls).
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY < <(python3 "$here/../aws/moto_keys.py" "$moto") \
  || { echo "FAIL: moto reset with signature checking"; exit 1; }
[[ -n "$AWS_SECRET_ACCESS_KEY" ]] || { echo "FAIL: no IAM key from moto"; exit 1; }
export AWS_ENDPOINT_URL="$moto" AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset RAMP_FAILPOINT RAMP_FAILPOINT_RANDOM
py() { AWS_ENDPOINT_URL="$moto" python3 "$here/moto_world.py" "$@"; }
proxy= feeder=
stop_proxy() { [[ -n "$proxy" ]] && { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; }; proxy=; }
start_feeder() {  # $1 = seconds, $2 = the bad version
  local ready="$RAMP_HOME/feeder.ready"
  rm -f "$ready"
  AWS_ENDPOINT_URL="$moto" python3 "$here/moto_world.py" feed "$1" "$2" "$ready" & feeder=$!
  for _ in $(seq 1 600); do
    [[ -s "$ready" ]] && return 0
    kill -0 "$feeder" 2>/dev/null || { feeder=; fail "the metrics feeder exited before its first round"; }
    sleep 0.1
  done
  fail "the metrics feeder published nothing to CloudWatch within 60 s"
}
stop_feeder() { [[ -n "$feeder" ]] && { kill "$feeder" 2>/dev/null; wait "$feeder" 2>/dev/null; }; feeder=; }
fail() {
  echo "FAIL: $*"
  "$RAMP_BIN" down >/dev/null 2>&1
  stop_feeder; stop_proxy
  declare -F on_fail >/dev/null && on_fail
  exit 1
}
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

# Deployments run with the controller's config of record: push ramp.yaml
# (unchanged = nothing recorded) before each deployment or promotion.
push_config() {
  "$RAMP_BIN" config push >config-push.out 2>&1 || fail "config push: $(cat config-push.out)"
}

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
      alarms: ${ALARMS:-[]}
      dns: {zone: example.com, routing: weighted}
      alarm_definitions:
        - {name: errors, metric: target_5xx_rate, threshold: 50, period: 60s, evaluation_periods: 1}
pipeline: [prod]
services:
  web:
    release: {from: release}
    run: {command: bin/web}
    instances: 2
    instance_type: t3.micro
    health: {path: /healthz, interval: 200ms, timeout: 100ms}
    alerts: ${ALERTS:-[]}
$1
    analysis:
      min_requests: 50
      on_inconclusive: rollback
      metrics:
        - {name: error_rate, kind: error_rate, critical: true}
YAML
}
apply_infra() {
  py zone example.com >/dev/null || fail "hosted zone"
  "$RAMP_BIN" apply --env prod --yes >"$RAMP_HOME/apply.out" 2>&1 || fail "ramp apply: $(tail -20 "$RAMP_HOME/apply.out")"
}
chain_is() {  # $1 = {region: {"forward": {...}, "instances": {...}}}
  local want=$1 got=
  for _ in $(seq 1 40); do
    got=$(py chain web.prod.example.com) || fail "chain"
    python3 -c "
import json,sys
g=json.loads(sys.argv[1])['sets']; w=json.loads(sys.argv[2])
sys.exit(0 if {r: {'forward': s.get('forward'), 'instances': s.get('instances')} for r, s in g.items()} == w else 1)" "$got" "$want" \
      && { echo "chain: $got"; return 0; }
    sleep 0.5
  done
  fail "web.prod.example.com does not lead to exactly $want: $got"
}
BLUEGREEN="    strategy: {type: bluegreen, bake: 0s, deadline: 20s, drain: 0s}"
CANARY="    strategy:
      type: canary
      bake: 0s
      deadline: 20s
      drain: 0s
      pin: {header: X-Ramp-Canary}
      steps:
        - weight: 20
        - analysis: {duration: 6s, interval: 500ms}
        - weight: 100"
