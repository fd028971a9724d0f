#!/usr/bin/env bash
# ramp plan / apply / drift end to end on a `local` environment through
# `ramp serve` (autostarted by the CLI): the router's entry points are the
# resources (local_listener). Plan shows the creates (exit 2 with
# --detailed-exitcode), apply without a terminal needs --yes, apply, plan
# again is a no-op (exit 0), a saved plan made before is refused as stale,
# an entry point deleted behind ramp's back is drift (exit 2) and the next
# apply recreates it, and a controller killed (SIGKILL failpoint) between
# the router call and the state write is resumed by the next apply from the
# journal, after which everything converges.
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" && cd "$work" || exit 1
write_config() {
  {
    echo "project: infra-e2e"
    echo "environments:"
    echo "  int:"
    echo "    provider: local"
    echo "  prod:"
    echo "    provider: local"
    echo "    approval: {approvals: 1}"
    echo "pipeline: [int, prod]"
    echo "services:"
    for s in "$@"; do
      echo "  $s:"
      echo "    run: {command: bin/$s}"
    done
  } > ramp.yaml
}
write_config web api

# 0. Bad input is refused with the place named, before any call.
"$RAMP_BIN" plan --env nope >bad.out 2>&1 && fail "plan of an unknown env succeeded"
grep -q -- "--env: no environment 'nope'" bad.out || fail "unknown env: $(cat bad.out)"
"$RAMP_BIN" apply --env int --region mars --yes >bad.out 2>&1 && fail "apply to an unknown region succeeded"
grep -q -- "--region: region 'mars'" bad.out || fail "unknown region: $(cat bad.out)"
echo '{"not": "a plan"' > broken.plan
"$RAMP_BIN" apply broken.plan >bad.out 2>&1 && fail "a broken saved plan was applied"
grep -q 'broken.plan: not a saved plan' bad.out || fail "broken saved plan: $(cat bad.out)"

# Before the first `ramp config push` there is no approval policy of record:
# the apply is refused naming the push (the request's own config must not
# decide whether approvals are needed), and nothing is applied.
"$RAMP_BIN" apply --env int --yes >nopush.out 2>&1 && fail "an apply before any config push succeeded"
grep -q 'ramp config push' nopush.out || fail "the refusal does not name ramp config push: $(cat nopush.out)"
"$RAMP_BIN" plan --env int --detailed-exitcode >/dev/null 2>&1
[[ $? == 2 ]] || fail "the refused apply changed something"
"$RAMP_BIN" config push -m "apply e2e" >push.out 2>&1 || fail "config push: $(cat push.out)"

# PROD needs an approval: its infrastructure apply waits for one (exit 4),
# nothing applied (tests/infra/approval covers the approvals themselves).
"$RAMP_BIN" apply --env prod --yes >prod.out 2>&1
rc=$?
[[ $rc == 4 ]] || fail "an apply to an approval-gated env: exit $rc (want 4): $(cat prod.out)"
grep -q 'awaits approval' prod.out || fail "approval wait: $(cat prod.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >/dev/null 2>&1
[[ $? == 2 ]] || fail "the pending prod change applied something"

# 1. Plan: two creates, exit 2 with --detailed-exitcode; saved for later.
"$RAMP_BIN" plan --env int --detailed-exitcode >plan1.out 2>plan1.err
rc=$?
[[ $rc == 2 ]] || fail "first plan exit $rc (want 2): $(cat plan1.out plan1.err)"
grep -q '+ local_listener.web\[local\]' plan1.out || fail "plan lacks the web listener: $(cat plan1.out)"
grep -q '+ local_listener.api\[local\]' plan1.out || fail "plan lacks the api listener: $(cat plan1.out)"
"$RAMP_BIN" plan --env int -o saved.plan >/dev/null || fail "plan -o"
"$RAMP_BIN" plan --env int --json >plan1.json || fail "plan --json"
python3 -c 'import json,sys; p=json.load(open("plan1.json")); assert p["no_op"] is False and len(p["changes"])==2, p' \
  || fail "plan --json: $(cat plan1.json)"

