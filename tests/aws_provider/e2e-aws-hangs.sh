#!/usr/bin/env bash
# Every wait has an end, on moto with signature checking on: each hang
# issue #21 found is a scenario that must end with a clear reason well
# within its deadline (strategy.deadline 5s here), through the real CLI and
# `ramp serve`.
#   1. a wrong secret: `ramp deploy` is refused at once (exit 1) naming
#      SignatureDoesNotMatch; nothing is recorded
#   2. no credentials at all: refused naming "no AWS credentials"
#   3. a region AWS does not have (us-east-9): validate refuses it with "did
#      you mean 'us-east-1'" (so no deployment can name it; a controller
#      that remembers one from before is ProviderSetTest's case); `ramp down
#      --env prod` says it retired the one fleet it retired, `ramp down`
#      stops everything
#   4. the load balancer deleted behind ramp's back: the next deployment is
#      refused naming `ramp apply --env prod`; `ramp apply` puts it back and
#      the stable fleet's weights are on the new rule within seconds; a
#      paused canary whose load balancer is then deleted ends once resumed,
#      its reason naming `ramp apply`; `ramp down` leaves no group, target
#      group or template
#   5. moto restarted empty under a paused canary (its IAM key gone too):
#      `ramp abort` ends it (aborted, AWS's refusal named); `ramp down`
#      ends (exit 1 naming what it could not retire) and stops the router
#      and the controller
set -u
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"
good_id=$AWS_ACCESS_KEY_ID good_secret=$AWS_SECRET_ACCESS_KEY
PAUSED="    strategy:
      type: canary
      bake: 0s
      deadline: 5s
      drain: 0s
      steps:
        - weight: 20
        - pause: until_resumed
        - weight: 100"
FAST="    strategy: {type: bluegreen, bake: 0s, deadline: 5s, drain: 0s}"
# The deployment's field, from ramp status --json.
field() {  # $1 = field of "deployment"
  "$RAMP_BIN" status web --env prod --json 2>/dev/null | python3 -c "
import json,sys
s=json.load(sys.stdin); s=s[0] if isinstance(s, list) and s else s
print((s or {}).get('deployment', {}).get(sys.argv[1], ''))" "$1"
}
wait_field() {  # $1 = field, $2 = value, $3 = seconds
  for _ in $(seq 1 $(($3 * 10))); do [[ "$(field "$1")" == "$2" ]] && return 0; sleep 0.1; done
  fail "deployment $1 is not $2 within $3 s: $("$RAMP_BIN" status web --env prod --json)"
}
# Runs a command that must end within $1 seconds; its exit code in $rc, output in $out.
ends_within() {
  local s=$1; shift
  local t0=$SECONDS
  out=$(timeout "$s" "$@" 2>&1); rc=$?
  [[ $rc -ne 124 ]] || fail "'$*' did not end within $s s: $out"
  echo "'$*' ended in $((SECONDS - t0)) s with exit $rc"
}
config "$FAST"
push_config
"$RAMP_BIN" validate >/dev/null || fail "validate"
for v in 1.0.0 2.0.0 3.0.0; do "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"; done
apply_infra
# The controller `ramp apply` started has the good key: stopped, so the next
# command's controller starts with that command's credentials.
"$RAMP_BIN" down >/dev/null || fail "down after apply"

# 1. A wrong secret.
ends_within 30 env AWS_SECRET_ACCESS_KEY="${good_secret}x" "$RAMP_BIN" deploy web --env prod --version 1.0.0
[[ $rc -eq 1 ]] || fail "deploy with a wrong secret exited $rc: $out"
grep -q SignatureDoesNotMatch <<<"$out" || fail "the refusal does not name SignatureDoesNotMatch: $out"
grep -q "$good_secret" <<<"$out" && fail "the secret is in the output"
"$RAMP_BIN" down >/dev/null || fail "down after the wrong secret"

# 2. No credentials at all (no keys, no files, no instance role).
ends_within 30 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
  AWS_CONFIG_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true "$RAMP_BIN" deploy web --env prod --version 1.0.0
[[ $rc -eq 1 ]] || fail "deploy without credentials exited $rc: $out"
grep -qi "no AWS credentials" <<<"$out" || fail "the refusal does not say there are no credentials: $out"
"$RAMP_BIN" down >/dev/null || fail "down after no credentials"

