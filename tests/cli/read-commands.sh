#!/usr/bin/env bash
# The numbers and names people read (issue 19, lists 5-7), through the real
# binary and a real controller in this test's own RAMP_HOME:
#  - read commands refuse a typo with "did you mean" and the argument as it
#    was typed (SERVICE, --env, --to), never "no deployments yet" / exit 0;
#  - deploy's header shows the release digest (as release create does) and
#    names the config digest as such;
#  - updated_at is a real recent time in `status --json` and the API;
#  - `status` names the controller and its dashboard; `serve` with one
#    running says where it is (exit 0), not a lease error;
#  - a fleet that failed is not listed by `status` ("previous 0/0");
#  - `approve` by the requester says who may approve and how to grant it.
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" "$work/sick/bin" && cd "$work" || exit 1
cat > ramp.yaml <<'YAML'
project: read-commands
environments:
  int: {provider: local}
  prod:
    provider: local
    approval: {approvals: 1, roles: [approver]}
pipeline: [int, prod]
services:
  crawler:
    release: {from: release}
    run: {command: bin/crawler}
    health: {path: /healthz, interval: 100ms, timeout: 80ms, healthy_threshold: 1, unhealthy_threshold: 1}
    instances: 1
    strategy: {type: bluegreen, bake: 0s, deadline: 3s}
YAML
cp "$RAMP_CRAWLER_BIN" release/bin/crawler
cp "$RAMP_CRAWLER_BIN" sick/bin/crawler-bin
printf '#!/bin/sh\nexec "$(dirname "$0")/crawler-bin" --fail-health "$@"\n' > sick/bin/crawler
chmod +x sick/bin/crawler
"$RAMP_BIN" release create crawler --version 1.0.0 >/dev/null || fail "release 1.0.0"
"$RAMP_BIN" release create crawler --version 9.9.9 --from sick >/dev/null || fail "release 9.9.9 (fails its health)"
"$RAMP_BIN" config push -m "read commands" >/dev/null || fail "config push"
digest=$("$RAMP_BIN" release list crawler --json | python3 -c 'import json,sys; print([r for r in json.load(sys.stdin) if r["version"]=="1.0.0"][0]["digest"])')

# deploy's header: the release's digest first, the config's named as such.
out=$("$RAMP_BIN" deploy crawler --env int --version 1.0.0) || fail "deploy 1.0.0: $out"
head=$(head -1 <<<"$out")
[[ "$head" == "deploying crawler 1.0.0 (${digest:0:19}) to int (bluegreen, config sha256:"* ]] \
  || fail "deploy header does not lead with the release digest ${digest:0:19}: $head"
# Follow lines carry a wall time and an offset: "[HH:MM:SS  +0.3s]".
grep -qE '^\[[0-9]{2}:[0-9]{2}:[0-9]{2} +\+ *[0-9]+\.[0-9]s\] ' <<<"$out" || fail "follow lines have no timestamps: $out"

# Typos are refused, naming the argument as typed.
check_refusal() {  # expected-substring command...
  local want=$1; shift
  local err; err=$("$RAMP_BIN" "$@" 2>&1 >/dev/null); local rc=$?
  [[ $rc -eq 1 ]] || fail "ramp $* exited $rc (want 1): $err"
  [[ "$err" == *"$want"* ]] || fail "ramp $*: expected '$want' in: $err"
}
check_refusal "SERVICE: unknown service 'crawlr' (did you mean 'crawler'?)" status crawlr
check_refusal "--env: unknown environment 'staging'" status --env staging
check_refusal "--env: unknown environment 'prd' (did you mean 'prod'?)" status crawler --env prd
check_refusal "crawler has no deployment in prod yet" status crawler --env prod
check_refusal "--env: unknown environment 'staging'" audit --env staging
check_refusal "--service: unknown service 'crawlr'" audit --service crawlr
check_refusal "--env: unknown environment 'staging'" approvals --env staging
check_refusal "--env: unknown environment 'staging'" stats --env staging
check_refusal "--to: unknown environment 'qa'" promote crawler --to qa
err=$("$RAMP_BIN" promote crawler --to qa 2>&1)
[[ "$err" != *"--env"* ]] || fail "promote --to names --env: $err"
check_refusal "SERVICE: unknown service 'crawlr'" deploy crawlr --env int --version 1.0.0
err=$("$RAMP_BIN" deploy crawlr --env int --version 1.0.0 2>&1)
[[ "$err" != *"--service"* ]] || fail "the positional service is named --service: $err"

