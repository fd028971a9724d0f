#!/usr/bin/env bash
# `ramp status --watch` follows a deployment live: it redraws (one JSON
# object per line with --json off a terminal) as the deployment moves, from
# the controller's event stream, and ends on the new release. A viewer of
# int only may watch int, and the stream it gets carries no prod event.
set -u
fail() { echo "FAIL: $*"; [[ -n "${w:-}" ]] && kill "$w" 2>/dev/null; "$RAMP_BIN" down >/dev/null 2>&1; exit 1; }
work="$RAMP_HOME/work"
mkdir -p "$work/release/bin" && cd "$work" || exit 1
cp "$RAMP_CONTROLLER_TEST_DIR/ramp.yaml" ramp.yaml
cp "$RAMP_CRAWLER_BIN" release/bin/crawler
"$RAMP_BIN" release create crawler --version 1.0.0 >/dev/null || fail "release 1.0.0"
echo 2.0.0 > release/NOTES
"$RAMP_BIN" release create crawler --version 2.0.0 >/dev/null || fail "release 2.0.0"
"$RAMP_BIN" config push >/dev/null || fail "config push"
"$RAMP_BIN" deploy crawler --env int --version 1.0.0 >/dev/null || fail "deploy 1.0.0"

"$RAMP_BIN" status crawler --env int --watch --json >watch.out 2>watch.err &
w=$!
sleep 1
"$RAMP_BIN" deploy crawler --env int --version 2.0.0 >/dev/null || fail "deploy 2.0.0"
sleep 1.5
kill "$w"; wait "$w" 2>/dev/null; w=
python3 - <<'PY' || fail "watch output: $(cat watch.out) $(cat watch.err)"
import json, sys
lines = [json.loads(l) for l in open("watch.out") if l.strip()]
assert len(lines) >= 3, f"only {len(lines)} redraw(s)"
dep = lambda s: s.get("deployment") or {}
assert dep(lines[0]).get("version") == "1.0.0", lines[0]
assert any(dep(l).get("state") in ("running", "queued") for l in lines), "never saw the deployment in progress"
assert dep(lines[-1]).get("version") == "2.0.0" and dep(lines[-1]).get("state") == "succeeded", lines[-1]
print(f"ok: {len(lines)} redraws, from 1.0.0 to 2.0.0")
PY

# A viewer of int only: the stream with ?env=int is allowed and never
# carries another environment's events; without ?env= it is refused.
tok=$("$RAMP_BIN" user add iris --role viewer@int >/dev/null && "$RAMP_BIN" token create --user iris) || fail "user/token"
addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$RAMP_HOME/controller.json")
code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -H "Authorization: Bearer $tok" "http://$addr/api/v1/events/stream")
[[ "$code" == 403 ]] || fail "unscoped stream for a viewer of int answered $code"
curl -s -m 1.5 -H "Authorization: Bearer $tok" "http://$addr/api/v1/events/stream?env=int" >stream.out
grep -q '^data: ' stream.out || fail "no event on the int stream"
if grep '^data: ' stream.out | grep -v '"env":"int"' | grep -q .; then fail "the int stream carried other events"; fi
"$RAMP_BIN" down >/dev/null || fail "down"
echo "ok"