# 3. A region AWS does not have.
sed 's/    regions: \[us-east-1\]/    regions: [us-east-1, us-east-9]/' ramp.yaml >bad-region.yaml
ends_within 10 "$RAMP_BIN" validate -f bad-region.yaml
[[ $rc -eq 1 ]] || fail "validate accepted us-east-9: $out"
grep -q "unknown AWS region 'us-east-9' (did you mean 'us-east-1'?)" <<<"$out" || fail "no did-you-mean: $out"
ends_within 60 "$RAMP_BIN" deploy web --env prod --version 1.0.0
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc: $out"
ends_within 60 "$RAMP_BIN" down --env prod
[[ $rc -eq 0 ]] || fail "down --env prod exited $rc: $out"
grep -q "retired 1 fleet" <<<"$out" || fail "down --env prod did not say it retired the fleet: $out"
expect '{"fleets": {}, "rules": 0}'
ends_within 30 "$RAMP_BIN" down
[[ $rc -eq 0 ]] || fail "down exited $rc: $out"

# 4. The load balancer deleted behind ramp's back.
ends_within 60 "$RAMP_BIN" deploy web --env prod --version 1.0.0
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc: $out"
py delete-lb ramp-shop-prod-use1 || fail "deleting the load balancer"
ends_within 30 "$RAMP_BIN" deploy web --env prod --version 2.0.0
[[ $rc -eq 1 ]] || fail "deploy onto a deleted load balancer exited $rc: $out"
grep -q "no load balancer ramp-shop-prod-use1" <<<"$out" && grep -q "ramp apply --env prod" <<<"$out" \
  || fail "the refusal does not name the load balancer and ramp apply: $out"
apply_infra  # puts it back; the stable fleet's weights follow at once
chain_is '{"us-east-1": {"forward": {"1.0.0": 100}, "instances": {"1.0.0": 2}}}'
config "$PAUSED"
push_config
"$RAMP_BIN" deploy web --env prod --version 2.0.0 --detach >/dev/null || fail "deploy 2.0.0 --detach"
wait_field state paused 60
py delete-lb ramp-shop-prod-use1 || fail "deleting the load balancer again"
t0=$SECONDS
# Resumed; or refused because the deployment already ended on its own (the
# tick found the load balancer gone while paused): either way it must end.
"$RAMP_BIN" resume web --env prod >resume.out 2>&1 || echo "resume refused: $(cat resume.out)"
for _ in $(seq 1 300); do [[ "$(field phase)" == done ]] && break; sleep 0.1; done
[[ "$(field phase)" == done ]] || fail "the resumed canary did not end within 30 s: $("$RAMP_BIN" status web --env prod --json)"
echo "the canary without its load balancer ended in $((SECONDS - t0)) s: $(field state): $(field reason)"
[[ "$(field reason)" == *"ramp apply --env prod"* ]] || fail "its reason does not name ramp apply: $(field reason)"
ends_within 60 "$RAMP_BIN" down
[[ $rc -eq 0 ]] || fail "down exited $rc: $out"
tags=$(py tagged)
[[ "$tags" == '{"asg": 0, "tg": 0, "lt": 0, "max_groups_per_fleet": 0}' ]] || fail "resources left: $tags"

# 5. moto restarted empty under a paused canary.
apply_infra
config "$FAST"
push_config
ends_within 60 "$RAMP_BIN" deploy web --env prod --version 1.0.0
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc: $out"
config "$PAUSED"
push_config
"$RAMP_BIN" deploy web --env prod --version 3.0.0 --detach >/dev/null || fail "deploy 3.0.0 --detach"
wait_field state paused 60
curl -s -X POST "$moto/moto-api/reset" >/dev/null || fail "moto reset"
ends_within 30 "$RAMP_BIN" abort web --env prod
for _ in $(seq 1 300); do [[ "$(field phase)" == done ]] && break; sleep 0.1; done
[[ "$(field phase)" == done && "$(field state)" == aborted ]] \
  || fail "abort did not end within 30 s: $("$RAMP_BIN" status web --env prod --json)"
echo "aborted: $(field reason)"
[[ "$(field reason)" == *InvalidClientTokenId* || "$(field reason)" == *UnrecognizedClient* ]] \
  || fail "the reason does not name AWS's refusal: $(field reason)"
ends_within 60 "$RAMP_BIN" down
[[ $rc -eq 1 ]] || fail "down with nothing retirable exited $rc: $out"
grep -q "not retired: fleet" <<<"$out" || fail "down does not name what it could not retire: $out"
for _ in $(seq 1 100); do [[ -f "$RAMP_HOME/controller.json" ]] || break; sleep 0.1; done
[[ -f "$RAMP_HOME/controller.json" ]] && fail "the controller is still running after down"
echo "PASS"
