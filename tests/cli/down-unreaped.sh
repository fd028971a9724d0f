#!/usr/bin/env bash
# `ramp down` ends once the controller has exited, even while the process
# that started it has not reaped it yet (a supervisor, a benchmark): the
# controller is then a zombie, and `ramp down` used to take it for alive,
# wait 20 s and fail with "did not exit". Here the parent is a Python
# process that only reaps after `ramp down` has returned.
set -u
python3 - "$RAMP_BIN" "$RAMP_HOME" <<'PY'
import json, os, subprocess, sys, time
ramp, home = sys.argv[1], sys.argv[2]
serve = subprocess.Popen([ramp, "serve", "--home", home], stdout=subprocess.DEVNULL, stderr=open(os.path.join(home, "serve.err"), "w"))
def fail(msg):
    serve.kill(); serve.wait()
    print("FAIL:", msg); sys.exit(1)
# Up: controller.json names it and `ramp status` answers (bounded: 30 s).
for _ in range(300):
    if serve.poll() is not None:
        fail("ramp serve exited with %s: %s" % (serve.returncode, open(os.path.join(home, "serve.err")).read()))
    if os.path.exists(os.path.join(home, "controller.json")) and subprocess.run(
            [ramp, "--home", home, "status", "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        break
    time.sleep(0.1)
else:
    fail("the controller did not come up within 30 s")
down = subprocess.run([ramp, "--home", home, "down"], capture_output=True, text=True, timeout=60)
if down.returncode != 0:
    fail("ramp down exit %d while the controller's parent had not reaped it: %s%s" % (down.returncode, down.stdout, down.stderr))
if "controller stopped" not in down.stdout:
    fail("ramp down did not say it stopped the controller: " + down.stdout)
# It had really exited (only now reaped).
try:
    rc = serve.wait(timeout=5)
except subprocess.TimeoutExpired:
    fail("the controller was still running after ramp down said it stopped")
print("ok")
PY
