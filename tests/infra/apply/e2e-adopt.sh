#!/usr/bin/env bash
# Plan and drift agree (issue 19, list 4). A deploy before any apply (the
# README's order) makes the router entry point that the configuration also
# asks for: plan shows it as an import (exit 2 with --detailed-exitcode),
# drift reports it as unrecorded — not a leftover — (exit 2), and the apply
# that imports it (no call changes it: same port, traffic keeps flowing)
# clears both. An entry point made by hand for a service of the
# configuration is adopted the same way; one for a service the
# configuration does not have stays a leftover for drift and is not
# planned, until `ramp apply --allow-destroy` deletes it (issue 21).
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" && cd "$work" || exit 1
cat > ramp.yaml <<'YAML'
project: adopt-e2e
environments:
  int: {provider: local}
pipeline: [int]
services:
  crawler:
    release: {from: release}
    run: {command: bin/crawler}
    health: {path: /healthz, interval: 100ms, timeout: 80ms, healthy_threshold: 1}
    instances: 1
    strategy: {type: bluegreen, bake: 0s}
  api:
    run: {command: bin/api}
YAML
cp "$RAMP_CRAWLER_BIN" release/bin/crawler
"$RAMP_BIN" release create crawler --version 1.0.0 >/dev/null || fail "release"
"$RAMP_BIN" config push -m "adopt" >/dev/null || fail "config push"
"$RAMP_BIN" deploy crawler --env int --version 1.0.0 >/dev/null || fail "deploy before any apply"
url=$("$RAMP_BIN" status crawler --env int --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entrypoint"])')

# A router entry point made outside ramp, for a service the config has (api)
# and for one it does not (ghost).
admin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$RAMP_HOME/router/admin.json")
rtok=$(cat "$RAMP_HOME/router/admin.token")
for ep in api.int.local ghost.int.local; do
  curl -s -f -X PUT -H "Authorization: Bearer $rtok" -H 'Content-Type: application/json' -d '{"port": 0}' \
    "http://$admin/admin/v1/entrypoints/$ep" >/dev/null || fail "making $ep by hand"
done

"$RAMP_BIN" plan --env int --detailed-exitcode >plan1.out 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "plan after a deploy: exit $rc (want 2: the entry point is not in the state): $(cat plan1.out)"
grep -q '<= local_listener.crawler\[local\]' plan1.out || fail "plan does not import crawler's entry point: $(cat plan1.out)"
grep -q '<= local_listener.api\[local\]' plan1.out || fail "plan does not import api's hand-made entry point: $(cat plan1.out)"
grep -q 'Plan: 2 to import, 0 to add, 0 to change, 0 to replace, 0 to destroy.' plan1.out || fail "summary: $(cat plan1.out)"
grep -q ghost plan1.out && fail "plan touches the entry point of a service the config does not have: $(cat plan1.out)"
"$RAMP_BIN" plan --env int --json >plan1.json
python3 -c 'import json; p=json.load(open("plan1.json")); assert sorted(c["action"] for c in p["changes"])==["import","import"] and p["summary"]["import"]==2, p' \
  || fail "plan --json: $(cat plan1.json)"

"$RAMP_BIN" drift --env int >drift1.out 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "drift after a deploy: exit $rc (want 2, as plan): $(cat drift1.out)"
grep -q '<= local_listener.crawler\[local\] (local) exists and the configuration wants it' drift1.out \
  || fail "drift does not report crawler's entry point as unrecorded: $(cat drift1.out)"
grep -q "ramp apply --env int. imports it" drift1.out || fail "drift does not say how to fix it: $(cat drift1.out)"
grep -q "local_listener.crawler\[local\] (local) carries ramp's tags" drift1.out && fail "crawler's entry point is a leftover: $(cat drift1.out)"
grep -q "? local_listener local_listener.ghost\[local\] (local) carries ramp's tags but no state knows it" drift1.out \
  || fail "the ghost entry point is not a leftover: $(cat drift1.out)"

"$RAMP_BIN" apply --env int --yes >apply.out 2>&1 || fail "apply: $(cat apply.out)"
grep -q 'Apply complete: 2 done, 0 failed' apply.out || fail "apply report: $(cat apply.out)"
"$RAMP_BIN" plan --env int --detailed-exitcode >plan2.out 2>&1; rc=$?
[[ $rc -eq 0 ]] || fail "plan after the import: exit $rc: $(cat plan2.out)"
# Drift now reports only the ghost (made outside ramp, not in the config).
"$RAMP_BIN" drift --env int --json >drift2.json; rc=$?
python3 -c '
import json; d=json.load(open("drift2.json"))
kinds = sorted((i["kind"], i["address"]) for i in d["items"])
assert kinds == [("leftover", "local_listener.ghost[local]")], kinds
' || fail "drift after the import: $(cat drift2.json)"
[[ $rc -eq 2 ]] || fail "drift with the ghost left: exit $rc"
# The leftover is deleted on request only (issue 21): drift says how, a
# plain apply has nothing to do, `plan --delete-leftovers` shows its delete
# and `apply --allow-destroy` makes it.
"$RAMP_BIN" drift --env int >drift2.out 2>&1
grep -q "ghost.*ramp apply --env int --allow-destroy. deletes it" drift2.out || fail "drift does not say how to delete the ghost: $(cat drift2.out)"
"$RAMP_BIN" plan --env int --delete-leftovers --detailed-exitcode >plan3.out 2>&1; rc=$?
[[ $rc -eq 2 ]] || fail "plan --delete-leftovers: exit $rc (want 2): $(cat plan3.out)"
grep -q -- '- local_listener.ghost\[local\]@ghost.int.local' plan3.out || fail "plan --delete-leftovers does not delete the ghost: $(cat plan3.out)"
grep -q 'Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy.' plan3.out || fail "plan --delete-leftovers summary: $(cat plan3.out)"
"$RAMP_BIN" plan --env int -o leftovers.plan --delete-leftovers >/dev/null 2>&1 || fail "saving the leftovers plan"
"$RAMP_BIN" apply leftovers.plan >apply2.out 2>&1 && fail "a saved plan deleting a leftover applied without --allow-destroy: $(cat apply2.out)"
grep -q -- "--allow-destroy" apply2.out || fail "the refusal does not name --allow-destroy: $(cat apply2.out)"
"$RAMP_BIN" drift --env int >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "the refused apply deleted the ghost anyway"
"$RAMP_BIN" apply --env int --allow-destroy --yes >apply3.out 2>&1 || fail "apply --allow-destroy: $(cat apply3.out)"
grep -q 'Apply complete: 1 done, 0 failed' apply3.out || fail "apply --allow-destroy report: $(cat apply3.out)"
curl -s -f -H "Authorization: Bearer $rtok" "http://$admin/admin/v1/entrypoints/ghost.int.local" >/dev/null 2>&1 \
  && fail "the ghost entry point is still in the router"
"$RAMP_BIN" drift --env int >drift3.out 2>&1 || fail "drift once nothing is left over: $(cat drift3.out)"

# The import changed nothing: same entry point, still answering 1.0.0.
url2=$("$RAMP_BIN" status crawler --env int --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entrypoint"])')
[[ "$url" == "$url2" ]] || fail "the entry point moved: $url -> $url2"
[[ "$(curl -s -m 3 "$url/version")" == "1.0.0" ]] || fail "the entry point no longer answers 1.0.0"
"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
