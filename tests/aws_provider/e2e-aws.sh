#!/usr/bin/env bash
# End to end on the aws provider against moto (signature checking on, an
# IAM key of its own): `ramp apply` makes the environment's infrastructure,
# and `ramp deploy` (which starts `ramp serve`) attaches fleets to it.
#   0. a deployment before `ramp apply` is refused naming `ramp apply --env
#      prod` (exit 1, nothing recorded, no load balancer made); then apply
#   1. blue/green 1.0.0 then 2.0.0: succeed; web.prod.example.com leads (per
#      moto's API: record -> load balancer -> listener -> web's rule ->
#      target groups -> Auto Scaling instances) to 2.0.0 at 100; plan and
#      drift see no change (the rule's weights are the deployments')
#   2. canary 3.0.0 whose target group CloudWatch shows 30% 5XX: rolled back
#      (exit 3); the record leads to 2.0.0 at 100 again
#      and its rollback alerted on an SNS topic (received through SQS)
#   3. canary 4.0.0 with no bad number but the infrastructure's alarm
#      ramp-shop-prod-web/errors, which watches the canary's target group,
#      set to ALARM (SetAlarmState): rolled back naming it; the alarm then
#      watches 2.0.0's target group again
#   4. the 2.0.0 fleet is tagged ramp:deployment=<its deployment id>; the
#      canary verdict records latency_source "average-fallback" (moto has
#      no percentiles)
#   5. after each deployment, every ramp-tagged resource (groups, launch
#      templates, target groups, instances, listener rules) is exactly the
#      live fleet's: no twin, no orphan; `ramp down` leaves no group, target
#      group or template, and the one load balancer is the infrastructure's
#
# e2e-aws.sh --faults: the same, with ramp (serve and CLI) talking to moto
# through tests/aws_provider/fault_proxy.py, which throttles every 5th AWS
# request, answers every 7th with a 500 and drops the connection of every
# 11th after moto performed it. The test also checks that each kind of fault
# did happen during the run (proxy stats).
set -u
faults=0; [[ "${1:-}" == --faults ]] && faults=1
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"
alarmer=
on_fail() { [[ -n "$alarmer" ]] && kill "$alarmer" 2>/dev/null; }
limit=90
if [[ $faults == 1 ]]; then
  pstate="$RAMP_HOME/proxy"
  python3 "$here/fault_proxy.py" --upstream "$moto" --state "$pstate" --throttle 5 --error 7 --drop 11 &
  proxy=$!
  for _ in $(seq 1 100); do [[ -s "$pstate/proxy.port" ]] && break; sleep 0.1; done
  [[ -s "$pstate/proxy.port" ]] || fail "fault proxy did not start"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$pstate/proxy.port")"
  echo "ramp talks to moto through the fault proxy at $AWS_ENDPOINT_URL"
  # The proxy faults about 38% of all requests, by a count shared by every
  # caller, so with the engine's workers calling at once one call's 3
  # attempts (AWS's standard default) can all land on faults, and create_fleet
  # then fails the deployment cleanly (seen once in CI after the worker pool
  # landed). This test is about converging under faults: it gives the client
  # the retry budget an operator sets for a flaky API (AWS_MAX_ATTEMPTS, as
  # the AWS SDKs). Retrying a transient error until the phase's deadline in
  # the engine itself is issue #21's work (branch aws-rebased).
  export AWS_MAX_ATTEMPTS=6
  limit=240
fi
config "$BLUEGREEN"
"$RAMP_BIN" validate || fail "validate"
for v in 1.0.0 2.0.0 3.0.0; do
  "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"
done

push_config
# 0. Not applied yet: refused at once, naming the command; nothing made.
timeout 60 "$RAMP_BIN" deploy web --env prod --version 1.0.0 >deploy-0.log 2>&1; rc=$?
[[ $rc -eq 1 ]] || fail "a deployment before ramp apply exited $rc: $(cat deploy-0.log)"
grep -q 'ramp apply --env prod' deploy-0.log || fail "the refusal does not name ramp apply: $(cat deploy-0.log)"
[[ $(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['lbs']))" "$(py inventory)") == 0 ]] \
  || fail "a load balancer was made without ramp apply: $(py inventory)"
"$RAMP_BIN" status web --env prod --json | grep -q '"id"' && fail "the refused deployment was recorded"
apply_infra

timeout $limit "$RAMP_BIN" deploy web --env prod --version 1.0.0; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc"
expect "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"
chain_is '{"us-east-1": {"forward": {"1.0.0": 100}, "instances": {"1.0.0": 2}}}'
timeout $limit "$RAMP_BIN" deploy web --env prod --version 2.0.0 | tee "$RAMP_HOME/deploy-2.log"; rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "deploy 2.0.0 exited $rc"
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
chain_is '{"us-east-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}}'
grep -q 'http://web.prod.example.com' "$RAMP_HOME/deploy-2.log" || "$RAMP_BIN" status web --env prod --json | grep -q 'http://web.prod.example.com' \
  || fail "the entry point is not the service's DNS name: $("$RAMP_BIN" status web --env prod --json)"
id2=$(sed -n 's/.* as \(d-[0-9a-z-]*\).*/\1/p' "$RAMP_HOME/deploy-2.log" | head -1)
got=$(py inventory)
[[ -n "$id2" && $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['deployments'])" "$got") == "['$id2']" ]] \
  || fail "the 2.0.0 fleet's resources are not tagged ramp:deployment=$id2: $got"
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['lbs'])" "$got") == "{'ramp-shop-prod-use1': 'infra'}" ]] \
  || fail "a load balancer the infrastructure does not know: $got"
tags=$(py tagged); echo "tagged: $tags"
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['max_groups_per_fleet'])" "$tags") -le 1 ]] || fail "twin groups: $tags"
# The rule's weights and the alarm's target group are the deployments':
# the infrastructure sees no change.
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan-after.out 2>&1; rc=$?
[[ $rc -eq 0 ]] || fail "plan after deployments exited $rc: $(cat plan-after.out)"
"$RAMP_BIN" drift --env prod >drift-after.out 2>&1; rc=$?
[[ $rc -eq 0 ]] || fail "drift after deployments exited $rc: $(cat drift-after.out)"

