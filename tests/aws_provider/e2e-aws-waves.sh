#!/usr/bin/env bash
# Regions in waves on the aws provider against moto (signature checking on),
# riding on the infrastructure `ramp apply` makes; `ramp deploy` without
# --region.
#   1. prod in us-east-1 only: apply, 1.0.0 deployed; then eu-west-1 added to
#      `regions` (with its network under aws.region_settings, as VPCs are
#      regional): the plan creates exactly eu-west-1's resources and updates
#      the DNS record (its new set), nothing else; apply; blue/green 2.0.0
#      goes us-east-1 then eu-west-1, and web.prod.example.com leads in both
#      regions (record set -> load balancer -> listener -> rule -> target
#      groups -> instances) to 2.0.0 at 100; with dns.drain on, each wave
#      takes its region out of DNS (weight 0, watched in Route 53) while
#      changing it and back after, never both regions at once (ramp's
#      Route 53 calls go through tests/aws_provider/fault_proxy.py without
#      faults, which logs the record changes that reached moto, in order)
#   2. canary 3.0.0 whose us-east-1 target group shows 30% 5XX: rolled back
#      in us-east-1 (exit 3), the waves stop: eu-west-1 never gets a 3.0.0
#      resource and keeps 2.0.0 at 100; the deployment names the region
#   3. promotion of 2.0.0 into a second two-region environment (live, its
#      infrastructure applied) the controller never deployed to: learned
#      from the promotion, in waves
#   4. ramp down: nothing ramp-tagged left in either region but the
#      infrastructure's load balancers
set -u
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"
limit=150
# ramp's Route 53 calls go through the proxy (no faults: it only logs what
# reaches moto, in order), so the DNS drain's record changes are seen however
# fast a wave is. Set before the first ramp command starts the controller.
python3 "$here/fault_proxy.py" --upstream "$moto" --state "$RAMP_HOME/r53proxy" --log "$RAMP_HOME/r53.log" &
proxy=$!
for _ in $(seq 1 100); do [[ -s "$RAMP_HOME/r53proxy/proxy.port" ]] && break; sleep 0.1; done
[[ -s "$RAMP_HOME/r53proxy/proxy.port" ]] || fail "the Route 53 proxy did not start"
export AWS_ENDPOINT_URL_ROUTE_53="http://127.0.0.1:$(cat "$RAMP_HOME/r53proxy/proxy.port")"
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
# 1. One region, then a second one added to the configuration: the plan is
#    exactly that region's resources (and the DNS record's new set), and a
#    deployment rolls out there in a wave.
config "$BLUEGREEN"
for v in 1.0.0 2.0.0 3.0.0; do
  "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"
done
push_config
apply_infra
timeout $limit "$RAMP_BIN" deploy web --env prod --version 1.0.0 >deploy-0.log; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 in us-east-1 exited $rc"
chain_is '{"us-east-1": {"forward": {"1.0.0": 100}, "instances": {"1.0.0": 2}}}'
waves_config "$BLUEGREEN"
"$RAMP_BIN" validate >validate.out 2>&1 || fail "validate: $(cat validate.out)"
"$RAMP_BIN" plan --env prod --json >plan-eu.json 2>plan-eu.err || fail "plan with eu-west-1: $(cat plan-eu.err)"
python3 - plan-eu.json <<'PY' || fail "the plan is not exactly eu-west-1's resources and the record's set: $(python3 -c "import json,sys; print([(c['action'], c['address']) for c in json.load(open('plan-eu.json'))['changes']])")"
import json, sys
p = json.load(open(sys.argv[1]))
changes = [(c["action"], c["address"], c["region"]) for c in p["changes"]]
creates = [c for c in changes if c[0] == "create"]
others = [c for c in changes if c[0] != "create"]
assert creates and all(r == "eu-west-1" for _, _, r in creates), changes
assert others == [("update", "aws_route53_record.web", "")], others
types = sorted({a.split(".")[0] for _, a, _ in creates})
assert types == ["aws_cloudwatch_alarm", "aws_lb", "aws_lb_listener", "aws_lb_listener_rule", "aws_sns_topic"], types
PY
push_config
"$RAMP_BIN" apply --env prod --yes >apply-eu.out 2>&1 || fail "apply eu-west-1: $(tail -5 apply-eu.out)"
"$RAMP_BIN" render --env prod --region eu-west-1 --json >render-eu.json 2>&1 || fail "render eu-west-1: $(cat render-eu.json)"
grep -q "$euvpc" render-eu.json || fail "the eu-west-1 render does not carry eu-west-1's VPC $euvpc"
# With dns.drain, each wave takes its region out of DNS (weight 0) while it
# changes it and puts it back after; the other region keeps serving, so
# the name never leads nowhere. Watched through Route 53 during the deployment.
sed -i 's/routing: weighted}/routing: weighted, drain: true}/' ramp.yaml
grep -q 'drain: true' ramp.yaml || fail "could not turn dns.drain on"
"$RAMP_BIN" validate >validate-drain.out 2>&1 || fail "validate with dns.drain: $(cat validate-drain.out)"
push_config
rm -f weights.stop
py weights web.prod.example.com $limit weights.stop >weights.log 2>weights.err & watcher=$!
for _ in $(seq 1 100); do [[ -s weights.log ]] && break; sleep 0.1; done
[[ -s weights.log ]] || fail "the Route 53 watcher read nothing: $(cat weights.err)"
r53from=$(wc -l <"$RAMP_HOME/r53.log")
timeout $limit "$RAMP_BIN" deploy web --env prod --version 2.0.0 | tee deploy-1.log; rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "deploy 2.0.0 across regions exited $rc"
sleep 1; touch weights.stop; wait $watcher
tail -n +$((r53from + 1)) "$RAMP_HOME/r53.log" >r53-deploy.log
cat weights.log
# What reached Route 53 during the deployment, in order (the proxy's log):
# each region set to 0 then back to 1, us-east-1 first, never both at 0.
# The watcher's reads (a wave may drain and restore between two of them)
# only confirm moto's view: both in DNS before and after, never none.
python3 - r53-deploy.log weights.log <<'PY' || fail "the waves did not drain each region in DNS in turn"
import json, re, sys
changes = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["method"] != "POST" or "/rrset" not in r["path"]:
        continue
    for c in re.findall(r"<Change>(.*?)</Change>", r["body"], re.S):
        action = re.search(r"<Action>(\w+)</Action>", c).group(1)
        ident = re.search(r"<SetIdentifier>([^<]*)</SetIdentifier>", c)
        weight = re.search(r"<Weight>(\d+)</Weight>", c)
        if ident and weight:
            changes.append((action, ident.group(1), int(weight.group(1))))