# 2. Not a terminal and no --yes: refused, nothing applied.
"$RAMP_BIN" apply --env int </dev/null >apply0.out 2>apply0.err && fail "apply without --yes off a terminal succeeded"
grep -q -- '--yes' apply0.err || fail "refusal does not name --yes: $(cat apply0.err)"

# 3. Apply, then plan again: no changes (exit 0 with --detailed-exitcode).
"$RAMP_BIN" apply --env int --yes >apply1.out 2>&1 || fail "apply: $(cat apply1.out)"
grep -q 'Apply complete: 2 done, 0 failed' apply1.out || fail "apply report: $(cat apply1.out)"
"$RAMP_BIN" plan --env int --detailed-exitcode >plan2.out 2>&1
rc=$?
[[ $rc == 0 ]] || fail "plan after apply exit $rc (want 0): $(cat plan2.out)"
grep -q 'No changes' plan2.out || fail "plan after apply: $(cat plan2.out)"
"$RAMP_BIN" drift --env int >drift0.out 2>&1 || fail "drift after apply: $(cat drift0.out)"

# 4. The plan saved before the apply is stale now: refused, naming the region.
"$RAMP_BIN" apply saved.plan >stale.out 2>&1 && fail "a stale plan was applied"
grep -q 'stale plan' stale.out || fail "stale refusal: $(cat stale.out)"
grep -q 'region local' stale.out || fail "stale refusal does not name the region: $(cat stale.out)"

# 5. Drift: delete the api entry point behind ramp's back.
admin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$RAMP_HOME/router/admin.json")
tok=$(cat "$RAMP_HOME/router/admin.token")
curl -s -f -X DELETE -H "Authorization: Bearer $tok" "http://$admin/admin/v1/entrypoints/api.int.local" >/dev/null \
  || fail "deleting the entry point through the router admin API"
"$RAMP_BIN" drift --env int >drift1.out 2>&1
rc=$?
[[ $rc == 2 ]] || fail "drift exit $rc (want 2): $(cat drift1.out)"
grep -q 'local_listener.api\[local\] (local) deleted outside ramp' drift1.out || fail "drift report: $(cat drift1.out)"
"$RAMP_BIN" drift --env int --json >drift1.json
python3 -c 'import json; d=json.load(open("drift1.json")); assert d["drift"] and d["items"][0]["kind"]=="deleted", d' \
  || fail "drift --json: $(cat drift1.json)"
"$RAMP_BIN" apply --env int --yes >apply2.out 2>&1 || fail "apply after drift: $(cat apply2.out)"
"$RAMP_BIN" drift --env int >/dev/null 2>&1 || fail "drift after re-apply"

# 6. kill -9 of the controller between the router call and the state write.
write_config web api search
"$RAMP_BIN" down >/dev/null 2>&1 || fail "down"
RAMP_FAILPOINT=infra-apply:after-call "$RAMP_BIN" apply --env int --yes >killed.out 2>&1 \
  && fail "the apply with a kill failpoint succeeded: $(cat killed.out)"
"$RAMP_BIN" down >/dev/null 2>&1   # the dead controller's record; the router is stopped too
# The new controller waits out the dead one's lock (TTL 10 s), then resumes.
ok=
for i in $(seq 1 30); do
  if "$RAMP_BIN" apply --env int --yes >resumed.out 2>&1; then ok=1; break; fi
  grep -q 'holds the lock' resumed.out || fail "re-apply: $(cat resumed.out)"
  sleep 1
done
[[ -n "$ok" ]] || fail "the dead controller's lock never expired: $(cat resumed.out)"
grep -q 'resumed from an interrupted apply' resumed.out || fail "nothing resumed: $(cat resumed.out)"
"$RAMP_BIN" plan --env int --detailed-exitcode >plan3.out 2>&1
rc=$?
[[ $rc == 0 ]] || fail "plan after the resumed apply exit $rc: $(cat plan3.out)"
n=$(curl -s -H "Authorization: Bearer $(cat "$RAMP_HOME/router/admin.token")" \
      "http://$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$RAMP_HOME/router/admin.json")/admin/v1/entrypoints" \
    | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["entrypoints"] if e["name"].endswith(".int.local")))')
[[ "$n" == 3 ]] || fail "expected 3 entry points, found $n"
"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
