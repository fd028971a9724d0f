#!/usr/bin/env bash
# PROD infrastructure applies follow PROD's approval policy (issue 9 item 4),
# end to end through `ramp serve` (autostarted) on `local` environments:
#  1. dana (deployer in prod) applies prod: 202 pending, exit 4, the id and
#     the `ramp approve` command printed; nothing applied (plan still shows
#     the creates); audit infra.apply_requested.
#  2. refused, changing nothing: dana approving her own change, victor
#     (viewer only), an unknown id, a rejection without a comment (API 400).
#  3. alice (approver in prod) approves: applied; plan is a no-op; the
#     infra.applied audit event has approved_by alice and the plan digest;
#     approving it again is refused (412 "is applied").
#  4. two changes made from the same state: the first approved applies, the
#     second, approved after, ends failed "stale: state changed since the
#     plan, plan again", nothing more applied; the failed apply alerts the
#     services' webhook once (infra.apply_failed, through the outbox).
#  5. a rejection with a comment: nothing applied, audited; `apply --wait`
#     follows a change until it is approved and applied (exit 0).
#  6. an approval request past its expiry (uat: expires 1s) is refused.
#  7. a saved plan applied to prod waits for approval too; the controller is
#     killed (-9, failpoint) during the apply that the approval started; the
#     next controller finishes it.
set -u
fail() { echo "FAIL: $*"; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work" && cd "$work" || exit 1
# A webhook receiver for the services' alerts: answers 200, appends each
# delivery's X-Ramp-Event and X-Ramp-Delivery to hooks.log.
python3 - "$work/hook.port" "$work/hooks.log" <<'PY' &
import http.server, sys
port_file, log = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(log, "a") as f:
            f.write(f"{self.headers.get('X-Ramp-Event')} {self.headers.get('X-Ramp-Delivery')}\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
s.timeout = 0.5
import time
end = time.time() + 300
while time.time() < end: s.handle_request()
PY
receiver=$!
trap 'kill $receiver 2>/dev/null; wait $receiver 2>/dev/null' EXIT
for i in $(seq 1 50); do [[ -s hook.port ]] && break; sleep 0.1; done
[[ -s hook.port ]] || fail "the webhook receiver did not start"
hook_url="http://127.0.0.1:$(cat hook.port)/hook"
write_config() {
  {
    echo "project: infra-approval"
    echo "environments:"
    echo "  int:"
    echo "    provider: local"
    echo "  uat:"
    echo "    provider: local"
    echo "    approval: {approvals: 1, expires: 1s}"
    echo "  prod:"
    echo "    provider: local"
    echo "    approval: {approvals: 1, roles: [approver]}"
    echo "pipeline: [int, uat, prod]"
    echo "services:"
    for s in "$@"; do
      echo "  $s:"
      echo "    run: {command: bin/$s}"
      echo "    alerts: [{webhook: \"$hook_url\"}]"
    done
  } > ramp.yaml
}
write_config web api
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

"$RAMP_BIN" user add dana --role deployer@prod --role deployer@uat >/dev/null || fail "user add dana"
"$RAMP_BIN" user add alice --role approver@prod --role approver@uat >/dev/null || fail "user add alice"
"$RAMP_BIN" user add victor --role viewer@prod >/dev/null || fail "user add victor"
dana=$("$RAMP_BIN" token create --user dana) || fail "token dana"
alice=$("$RAMP_BIN" token create --user alice) || fail "token alice"
victor=$("$RAMP_BIN" token create --user victor) || fail "token victor"
# The approval policy an apply is judged by is the config of record's (issue 15).
"$RAMP_BIN" config push -m "approval e2e" >push.out 2>&1 || fail "config push: $(cat push.out)"
admin_tok=$(cat "$RAMP_HOME/admin.token")
api() {  # api METHOD PATH [BODY] -> body on stdout, HTTP code in $code
  local out
  out=$(curl -s -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer ${TOK:-$admin_tok}" \
        -H 'Content-Type: application/json' ${3:+-d "$3"} \
        "http://$(json_get "$RAMP_HOME/controller.json" 'd["address"]')$2")
  code=${out##*$'\n'}
  printf '%s' "${out%$'\n'*}"
}
events() { api GET "/api/v1/events?env=prod" > events.json; }
count_kind() { events; python3 -c 'import json,sys; print(sum(1 for e in json.load(open("events.json")) if e["kind"]==sys.argv[1]))' "$1"; }

# 1. The request: pending, exit 4, nothing applied.
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env prod --yes >req1.out 2>&1
rc=$?
[[ $rc == 4 ]] || fail "apply to prod exit $rc (want 4: awaiting approval): $(cat req1.out)"
id1=$(grep -o 'ramp approve infra-[0-9a-f]*' req1.out | head -1 | awk '{print $3}')
[[ -n "$id1" ]] || fail "apply did not print the ramp approve command: $(cat req1.out)"
grep -q 'awaits approval' req1.out || fail "apply did not say it awaits approval: $(cat req1.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan1.out 2>&1
rc=$?
[[ $rc == 2 ]] || fail "a pending change applied something (plan exit $rc): $(cat plan1.out)"
api GET "/api/v1/infra/changes/$id1" > c1.json
[[ $code == 200 && $(json_get c1.json 'd["state"]') == pending ]] || fail "change $id1: $code $(cat c1.json)"
digest1=$(json_get c1.json 'd["plan_digest"]')
[[ $(count_kind infra.apply_requested) == 1 ]] || fail "no infra.apply_requested event: $(cat events.json)"
"$RAMP_BIN" approvals --json >appr.json || fail "approvals --json"
python3 -c 'import json,sys; l=json.load(open("appr.json")); assert any(x["id"]==sys.argv[1] and x["kind"]=="infra_change" for x in l), l' "$id1" \
  || fail "ramp approvals does not list $id1: $(cat appr.json)"
"$RAMP_BIN" approvals >appr.out || fail "approvals"
grep -q "$id1  infrastructure of prod (2 to add" appr.out || fail "ramp approvals text: $(cat appr.out)"

# 2. Refusals that change nothing.
RAMP_TOKEN=$dana "$RAMP_BIN" approve "$id1" >self.out 2>&1 && fail "dana approved her own change"
grep -q 'dana requested this infrastructure change and cannot approve it' self.out || fail "self-approval: $(cat self.out)"
RAMP_TOKEN=$victor "$RAMP_BIN" approve "$id1" >viewer.out 2>&1 && fail "a viewer approved"
grep -q 'victor lacks the role to approve it (needs approver)' viewer.out || fail "viewer approval: $(cat viewer.out)"
RAMP_TOKEN=$alice "$RAMP_BIN" approve infra-doesnotexist >unknown.out 2>&1 && fail "an unknown id was approved"
grep -q 'no infrastructure change infra-doesnotexist' unknown.out || fail "unknown id: $(cat unknown.out)"
TOK=$alice api POST "/api/v1/infra/changes/$id1/reject" '{}' > bare.json
[[ $code == 400 ]] && grep -q 'comment' bare.json || fail "reject without a comment: $code $(cat bare.json)"
TOK=$alice api POST "/api/v1/infra/changes/$id1/approve" '{"comment": 3}' > badbody.json
[[ $code == 400 ]] && grep -q 'comment' badbody.json || fail "approve with a bad comment: $code $(cat badbody.json)"
api GET "/api/v1/infra/changes/$id1" > c1b.json
[[ $(json_get c1b.json 'd["state"]') == pending && $(json_get c1b.json 'len(d["approval"]["approvals"])') == 0 ]] \
  || fail "a refused decision changed the change: $(cat c1b.json)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >/dev/null 2>&1
[[ $? == 2 ]] || fail "a refused decision applied something"

# 3. Approved by alice: applied, audited with approved_by and the digest.
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id1" --comment "checked the plan" >ok1.out 2>&1 || fail "alice's approval: $(cat ok1.out)"
grep -q "approved $id1 (infrastructure of prod): applied" ok1.out || fail "approval output: $(cat ok1.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan2.out 2>&1
rc=$?
[[ $rc == 0 ]] || fail "after the approval, plan exit $rc (want 0): $(cat plan2.out)"
events
python3 - "$digest1" <<'PY' || fail "infra.applied audit: $(cat events.json)"
import json, sys
evs = [e for e in json.load(open("events.json")) if e["kind"] == "infra.applied"]
assert len(evs) == 1, evs
d = evs[0]["data"]
assert d["approved_by"] == "alice", d
assert d["plan_digest"] == sys.argv[1], d
assert d["counts"]["done"] == 2, d
assert evs[0]["actor"] == "dana", evs[0]
PY
[[ $(count_kind infra.apply_approved) == 1 ]] || fail "no infra.apply_approved event"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id1" >again.out 2>&1 && fail "an applied change was approved again"
grep -q "$id1 is applied" again.out || fail "approving an applied change: $(cat again.out)"

# 4. A stale approved plan: two changes from the same state.
write_config web api search
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env prod --yes --json >req2.json 2>req2.err
[[ $? == 4 ]] || fail "second request: $(cat req2.json req2.err)"
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env prod --yes --json >req3.json 2>req3.err
[[ $? == 4 ]] || fail "third request: $(cat req3.json req3.err)"
id2=$(json_get req2.json 'd["id"]'); id3=$(json_get req3.json 'd["id"]')
[[ "$id2" != "$id3" ]] || fail "two requests got one id"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id3" >ok3.out 2>&1 || fail "approving $id3: $(cat ok3.out)"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id2" >stale.out 2>&1 && fail "a stale approved plan was applied: $(cat stale.out)"
grep -q 'stale: state changed since the plan, plan again' stale.out || fail "stale outcome: $(cat stale.out)"
api GET "/api/v1/infra/changes/$id2" > c2.json
[[ $(json_get c2.json 'd["state"]') == failed && $(json_get c2.json 'd["report"]') == None ]] \
  || fail "stale change: $(cat c2.json)"
[[ $(count_kind infra.applied) == 2 ]] || fail "the stale change applied something: $(cat events.json)"
[[ $(count_kind infra.apply_failed) == 1 ]] || fail "no infra.apply_failed event"
# Its alert reaches the services' webhook once (the four services share one).
for i in $(seq 1 100); do grep -q '^infra.apply_failed ' hooks.log 2>/dev/null && break; sleep 0.1; done
sleep 0.5
[[ $(grep -c '^infra.apply_failed ' hooks.log 2>/dev/null) == 1 ]] \
  || fail "the failed apply's alert: $(cat hooks.log 2>/dev/null) (want one infra.apply_failed)"

# 5. Rejected with a comment: nothing applied.
write_config web api search cart
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env prod --yes --json >req4.json 2>&1
[[ $? == 4 ]] || fail "fourth request: $(cat req4.json)"
id4=$(json_get req4.json 'd["id"]')
RAMP_TOKEN=$alice "$RAMP_BIN" reject "$id4" --comment "not during the sale" >rej.out 2>&1 || fail "reject: $(cat rej.out)"
grep -q "rejected $id4 (infrastructure of prod): rejected" rej.out || fail "reject output: $(cat rej.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan4.out 2>&1
[[ $? == 2 ]] || fail "a rejected change applied something: $(cat plan4.out)"
[[ $(count_kind infra.apply_rejected) == 1 && $(count_kind infra.applied) == 2 ]] || fail "rejection audit: $(cat events.json)"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id4" >late.out 2>&1 && fail "a rejected change was approved"
grep -q "$id4 is rejected" late.out || fail "approving a rejected change: $(cat late.out)"

# 5b. --wait: apply follows the change until someone approves it (exit 0).
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env prod --yes --wait --wait-timeout 30 >wait.out 2>&1 &
waiter=$!
idw=
for i in $(seq 1 40); do
  api GET "/api/v1/infra/changes?env=prod" > open.json
  idw=$(python3 -c 'import json; l=[c["id"] for c in json.load(open("open.json")) if c["state"]=="pending"]; print(l[0] if l else "")')
  [[ -n "$idw" ]] && break
  sleep 0.25
done
[[ -n "$idw" ]] || { kill $waiter; wait $waiter; fail "apply --wait recorded no pending change: $(cat wait.out)"; }
kill -0 $waiter 2>/dev/null || fail "apply --wait returned before the approval: $(cat wait.out)"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$idw" >okw.out 2>&1 || { kill $waiter; wait $waiter; fail "approving $idw: $(cat okw.out)"; }
wait $waiter
rc=$?
[[ $rc == 0 ]] || fail "apply --wait exit $rc after the approval (want 0): $(cat wait.out)"
grep -q "$idw awaits approval" wait.out && grep -q 'Apply complete: 1 done' wait.out || fail "apply --wait output: $(cat wait.out)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >/dev/null 2>&1
[[ $? == 0 ]] || fail "after apply --wait, prod still has changes"

# 6. Expiry (uat: the request expires after 1 s).
RAMP_TOKEN=$dana "$RAMP_BIN" apply --env uat --yes --json >req5.json 2>&1
[[ $? == 4 ]] || fail "uat request: $(cat req5.json)"
id5=$(json_get req5.json 'd["id"]')
sleep 1.5
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id5" >exp.out 2>&1 && fail "an expired request was approved"
grep -Eq "$id5 (has expired|is expired)" exp.out || fail "expired request: $(cat exp.out)"
"$RAMP_BIN" plan --env uat --detailed-exitcode >/dev/null 2>&1
[[ $? == 2 ]] || fail "an expired change applied something"

# 7. A saved plan waits for approval too; kill -9 during the approved apply.
write_config web api search cart shop
"$RAMP_BIN" plan --env prod -o prod.plan >/dev/null || fail "plan -o"
RAMP_TOKEN=$dana "$RAMP_BIN" apply prod.plan --json >req6.json 2>&1
[[ $? == 4 ]] || fail "saved-plan request: $(cat req6.json)"
id6=$(json_get req6.json 'd["id"]')
"$RAMP_BIN" down >/dev/null 2>&1 || fail "down"
RAMP_FAILPOINT=infra-apply:after-call "$RAMP_BIN" approvals >/dev/null 2>&1 || fail "restart with the failpoint"
RAMP_TOKEN=$alice "$RAMP_BIN" approve "$id6" >killed.out 2>&1 && fail "the approval with a kill failpoint succeeded: $(cat killed.out)"
"$RAMP_BIN" down >/dev/null 2>&1   # the dead controller's record; the router is stopped too
"$RAMP_BIN" approvals >/dev/null 2>&1 || fail "restart after the kill"
state=
for i in $(seq 1 40); do
  api GET "/api/v1/infra/changes/$id6" > c6.json
  state=$(json_get c6.json 'd["state"]' 2>/dev/null)
  [[ "$state" == applied || "$state" == failed ]] && break
  sleep 0.5
done
[[ "$state" == applied ]] || fail "the next controller did not finish $id6 (state $state): $(cat c6.json)"
json_get c6.json 'd["report"]["counts"]["resumed"]' | grep -qx 1 || fail "nothing resumed: $(cat c6.json)"
"$RAMP_BIN" plan --env prod --detailed-exitcode >plan6.out 2>&1
[[ $? == 0 ]] || fail "after the resumed apply, prod still has changes: $(cat plan6.out)"
"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
