#!/usr/bin/env bash
# Regions in waves on the aws provider against moto: one environment with
# us-east-1 and eu-west-1 (eu-west-1's own network from
# aws.region_settings), `ramp deploy` without --region.
#   1. blue/green 1.0.0: us-east-1 first, then eu-west-1; each region has
#      exactly one 1.0.0 fleet (in its own VPC) and its listener sends 100
#      to it; one deployment, both waves succeeded
#   2. canary 2.0.0 whose us-east-1 target group shows 30% 5XX: rolled back
#      in us-east-1 (exit 3), the waves stop: eu-west-1 never gets a 2.0.0
#      resource and keeps 1.0.0 at 100; the deployment names the region
#   3. promotion of 1.0.0 into a second two-region environment (live) the
#      controller never deployed to: learned from the promotion, in waves
#   4. ramp down: nothing ramp-tagged left in either region
set -u
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"
limit=150
eu() { MOTO_WORLD_REGION=eu-west-1 py "$@"; }
read -r euvpc eus1 eus2 euami < <(eu settings) || fail "moto settings of eu-west-1"
[[ "$euvpc" == vpc-* && "$euvpc" != "$vpc" ]] || fail "eu-west-1 has no VPC of its own in moto: $euvpc"
# expect_in REGION JSON: like expect, in REGION
expect_in() {
  local region=$1 want=$2 got=
  for _ in $(seq 1 60); do
    got=$(MOTO_WORLD_REGION=$region py inventory) || fail "inventory of $region"
    python3 -c "import json,sys; g=json.loads(sys.argv[1]); w=json.loads(sys.argv[2]); sys.exit(0 if {'fleets': g['fleets'], 'rules': g['rules']} == w else 1)" "$got" "$want" && { echo "$region: $got"; return 0; }
    sleep 0.5
  done
  fail "$region: resources are not exactly the expected set: want $want, got $got"
}
waves_config() {  # $1 = strategy block
  config "$1"
  python3 - "$euvpc" "$eus1" "$eus2" <<'PY' || fail "writing the two-region config"
import sys
vpc, s1, s2 = sys.argv[1:4]
t = open("ramp.yaml").read()
t = t.replace("    regions: [us-east-1]\n", "    regions: [us-east-1, eu-west-1]\n", 1)
t = t.replace("      alarms:", f"      region_settings:\n        eu-west-1: {{vpc: {vpc}, subnets: [{s1}, {s2}]}}\n      alarms:", 1)
open("ramp.yaml", "w").write(t)
PY
}
waves_config "$BLUEGREEN"
"$RAMP_BIN" validate >validate.out 2>&1 || fail "validate: $(cat validate.out)"
"$RAMP_BIN" render --env prod --region eu-west-1 --json >render-eu.json 2>&1 || fail "render eu-west-1: $(cat render-eu.json)"
grep -q "$euvpc" render-eu.json || fail "the eu-west-1 render does not carry eu-west-1's VPC $euvpc"
for v in 1.0.0 2.0.0; do
  "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"
done

# 1. Blue/green 1.0.0 across both regions, one after the other.
push_config
timeout $limit "$RAMP_BIN" deploy web --env prod --version 1.0.0 | tee deploy-1.log; rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 across regions exited $rc"
expect_in us-east-1 "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
expect_in eu-west-1 "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
for region in us-east-1 eu-west-1; do
  got=$(MOTO_WORLD_REGION=$region py listener)
  [[ "$got" == '{"1.0.0": 100}' ]] || fail "$region's listener after 1.0.0: $got"