# Its rollback is alerted on an SNS topic (an SQS queue subscribed to it
# receives the event JSON).
read -r topic inbox < <(python3 "$here/sns_sqs.py" "$moto" us-east-1 topic ramp-alerts) || fail "sns topic"
[[ "$topic" == arn:aws:sns:us-east-1:* ]] || fail "no topic ARN: $topic"
ALERTS="[{sns: $topic}]" config "$CANARY"
start_feeder $((limit - 10)) 3.0.0
push_config
timeout $limit "$RAMP_BIN" deploy web --env prod --version 3.0.0; rc=$?
stop_feeder
[[ $rc -eq 3 ]] || { "$RAMP_BIN" status web --env prod --json; fail "canary 3.0.0 exited $rc, expected 3 (rolled back)"; }
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
chain_is '{"us-east-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}}'
got=$(python3 "$here/sns_sqs.py" "$moto" us-east-1 receive "$inbox" 30)
python3 -c "
import json,sys
m=[json.loads(e['Message']) for e in json.loads(sys.argv[1])]
sys.exit(0 if any(b['event']=='deployment.rolled_back' and b['version']=='3.0.0' and b['service']=='web' for b in m) else 1)" "$got" \
  || fail "no deployment.rolled_back alert for 3.0.0 on SNS: $got"
# The alert reached SQS; its notification event is written once the publish
# is answered (under the fault proxy a lost answer is retried after its
# backoff, up to 8 s): wait for it, bounded.
noted=
for _ in $(seq 1 60); do
  "$RAMP_BIN" audit --json | grep -q '"sns"' && { noted=1; break; }
  sleep 0.5
done
[[ -n "$noted" ]] || fail "no notification event names the sns topic within 30 s"
echo "SNS alert received: $(python3 -c "import json,sys; print(json.loads(sys.argv[1])[0]['Subject'])" "$got")"
# The verdict says where latency came from: moto has no percentiles.
"$RAMP_BIN" audit --json >"$RAMP_HOME/audit.json" || fail "ramp audit --json"
python3 -c "
import json,sys
t=open(sys.argv[1]).read()
sys.exit(0 if '\"latency_source\": \"average-fallback\"' in t or '\"latency_source\":\"average-fallback\"' in t else 1)" "$RAMP_HOME/audit.json" \
  || fail "no verdict says latency_source average-fallback: $(grep -o '.\{80\}verdict.\{200\}' "$RAMP_HOME/audit.json" | head -3)"

# A canary whose alarm (the infrastructure's, on the canary's target group)
# goes to ALARM is rolled back naming it, though no number says it is bad.
# No metrics and a 60 s analysis: the judge cannot end the step before the
# test's alarm setter (python polling moto, seconds per look at load 17)
# has seen the alarm watch the canary; the alarm ends it at its next look.
config "${CANARY/duration: 6s/duration: 60s}"
"$RAMP_BIN" release create web --version 4.0.0 --from release >/dev/null || fail "release 4.0.0"
push_config
py alarm-on ramp-shop-prod-web/errors 4.0.0 ALARM $((limit - 10)) keep >alarm-on.out 2>&1 & alarmer=$!
timeout $limit "$RAMP_BIN" deploy web --env prod --version 4.0.0 | tee "$RAMP_HOME/deploy-4.log"; rc=${PIPESTATUS[0]}
wait "$alarmer" || { alarmer=; fail "the alarm never watched 4.0.0's target group: $(cat alarm-on.out)"; }
alarmer=
[[ $rc -eq 3 ]] || fail "canary 4.0.0 with its alarm firing exited $rc, expected 3 (rolled back)"
grep -q "alarm ramp-shop-prod-web/errors is in ALARM" "$RAMP_HOME/deploy-4.log" || fail "the rollback reason does not name the alarm"
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"
py alarm-on ramp-shop-prod-web/errors 2.0.0 OK 20 >/dev/null || fail "the alarm does not watch 2.0.0's target group again"

"$RAMP_BIN" down >/dev/null || fail "ramp down"
tags=$(py tagged); echo "after down: $tags"
[[ "$tags" == '{"asg": 0, "tg": 0, "lt": 0, "max_groups_per_fleet": 0}' ]] || fail "resources left: $tags"
expect '{"fleets": {}, "rules": 0}'
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['lbs'])" "$(py inventory)") == "{'ramp-shop-prod-use1': 'infra'}" ]] \
  || fail "after down, a load balancer other than the infrastructure's: $(py inventory)"
if [[ $faults == 1 ]]; then
  stats=$(curl -s "$AWS_ENDPOINT_URL/__proxy/stats"); echo "fault proxy: $stats"
  python3 -c "import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s['throttled'] > 0 and s['errors'] > 0 and s['dropped'] > 0 else 1)" "$stats" \
    || fail "the proxy did not inject every kind of fault: $stats"
  stop_proxy
fi
echo "PASS"