print("Route 53 changes during the deployment:", changes)
want = [("UPSERT", "us-east-1", 0), ("UPSERT", "us-east-1", 1), ("UPSERT", "eu-west-1", 0), ("UPSERT", "eu-west-1", 1)]
assert changes == want, changes
seen = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert seen[0] == {"us-east-1": 1, "eu-west-1": 1}, ("not both in DNS before", seen[0])
assert seen[-1] == {"us-east-1": 1, "eu-west-1": 1}, ("not both back in DNS after", seen[-1])
assert all(any(w > 0 for w in s.values()) for s in seen), "at some point no region was in DNS"
PY
sed -i 's/routing: weighted, drain: true}/routing: weighted}/' ramp.yaml
push_config
expect_in us-east-1 "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
expect_in eu-west-1 "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
chain_is '{"eu-west-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}, "us-east-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}}'
id1=$(sed -n 's/.* as \(d-[0-9a-z-]*\).*/\1/p' deploy-1.log | head -1)
[[ -n "$id1" ]] || fail "no deployment id in the deploy output"
"$RAMP_BIN" audit --json >audit-1.json || fail "audit"
python3 - audit-1.json "$id1" <<'PY' || fail "the waves' audit events of $id1 are not us-east-1 then eu-west-1"
import json, sys
a = json.load(open(sys.argv[1])); d = sys.argv[2]
events = a if isinstance(a, list) else a.get("events", [])
kinds = [(e.get("kind"), (e.get("data") or {}).get("region")) for e in events if e.get("deployment") == d or e.get("deployment_id") == d]
waves = [k for k in kinds if k[0] in ("deployment.wave_succeeded", "deployment.wave_started")]
assert waves == [("deployment.wave_succeeded", "us-east-1"), ("deployment.wave_started", "eu-west-1")], kinds
PY

# 2. A canary of 3.0.0 that fails the judge in us-east-1 stops the waves.
waves_config "$CANARY"
start_feeder $((limit - 10)) 3.0.0
push_config
timeout $limit "$RAMP_BIN" deploy web --env prod --version 3.0.0 | tee deploy-2.log; rc=${PIPESTATUS[0]}
stop_feeder
[[ $rc -eq 3 ]] || fail "canary 3.0.0 exited $rc, expected 3 (rolled back in us-east-1)"
grep -q "rolled back in us-east-1" deploy-2.log || fail "the outcome does not name us-east-1: $(tail -5 deploy-2.log)"
grep -q "eu-west-1 not started" deploy-2.log || fail "the outcome does not say eu-west-1 was not started: $(tail -5 deploy-2.log)"
expect_in us-east-1 "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
expect_in eu-west-1 "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
chain_is '{"eu-west-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}, "us-east-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}}'

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
"$RAMP_BIN" apply --env live --yes >apply-live.out 2>&1 || fail "apply live: $(tail -5 apply-live.out)"
timeout $limit "$RAMP_BIN" promote web --to live | tee promote-live.log; rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "promote 2.0.0 to live exited $rc"
grep -q "regions in waves: us-east-1 -> eu-west-1" promote-live.log || fail "the promotion did not go in waves: $(head -3 promote-live.log)"
two='{"fleets": {"2.0.0": {"asg": 2, "tg": 2, "lt": 2, "instances": 4}}, "rules": 0}'
expect_in us-east-1 "$two"
expect_in eu-west-1 "$two"

# 4. Down: nothing left in either region but the infrastructure.
"$RAMP_BIN" down >/dev/null || fail "ramp down"
for region in us-east-1 eu-west-1; do
  expect_in $region '{"fleets": {}, "rules": 0}'
  lbs=$(MOTO_WORLD_REGION=$region py inventory | python3 -c "import json,sys; print(sorted(set(json.load(sys.stdin)['lbs'].values())))")
  [[ "$lbs" == "['infra']" ]] || fail "$region: a load balancer the infrastructure does not own: $lbs"
done
stop_proxy
echo "PASS"