done
id1=$(sed -n 's/.* as \(d-[0-9a-z-]*\).*/\1/p' deploy-1.log | head -1)
[[ -n "$id1" ]] || fail "no deployment id in the deploy output"
"$RAMP_BIN" status web --env prod --json >status-1.json || fail "status"
python3 - "$RAMP_HOME/work/status-1.json" <<'PY' || fail "status after 1.0.0 does not show both waves succeeded: $(cat status-1.json)"
import json, sys
s = json.load(open(sys.argv[1]))
s = s[0] if isinstance(s, list) else s
t = json.dumps(s)
assert '"us-east-1"' in t and '"eu-west-1"' in t, "both regions"
PY
"$RAMP_BIN" audit --json >audit-1.json || fail "audit"
python3 - audit-1.json "$id1" <<'PY' || fail "the waves' audit events of $id1 are not us-east-1 then eu-west-1"
import json, sys
a = json.load(open(sys.argv[1])); d = sys.argv[2]
events = a if isinstance(a, list) else a.get("events", [])
kinds = [(e.get("kind"), (e.get("data") or {}).get("region")) for e in events if e.get("deployment") == d or e.get("deployment_id") == d]
waves = [k for k in kinds if k[0] in ("deployment.wave_succeeded", "deployment.wave_started")]
assert waves == [("deployment.wave_succeeded", "us-east-1"), ("deployment.wave_started", "eu-west-1")], kinds
PY

# 2. A canary of 2.0.0 that fails the judge in us-east-1 stops the waves.
waves_config "$CANARY"
AWS_ENDPOINT_URL="$moto" python3 "$here/moto_world.py" feed $((limit - 10)) 2.0.0 & feeder=$!
push_config
timeout $limit "$RAMP_BIN" deploy web --env prod --version 2.0.0 | tee deploy-2.log; rc=${PIPESTATUS[0]}
stop_feeder
[[ $rc -eq 3 ]] || fail "canary 2.0.0 exited $rc, expected 3 (rolled back in us-east-1)"
grep -q "rolled back in us-east-1" deploy-2.log || fail "the outcome does not name us-east-1: $(tail -5 deploy-2.log)"
grep -q "eu-west-1 not started" deploy-2.log || fail "the outcome does not say eu-west-1 was not started: $(tail -5 deploy-2.log)"
expect_in us-east-1 "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
expect_in eu-west-1 "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
for region in us-east-1 eu-west-1; do
  got=$(MOTO_WORLD_REGION=$region py listener)
  [[ "$got" == '{"1.0.0": 100}' ]] || fail "$region's listener after the stopped waves: $got"
done

# 3. A promotion into a two-region environment the controller has never
#    deployed to (live, after prod): the providers learn it, and every
#    region's network, from the promotion itself; 1.0.0 (prod's last
#    success) goes us-east-1 then eu-west-1.
waves_config "$BLUEGREEN"
python3 - <<'PY' || fail "writing the live environment"
t = open("ramp.yaml").read()
start, end = t.index("  prod:\n"), t.index("pipeline: [prod]")
live = t[start:end].replace("  prod:\n", "  live:\n", 1).replace("    aws:\n", "    aws:\n      load_balancer: ramp-web-live\n", 1)
t = t[:end] + live + t[end:]
t = t.replace("pipeline: [prod]", "pipeline: [prod, live]", 1)
open("ramp.yaml", "w").write(t)
PY
"$RAMP_BIN" validate >validate-live.out 2>&1 || fail "validate with live: $(cat validate-live.out)"
push_config
timeout $limit "$RAMP_BIN" promote web --to live | tee promote-live.log; rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "promote 1.0.0 to live exited $rc"
grep -q "regions in waves: us-east-1 -> eu-west-1" promote-live.log || fail "the promotion did not go in waves: $(head -3 promote-live.log)"
two='{"fleets": {"1.0.0": {"asg": 2, "tg": 2, "lt": 2, "instances": 4}}, "rules": 0}'
expect_in us-east-1 "$two"
expect_in eu-west-1 "$two"

# 4. Down: nothing left in either region.
"$RAMP_BIN" down >/dev/null || fail "ramp down"
expect_in us-east-1 '{"fleets": {}, "rules": 0}'
expect_in eu-west-1 '{"fleets": {}, "rules": 0}'
echo "PASS"
