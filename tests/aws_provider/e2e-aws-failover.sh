#!/usr/bin/env bash
# Controllers on two hosts: two homes (A and B, as two hosts would have),
# one PostgreSQL store (the `postgres` fixture), one aws environment on moto.
# Nothing is copied from A's home to B's by hand; B is given only what a
# team gives every controller: the store URL and the world's audit key.
#
#   0. A leads, B follows; releases are made in A's home; B lists them
#      (`ramp release list` in B reads the shared store).
#   1. For each phase boundary chosen (three by default, below) of a
#      blue/green deployment, A is started
#      armed with an engine failpoint (RAMP_FAILPOINT, src/engine/Failpoint.h:
#      it SIGKILLs itself there), a new version is deployed through B's CLI,
#      A dies at the boundary, and B — which has neither A's release files
#      nor A's fleets on disk — takes the lease when A's runs out and
#      finishes: the deployment succeeds, moto holds exactly the new
#      release's fleet (no twin, no orphan) and the listener sends it 100.
#      The kill-to-leader time of each takeover is printed (TAKEOVER lines;
#      figures for docs/benchmarks.md come from bench/store/takeover).
#   2. `ramp audit verify` in either home says intact (through the API, and
#      straight from the store with the key); B made no admin token of its
#      own.
#   3. `ramp down` leaves nothing tagged in moto.
set -u
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"

A="$RAMP_HOME/host-a" B="$RAMP_HOME/host-b"
mkdir -p "$A" "$B"
ttl=2s
pids=()
psql=""
for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/psql" ]] && psql="$d/psql"; done
[[ -n "$psql" ]] || fail "psql not found in /usr/lib/postgresql/*/bin"
base=$(cat "${RAMP_TEST_PG_URL_FILE:-/nonexistent}" 2>/dev/null) || fail "the postgres fixture is not running"
db="ha_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$psql" -d "$base" -qc "CREATE DATABASE $db" || fail "create database $db"
url="${base/\/ramp_test?//$db?}"
key="$RAMP_HOME/world-audit.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key"; echo >>"$key"; chmod 600 "$key"

on_fail() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for h in "$A" "$B"; do "$RAMP_BIN" --home "$h" down >/dev/null 2>&1; done
  for h in "$A" "$B"; do for f in "$h"/serve-*.log; do [[ -f "$f" ]] && { echo "--- $f"; tail -25 "$f"; }; done; done
  "$psql" -d "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
}

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$1" "$2" 2>/dev/null; }
# Starts `ramp serve` for a home (env assignments after the name) as a child
# of this shell (so `wait` sees how it ended); its pid in $started.
started=
start_serve() {  # $1 = home, $2 = log name, then env assignments
  local home=$1 log="$1/serve-$2.log"; shift 2
  env "$@" "$RAMP_BIN" serve --home "$home" --store "$url" --lease-ttl $ttl --audit-key-file "$key" >"$log" 2>&1 &
  started=$!
  pids+=("$started")
  for _ in $(seq 1 300); do
    [[ "$(field "$home/controller.json" pid)" == "$started" ]] && return 0
    kill -0 "$started" 2>/dev/null || fail "ramp serve for $home exited: $(tail -5 "$log")"
    sleep 0.1
  done
  fail "ramp serve for $home did not answer in 30 s"
}
role() { curl -s -m 2 "$(field "$1/controller.json" url)/api/v1/health" | python3 -c "import json,sys; print(json.load(sys.stdin).get('role',''))" 2>/dev/null; }
wait_role() {  # $1 = home, $2 = role
  for _ in $(seq 1 300); do [[ "$(role "$1")" == "$2" ]] && return 0; sleep 0.05; done
  fail "the controller of $1 is not $2 after 15 s"
}
stop_pid() {  # SIGTERM, bounded wait
  kill "$1" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && fail "controller $1 did not stop on SIGTERM"
  wait "$1" 2>/dev/null
  return 0
}
ms() { date +%s%3N; }
ramp_a() { "$RAMP_BIN" --home "$A" "$@"; }
ramp_b() { RAMP_TOKEN="$(cat "$A/admin.token")" "$RAMP_BIN" --home "$B" "$@"; }
wait_ended() {  # $1 = deployment id; through B
  local st=
  for _ in $(seq 1 600); do
    st=$(ramp_b status web --env prod --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d
dep=d.get('deployment') or {}
print(dep.get('state','') if dep.get('id')==sys.argv[1] else '')" "$1")
    case "$st" in succeeded|failed|rolled_back|aborted) echo "$st"; return 0 ;; esac
    sleep 0.2
  done
  echo "timeout($st)"
}
deploy_id() { sed -n 's/.* as \(d-[0-9a-z-]*\).*/\1/p; s/^\(d-[0-9a-z-]*\)$/\1/p' | head -1; }

