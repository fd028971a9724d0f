#!/usr/bin/env bash
# CTest fixture: one moto_server per AWS test suite on a free loopback port,
# with its signature checking on from the first request
# (INITIAL_NO_AUTH_ACTION_COUNT=0: every request is checked against an IAM
# key moto knows; each test makes one with moto_keys.py / MotoAuth.h).
#   moto-fixture.sh start STATE_DIR   -> STATE_DIR/moto.port, moto.pid
#   moto-fixture.sh stop STATE_DIR
# moto is started with `env -u RAMP_HOME` so tests/isolated does not count
# it as a leftover of the setup test. Fails (never skips) without moto.
set -u
cmd=$1 dir=$2
mkdir -p "$dir"
case "$cmd" in
start)
  command -v moto_server >/dev/null || { echo "moto_server not found on PATH: scripts/install-deps.sh --test installs it (or pip install 'moto[server]==5.2.1')" >&2; exit 1; }
  if [[ -f "$dir/moto.pid" ]]; then kill "$(cat "$dir/moto.pid")" 2>/dev/null; fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env -u RAMP_HOME INITIAL_NO_AUTH_ACTION_COUNT=0 setsid moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 </dev/null &
  echo $! >"$dir/moto.pid"
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null -X POST "http://127.0.0.1:$port/moto-api/reset"; then
      echo "$port" >"$dir/moto.port"
      echo "moto on 127.0.0.1:$port (pid $(cat "$dir/moto.pid"))"
      exit 0
    fi
    sleep 0.1
  done
  echo "moto did not answer within 15 s; log:" >&2; cat "$dir/moto.log" >&2
  kill "$(cat "$dir/moto.pid")" 2>/dev/null; exit 1 ;;
stop)
  if [[ -f "$dir/moto.pid" ]]; then
    pid=$(cat "$dir/moto.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    rm -f "$dir/moto.pid" "$dir/moto.port"
  fi
  exit 0 ;;
esac
echo "usage: moto-fixture.sh start|stop DIR" >&2; exit 2