# updated_at: a real time, recent, in status --json and in the API.
"$RAMP_BIN" status crawler --env int --json > status.json || fail "status --json"
python3 - <<'PY' || fail "updated_at in status --json: $(cat status.json)"
import json, datetime
d = json.load(open("status.json"))["deployment"]
for k in ("created_at", "updated_at"):
    t = datetime.datetime.fromisoformat(d[k].replace("Z", "+00:00"))
    age = (datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()
    assert 0 <= age < 600, (k, d[k])
assert d["updated_at"] >= d["created_at"], d
p = d["progress"]
assert p["step"] <= p["steps"], p
PY
addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$RAMP_HOME/controller.json")
tok=$(cat "$RAMP_HOME/admin.token")
id=$(python3 -c 'import json; print(json.load(open("status.json"))["deployment"]["id"])')
curl -s -f -H "Authorization: Bearer $tok" "$addr/api/v1/deployments/$id" > dep.json || fail "GET deployment"
python3 -c '
import json; d = json.load(open("dep.json"))
assert d["updated_at"] is not None and not d["updated_at"].startswith("1970"), d["updated_at"]
assert d["progress"]["label"] == "succeeded" and d["progress"]["step"] <= d["progress"]["steps"], d["progress"]
' || fail "updated_at in the API: $(head -c 600 dep.json)"

# status names the controller and its dashboard.
out=$("$RAMP_BIN" status) || fail "status"
grep -q "^controller $addr · dashboard $addr/ (pid [0-9]*, leader)" <<<"$out" || fail "status has no controller line: $out"
# serve, with the controller running: where it is, exit 0, nothing started.
out=$(timeout 20 "$RAMP_BIN" serve 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "serve with a controller running exited $rc: $out"
[[ "$out" == *"already serves this world"* && "$out" == *"dashboard  $addr/"* && "$out" != *"{"* ]] \
  || fail "serve does not say where the running controller is: $out"
out=$(timeout 20 "$RAMP_BIN" serve --listen 127.0.0.1:1 2>&1); rc=$?
[[ $rc -eq 1 && "$out" == *"--listen: the running controller serves on"* ]] || fail "serve --listen elsewhere: rc=$rc $out"

# A fleet that failed its health checks is not listed as "previous 0/0".
"$RAMP_BIN" deploy crawler --env int --version 9.9.9 >sick.out 2>&1; rc=$?
[[ $rc -eq 1 ]] || fail "a release failing its health checks: exit $rc: $(cat sick.out)"
"$RAMP_BIN" status crawler --env int --json > status2.json || fail "status --json after the failure"
python3 - <<'PY' || fail "failed fleet still listed: $(cat status2.json)"
import json
s = json.load(open("status2.json"))
assert s["deployment"]["state"] == "failed", s["deployment"]["state"]
fleets = s["fleets"]
assert all(f["version"] != "9.9.9" for f in fleets), fleets
assert [f["version"] for f in fleets] == ["1.0.0"] and fleets[0]["weight"] == 100, fleets
assert fleets[0]["applied_weight"] == 100, fleets
PY
out=$("$RAMP_BIN" status crawler --env int) || fail "status text"
[[ "$out" != *"0/0"* ]] || fail "status shows a 0/0 fleet: $out"

# Four-eyes: the requester is told who may approve and how to grant it.
"$RAMP_BIN" user add ann --role approver@prod --role viewer >/dev/null || fail "user add ann"
pid=$("$RAMP_BIN" promote crawler --to prod --detach) || fail "promote --detach: $pid"
err=$("$RAMP_BIN" approve "$pid" 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "own approval exited $rc: $err"
[[ "$err" == *"four-eyes"* && "$err" == *"they are: ann"* && "$err" == *'ramp user grant NAME --role approver@prod'* ]] \
  || fail "the four-eyes refusal does not say who may approve or how: $err"

"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
