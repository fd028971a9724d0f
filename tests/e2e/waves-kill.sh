#!/usr/bin/env bash
# kill -9 of the controller during a deployment across regions (waves) on
# the local provider: the controller is armed with the engine's failpoints
# (RAMP_FAILPOINT, src/engine/Failpoint.h: SIGKILL at an exact phase
# boundary) and restarted:
#   1. 1.0.0 across east and west (blue/green), clean
#   2. 2.0.0 killed right after east completed (wave_done:before: the wave
#      is committed, the next region not yet started), restarted armed again
#      and killed in west right after its fleet was created
#      (create_fleet:after, mid-wave), restarted clean: succeeded; each
#      region runs exactly one 2.0.0 fleet at weight 100, the wave events
#      are there once each, and both entry points answer 2.0.0
#   3. `ramp down` leaves nothing
set -u
work="$RAMP_HOME/work"
serve=
fail() {
  echo "FAIL: $*"
  [[ -n "$serve" ]] && kill -9 "$serve" 2>/dev/null
  for f in "$RAMP_HOME"/serve-*.log; do [[ -f "$f" ]] && { echo "--- $f"; tail -20 "$f"; }; done
  "$RAMP_BIN" down >/dev/null 2>&1
  exit 1
}
mkdir -p "$work/release/bin" && cd "$work" || exit 1
# waves.yaml with blue/green (no traffic needed to judge) and no bake.
python3 - "$RAMP_E2E_DIR/waves.yaml" >ramp.yaml <<'PY'
import sys
y = open(sys.argv[1]).read()
y = y.replace("type: canary", "type: bluegreen")
start = y.index("      steps:")
end = y.index("    analysis:")
print(y[:start] + y[end:], end="")
PY
cp "$RAMP_CRAWLER_BIN" release/bin/crawler
"$RAMP_BIN" validate >/dev/null || fail "validate: $("$RAMP_BIN" validate 2>&1)"
"$RAMP_BIN" release create crawler --version 1.0.0 >/dev/null || fail "release 1.0.0"
echo 2.0.0 > release/NOTES
"$RAMP_BIN" release create crawler --version 2.0.0 >/dev/null || fail "release 2.0.0"

controller_pid() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('pid', 0))" "$RAMP_HOME/controller.json" 2>/dev/null || echo 0; }
stop_controller() {
  local pid; pid=$(controller_pid)
  [[ "$pid" -gt 0 ]] || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "controller $pid did not stop on SIGTERM"
  [[ "$pid" == "$serve" ]] && { wait "$serve" 2>/dev/null; serve=; }
  return 0
}
# Starts `ramp serve` (env given as NAME=VALUE arguments); with $2 = wait,
# waits until it answers. Asks the API with curl, never with the CLI: a CLI
# call finding no controller would start one (unarmed) by itself.
start_serve() {  # $1 = log name, $2 = wait|nowait, then env assignments
  local log="$RAMP_HOME/serve-$1.log" how=$2; shift 2
  env "$@" "$RAMP_BIN" serve --home "$RAMP_HOME" >"$log" 2>&1 &
  serve=$!
  [[ "$how" == wait ]] || return 0
  for _ in $(seq 1 300); do
    if [[ "$(controller_pid)" == "$serve" ]]; then
      addr=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['address'])" "$RAMP_HOME/controller.json")
      curl -sf -m 1 "http://$addr/api/v1/health" >/dev/null && return 0
    fi
    kill -0 "$serve" 2>/dev/null || fail "ramp serve exited: $(tail -5 "$log")"
    sleep 0.1
  done
  fail "ramp serve did not answer in 30 s"
}
wait_killed() {  # $1 = what
  for _ in $(seq 1 600); do kill -0 "$serve" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$serve" 2>/dev/null && fail "the controller never reached the failpoint $1"
  wait "$serve"; local rc=$?; serve=
  [[ $rc -eq 137 ]] || fail "the controller ended with $rc, not by SIGKILL at $1"
  echo "controller killed at $1"
}
deployment() {  # $1 = id -> the deployment as JSON, read from the store itself (no controller is started)
  python3 - "$RAMP_HOME/ramp.db" "$1" <<'PY'
import json, sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("select state, doc from deployments where id=?", (sys.argv[2],)).fetchone()
if row:
    d = json.loads(row[1]); d["state"] = row[0]; print(json.dumps(d))
PY
}
wait_ended() {  # $1 = id
  local st=
  for _ in $(seq 1 600); do
    st=$("$RAMP_BIN" status crawler --env prod --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin); dep=d.get('deployment') or {}
print(dep.get('state','') if dep.get('id')==sys.argv[1] else '')" "$1")
    case "$st" in succeeded|failed|rolled_back|aborted) echo "$st"; return 0 ;; esac
    sleep 0.2
  done
  echo "timeout($st)"
}

