#!/usr/bin/env bash
# kill -9 of the controller mid-deployment on the aws provider (moto) leaves
# no orphan. The controller is armed with the engine's failpoints
# (RAMP_FAILPOINT, src/engine/Failpoint.h: it SIGKILLs itself at an exact
# phase boundary) and restarted; after each resume every ramp-tagged resource
# (groups, launch templates, target groups, instances, listener rules) is
# exactly the live fleet's.
#   1. blue/green 1.0.0, then 2.0.0 killed right after its fleet was created
#      (create_fleet:after): the restarted controller finishes it; only
#      2.0.0's resources are left
#   2. canary 3.0.0 whose CloudWatch shows 30% 5XX, killed as its analysis
#      begins (canary_analysis:before), restarted armed again and killed
#      mid-rollback after traffic went back (rb_switch:after), restarted
#      clean: rolled back; only 2.0.0's resources are left, no pinning rule
#   3. `ramp down` leaves nothing tagged
set -u
source "$(cd "$(dirname "$0")" && pwd)/e2e-aws-lib.sh"
serve=
on_fail() {
  [[ -n "$serve" ]] && kill -9 "$serve" 2>/dev/null
  for f in "$RAMP_HOME"/serve-*.log; do [[ -f "$f" ]] && { echo "--- $f"; tail -20 "$f"; }; done
}

controller_url() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(j.get('url') or 'http://'+j.get('address',''))" "$RAMP_HOME/controller.json" 2>/dev/null; }
controller_pid() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('pid', 0))" "$RAMP_HOME/controller.json" 2>/dev/null || echo 0; }
# Stops the running controller (SIGTERM; it keeps the fleets) and waits.
stop_controller() {
  local pid; pid=$(controller_pid)
  [[ "$pid" -gt 0 ]] || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "controller $pid did not stop on SIGTERM"
  [[ "$pid" == "$serve" ]] && { wait "$serve" 2>/dev/null; serve=; }
  return 0
}
# Waits (bounded) until the controller armed with a failpoint killed itself.
wait_killed() {  # $1 = pid, $2 = what
  for _ in $(seq 1 1200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && fail "the controller never reached the failpoint $2"
  if [[ "$1" == "$serve" ]]; then
    wait "$serve"; local rc=$?; serve=
    [[ $rc -eq 137 ]] || fail "the controller ended with $rc, not by SIGKILL at $2"
  fi
  echo "controller killed at $2"
}
# Starts `ramp serve` (with env given as NAME=VALUE arguments) and waits until it answers.
start_serve() {  # $1 = log name, then env assignments
  local log="$RAMP_HOME/serve-$1.log"; shift
  env "$@" "$RAMP_BIN" serve --home "$RAMP_HOME" >"$log" 2>&1 &
  serve=$!
  for _ in $(seq 1 300); do
    # Probed with --server: a plain CLI command would start a controller of
    # its own when this one has already died at its failpoint (the CLI brings
    # a dead home controller back), and that one would then hold the world.
    [[ "$(controller_pid)" == "$serve" ]] && "$RAMP_BIN" --server "$(controller_url)" status --json >/dev/null 2>&1 && return 0
    # A controller armed at a step it resumes at once (rb_switch) may die
    # before it answers: that is for wait_killed to judge.
    kill -0 "$serve" 2>/dev/null || { [[ "$*" == *RAMP_FAILPOINT=* ]] && return 0; fail "ramp serve exited: $(tail -5 "$log")"; }
    sleep 0.1
  done
  fail "ramp serve did not answer in 30 s"
}
# The deployment's state once it ended (bounded wait).
wait_ended() {  # $1 = deployment id
  local st=
  for _ in $(seq 1 600); do
    st=$("$RAMP_BIN" status web --env prod --json 2>/dev/null | python3 -c "
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

config "$BLUEGREEN"
"$RAMP_BIN" validate >/dev/null || fail "validate"
for v in 1.0.0 2.0.0 3.0.0; do
  "$RAMP_BIN" release create web --version $v --from release >/dev/null || fail "release $v"
done
push_config
apply_infra
timeout 120 "$RAMP_BIN" deploy web --env prod --version 1.0.0 >/dev/null; rc=$?
[[ $rc -eq 0 ]] || fail "deploy 1.0.0 exited $rc"
expect "{\"fleets\": $(fleet 1.0.0), \"rules\": 0}"

# 1. Blue/green killed right after the new fleet was created.
stop_controller
start_serve 1 RAMP_FAILPOINT=create_fleet:after
push_config
out=$("$RAMP_BIN" deploy web --env prod --version 2.0.0 --detach 2>&1) || fail "deploy 2.0.0 --detach: $out"
id=$(echo "$out" | deploy_id); [[ -n "$id" ]] || fail "no deployment id in: $out"
wait_killed "$serve" create_fleet:after
got=$(py inventory); echo "while the controller is dead: $got"
python3 -c "import json,sys; f=json.loads(sys.argv[1])['fleets']; sys.exit(0 if f.get('2.0.0',{}).get('asg')==1 else 1)" "$got" \
  || fail "the kill was not after the fleet was created: $got"
start_serve 2
st=$(wait_ended "$id"); [[ "$st" == succeeded ]] || fail "2.0.0 after the restart: $st"
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"

# 2. Canary killed as its analysis begins, then mid-rollback.
config "$CANARY"
start_feeder 200 3.0.0
stop_controller
start_serve 3 RAMP_FAILPOINT=canary_analysis:before
push_config
out=$("$RAMP_BIN" deploy web --env prod --version 3.0.0 --detach 2>&1) || fail "deploy 3.0.0 --detach: $out"
id=$(echo "$out" | deploy_id); [[ -n "$id" ]] || fail "no deployment id in: $out"
wait_killed "$serve" canary_analysis:before
got=$(py inventory); echo "while the controller is dead: $got"
start_serve 4 RAMP_FAILPOINT=rb_switch:after
wait_killed "$serve" rb_switch:after
got=$(py inventory); echo "while the controller is dead: $got"
start_serve 5
st=$(wait_ended "$id"); [[ "$st" == rolled_back ]] || fail "3.0.0 after the restarts: $st"
stop_feeder
chain_is '{"us-east-1": {"forward": {"2.0.0": 100}, "instances": {"2.0.0": 2}}}'
expect "{\"fleets\": $(fleet 2.0.0), \"rules\": 0}"

# 3. Down leaves nothing.
"$RAMP_BIN" down >/dev/null || fail "ramp down"
[[ -n "$serve" ]] && { wait "$serve" 2>/dev/null; serve=; }
expect '{"fleets": {}, "rules": 0}'
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['lbs'])" "$(py inventory)") == "{'ramp-shop-prod-use1': 'infra'}" ]] \
  || fail "a load balancer other than the infrastructure's: $(py inventory)"
echo "PASS"
