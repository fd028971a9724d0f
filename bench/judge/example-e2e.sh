#!/usr/bin/env bash
# example-e2e.sh — the shipped example's prod canary, end to end, at a fixed
# request rate: the real `ramp` binary, controller, router and crawler
# instances (examples/crawler/ramp.yaml: its prod strategy — 10% and 50%
# steps, analysis.deadline 5m, bake 30s — and its analysis block, with one
# environment and no approval/freeze, which a benchmark cannot answer).
#
# An open-loop client sends RATE GET requests a second (Poisson arrivals,
# 16 threads, keep-alive) while `ramp deploy` runs a healthy release, then
# (BAD_ERROR_RATE > 0) a release answering that share of requests 500.
# BASE_ERROR_RATE > 0 makes every release (the stable 1.0.0 and the healthy
# 2.0.0 too) answer that share with 500: a service that errs, whose healthy
# canary the sequential test cannot tell from its baseline within a step —
# the case of the bounded-harm rule at the deadline (error_rate_tolerance).
# Reports per deployment: the CLI's exit code (0 = walked to 100% by itself,
# 3 = rolled back, 4 = waited for a person), seconds, each analysis
# verdict's time since the deployment began, requests and failures per
# release. Nothing sleeps to make time pass: every wait is the CLI following
# its deployment (bounded by the steps' deadlines) or the client's rate.
#
# Usage: bench/judge/example-e2e.sh [RATE=100] [BAD_ERROR_RATE=0.05] [BASE_ERROR_RATE=0]
#   env RAMP_BIN, CRAWLER_BIN (default: build/src/cli/ramp, build/examples/crawler/crawler),
#   KEEP=1 keeps the RAMP_HOME (logs, store) instead of removing it
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rate=${1:-100}
bad=${2:-0.05}
base=${3:-0}
ramp=${RAMP_BIN:-$here/build/src/cli/ramp}
crawler=${CRAWLER_BIN:-$here/build/examples/crawler/crawler}
export RAMP_HOME=$(mktemp -d /tmp/ramp-example-e2e.XXXXXX)
work=$RAMP_HOME/work
mkdir -p "$work" && cd "$work" || exit 1
cleanup() {
  "$ramp" down >/dev/null 2>&1
  [[ -n "${load:-}" ]] && kill "$load" 2>/dev/null
  [[ -n "${KEEP:-}" ]] && echo "kept $RAMP_HOME" || rm -rf "$RAMP_HOME"
}
trap cleanup EXIT

python3 - "$here/examples/crawler/ramp.yaml" >ramp.yaml <<'PY'
import sys
src = open(sys.argv[1]).read()
start, end = src.index("environments:\n"), src.index("pipeline:")
src = src[:start] + "environments:\n  prod:\n    provider: local\n\npipeline: [prod]\n" + src[src.index("\n", end) + 1:]
start = src.index("      env:\n        int:")
src = src[:start] + "      env:\n" + src[src.index("        prod:\n", start):]
src = src.replace("      build: ./build.sh\n      output: dist\n", "      from: release\n")
print(src, end="")
PY
"$ramp" validate >/dev/null || { "$ramp" validate; exit 1; }
release() {  # VERSION [CRAWLER FLAGS]
  rm -rf release && mkdir -p release/bin
  cp "$crawler" release/bin/crawler-bin
  printf '#!/bin/sh\nexec "$(dirname "$0")/crawler-bin" --quiet %s "$@"\n' "${2:-}" >release/bin/crawler
  chmod +x release/bin/crawler
  "$ramp" release create crawler --version "$1" >/dev/null || exit 1
}
baseflags=$(python3 -c "import sys; print('--error-rate $base' if float('$base') > 0 else '')")
release 1.0.0 "$baseflags"
release 2.0.0 "$baseflags"
release 3.0.0 "--error-rate $bad"
"$ramp" config push -m "example-e2e" >/dev/null || { echo "config push failed"; exit 1; }  # the config of record (#15)
"$ramp" deploy crawler --env prod --version 1.0.0 >/dev/null || { echo "first deploy failed"; exit 1; }
entry=$("$ramp" status crawler --env prod --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entrypoint"])')

python3 - "$entry" "$rate" >load.json <<'PY' &
# Open loop: Poisson arrivals at RATE/s spread over 16 keep-alive clients; a
# request that cannot start on time is sent late (counted), never skipped.
import http.client, json, random, signal, sys, threading, time, urllib.parse
url, rate = urllib.parse.urlparse(sys.argv[1]), float(sys.argv[2])
stop = threading.Event(); lock = threading.Lock()
answers, failures, late = {}, {}, [0]
def client(seed):
    rnd = random.Random(seed); conn = None; due = time.monotonic()
    while not stop.is_set():
        due += rnd.expovariate(rate / 16)
        wait = due - time.monotonic()
        if wait > 0: stop.wait(wait)
        else: late[0] += 1
        version = "?"
        try:
            if conn is None: conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            conn.request("GET", "/"); r = conn.getresponse(); r.read()
            version = r.getheader("X-Ramp-Version") or "?"; ok = r.status < 500
        except Exception:
            ok = False; conn = None
        with lock:
            answers[version] = answers.get(version, 0) + 1
            if not ok: failures[version] = failures.get(version, 0) + 1
threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
for t in threads: t.start()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
while not stop.is_set(): stop.wait(0.2)
for t in threads: t.join()
print(json.dumps({"answers": answers, "failures": failures, "late": late[0]}))
PY
load=$!

cat >report.py <<'PY'
# One deployment's line: exit code, seconds, its verdicts (time since it began), person actions.
import json, sys
from datetime import datetime
events = json.load(sys.stdin)
at = lambda e: datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
t0 = min(at(e) for e in events)
looks = []
for e in events:
    if e["kind"] == "verdict":
        d = e.get("data", {})
        looks.append("%s@%.0fs%s" % (d.get("verdict"), at(e) - t0, " (bake)" if d.get("during") == "bake" else ""))
controls = sum(1 for e in events if e["kind"] == "deployment.control")
print("  %s: exit %s, %s s, verdicts: %s, person actions: %d" % (sys.argv[1], sys.argv[2], sys.argv[3],
      ", ".join(looks) or "none", controls))
PY
report() {  # VERSION RC SECONDS
  id=$("$ramp" status crawler --env prod --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["id"])')
  "$ramp" audit --deployment "$id" --json | python3 report.py "$1" "$2" "$3"
}
echo "example prod canary at $rate req/s, every release erring $base ($(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
s=$(date +%s.%N); "$ramp" deploy crawler --env prod --version 2.0.0 >deploy-2.log 2>&1; rc=$?
report 2.0.0 $rc "$(python3 -c "import time; print(round(time.time() - $s))")"
if python3 -c "import sys; sys.exit(0 if float('$bad') > 0 else 1)"; then
  s=$(date +%s.%N); "$ramp" deploy crawler --env prod --version 3.0.0 >deploy-3.log 2>&1; rc=$?
  report "3.0.0 (${bad} errors)" $rc "$(python3 -c "import time; print(round(time.time() - $s))")"
fi
kill -TERM "$load"; wait "$load"; load=
python3 -c '
import json, sys
j = json.load(open("load.json"))
print("  requests by release:", j["answers"], "failures:", j["failures"], "sent late:", j["late"])' 