start_serve 0 wait
"$RAMP_BIN" config push >/dev/null || fail "config push"
timeout 60 "$RAMP_BIN" deploy crawler --env prod --version 1.0.0 >deploy-1.out 2>&1 || fail "deploy 1.0.0: $(cat deploy-1.out)"

# 2. Killed between the waves, then in the middle of west's wave.
stop_controller
start_serve 1 wait RAMP_FAILPOINT=wave_done:before
id=$("$RAMP_BIN" deploy crawler --env prod --version 2.0.0 --detach 2>&1) || fail "deploy 2.0.0 --detach: $id"
[[ "$id" == d-* ]] || fail "no deployment id: $id"
wait_killed wave_done:before
d=$(deployment "$id")
[[ -n "$d" ]] || fail "deployment $id not found in the store"
python3 - "$d" <<'PY' || fail "after the kill at wave_done: $d"
import json, sys
d = json.loads(sys.argv[1])
assert d["phase"] == "wave_done" and d["region"] == "east", (d["phase"], d["region"])
assert d["state"] == "running", d["state"]
assert [w["state"] for w in d["waves"]] == ["succeeded", "pending"], [w["state"] for w in d["waves"]]
print("killed between the waves: east succeeded, west pending")
PY
start_serve 2 nowait RAMP_FAILPOINT=create_fleet:after
wait_killed create_fleet:after
d=$(deployment "$id")
python3 - "$d" <<'PY' || fail "after the kill in west: $d"
import json, sys
d = json.loads(sys.argv[1])
assert d["region"] == "west" and d["phase"] == "create_fleet", (d["region"], d["phase"])
print("killed mid-wave in west after its fleet was created")
PY
start_serve 3 wait
st=$(wait_ended "$id"); [[ "$st" == succeeded ]] || fail "2.0.0 after the restarts: $st"
"$RAMP_BIN" status crawler --env prod --json >status.json || fail "status"
"$RAMP_BIN" audit --deployment "$id" --json >audit.json || fail "audit"
python3 - <<'PY' || fail "end state: $(cat status.json)"
import json, urllib.request
s = json.load(open("status.json"))
d = s["deployment"]
assert [w["state"] for w in d["waves"]] == ["succeeded", "succeeded"], d["waves"]
live = [f for f in s["fleets"] if f["weight"] > 0]
by = {}
for f in s["fleets"]:
    if f["version"] == "2.0.0" and f["state"] != "retired":
        by.setdefault(f["region"], []).append(f)
assert sorted(by) == ["east", "west"] and all(len(v) == 1 for v in by.values()), by
assert all(f["weight"] == 100 for v in by.values() for f in v), by
kinds = [e["kind"] for e in json.load(open("audit.json"))]
assert kinds.count("deployment.wave_succeeded") == 1, kinds
assert kinds.count("deployment.wave_started") == 1, kinds
assert kinds.count("deployment.finished") == 1, kinds
for region in ("east", "west"):
    with urllib.request.urlopen(s["entrypoints"][region] + "/version", timeout=5) as r:
        assert r.headers.get("X-Ramp-Version") == "2.0.0", (region, dict(r.headers))
print("ok: both regions run one 2.0.0 fleet at 100; one wave_succeeded, one wave_started, one finished")
PY

# 3. Down leaves nothing.
"$RAMP_BIN" down >/dev/null || fail "ramp down"
[[ -n "$serve" ]] && { wait "$serve" 2>/dev/null; serve=; }
echo PASS