# 0. Two controllers, one store; releases made in A, seen from B.
config "$BLUEGREEN"
start_serve "$A" init; a=$started; wait_role "$A" leader
start_serve "$B" init; b=$started; wait_role "$B" follower
[[ -s "$A/admin.token" ]] || fail "A made no admin token"
[[ ! -e "$B/admin.token" ]] || fail "B made a second admin token"
# The config of record is in the shared store: pushed through B, in force for A.
out=$(ramp_b config push 2>&1) || fail "config push through B: $out"
# Deployments ride on the infrastructure `ramp apply` makes (else refused, 412).
py zone example.com >/dev/null || fail "hosted zone"
out=$(ramp_a apply --env prod --yes 2>&1) || fail "ramp apply through A: $out"
# Every boundary of a blue/green deployment takes ~10 minutes on 2 cores;
# `make test` runs three (no fleet made yet: B builds it from its own copy of
# the release; traffic switched; the previous fleet not yet retired);
# RAMP_FAILOVER_BOUNDARIES="start:before create_fleet:before ..." runs others:
#   start:before create_fleet:before create_fleet:after wait_healthy:before
#   switch:before switch:after verify_switch:before bake:before
#   drain_previous:before retire_previous:before retire_previous:after
read -r -a boundaries <<<"${RAMP_FAILOVER_BOUNDARIES:-create_fleet:before switch:after retire_previous:before}"
versions=(1.0.0)
for i in "${!boundaries[@]}"; do versions+=("2.$i.0"); done
for v in "${versions[@]}"; do
  ramp_a release create web --version "$v" --from release >/dev/null || fail "release $v in A"
done
listed=$("$RAMP_BIN" --home "$B" release list web --json) || fail "release list in B"
n=$(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])))" "$listed")
[[ "$n" == "${#versions[@]}" ]] || fail "B lists $n releases, A made ${#versions[@]}: $listed"
[[ ! -e "$B/releases/web" ]] || fail "B holds release files before it needs them"

echo "[$(date +%T)] releases listed in B; deploying 1.0.0 through B"
RAMP_TOKEN="$(cat "$A/admin.token")" timeout 90 "$RAMP_BIN" --home "$B" deploy web --env prod --version 1.0.0 >/dev/null; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 through B exited $rc"
expect "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"

# 1. A killed at every boundary; B finishes.
for i in "${!boundaries[@]}"; do
  fp=${boundaries[$i]} v="2.$i.0"
  stop_pid "$b"; stop_pid "$a"
  start_serve "$A" "$i" RAMP_FAILPOINT="$fp"; a=$started; wait_role "$A" leader
  start_serve "$B" "$i"; b=$started; wait_role "$B" follower
  # B forwards the deployment to A, which may die at its failpoint before it
  # answers (start:before): then the id is read back once B leads.
  out=$(ramp_b deploy web --env prod --version "$v" --detach 2>&1)
  id=$(echo "$out" | deploy_id)
  for _ in $(seq 1 1200); do kill -0 "$a" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$a" 2>/dev/null && fail "A never reached the failpoint $fp"
  killed=$(ms)
  wait "$a"; rc=$?
  [[ $rc -eq 137 ]] || fail "A ended with $rc, not by SIGKILL at $fp"
  wait_role "$B" leader
  echo "TAKEOVER $fp $(( $(ms) - killed )) ms (lease ttl $ttl)"
  if [[ -z "$id" ]]; then
    id=$(ramp_b status web --env prod --json 2>/dev/null | python3 -c "
import json,sys
d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d
dep=d.get('deployment') or {}
print(dep.get('id','') if dep.get('version')==sys.argv[1] else '')" "$v")
    [[ -n "$id" ]] || fail "no deployment of $v recorded; the deploy through B said: $out"
  fi
  st=$(wait_ended "$id"); [[ "$st" == succeeded ]] || fail "$v after A was killed at $fp: $st"
  expect "{\"fleets\": $(fleet "$v"), \"rules\": 0}"
  got=$(py listener)
  [[ $(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d.get(sys.argv[2]))" "$got" "$v") == 100 ]] \
    || fail "after $fp the listener does not send 100 to $v: $got"
  # B made the fleet itself when A died before making it: from its own copy
  # of the release, rebuilt from the store (after that B never needs it).
  case "$fp" in start:*|create_fleet:before)
    [[ -d "$B/releases/web/$v/tree" ]] || fail "B did not rebuild release $v from the store" ;;
  esac
  echo "[$(date +%T)] boundary $fp: B finished $v"
done

# 2. The audit log, from either home.
stop_pid "$b"; stop_pid "$a"
start_serve "$A" audit; a=$started; wait_role "$A" leader
start_serve "$B" audit; b=$started; wait_role "$B" follower
# The leader seals the head on its next tick: wait (bounded, 10 s) until the
# seal in the store covers every event, so verify judges a sealed log.
sealed=
for _ in $(seq 1 100); do
  sealed=$("$psql" -d "$url" -tAc "SELECT (SELECT events FROM audit_seal) = (SELECT count(*) FROM audit_events)" 2>/dev/null)
  [[ "$sealed" == t ]] && break
  sleep 0.1
done
[[ "$sealed" == t ]] || fail "the leader did not seal the audit head in 10 s"
for home in A B; do
  out=$( [[ $home == A ]] && ramp_a audit verify || ramp_b audit verify ); rc=$?
  echo "audit verify in $home: $out"
  [[ $rc -eq 0 && "$out" == *"audit log intact"* ]] || fail "audit verify in $home: $out"
done
stop_pid "$b"
out=$("$RAMP_BIN" --home "$B" audit verify --key-file "$key" 2>&1) || fail "audit verify in B straight from the store: $out"
[[ "$out" == *"audit log intact"* ]] || fail "audit verify in B (store): $out"
[[ ! -e "$B/admin.token" ]] || fail "B made a second admin token"

# 3. Nothing left behind.
ramp_a down >/dev/null || fail "ramp down"
wait "$a" 2>/dev/null
expect '{"fleets": {}, "rules": 0}'
"$psql" -d "$base" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
echo "PASS"
