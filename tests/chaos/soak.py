#!/usr/bin/env python3
"""Chaos soak (issue #16): deployments under steady load while the controller,
the router, instances and (on PostgreSQL) the database die at random; then the
invariants.

    soak.py --minutes N [--store sqlite|postgresql] [--seed S] [--rate R]
            [--kill-every A:B] [--json OUT] [--markdown OUT]

Needs RAMP_BIN (the ramp binary), RAMP_CRAWLER_BIN (the example crawler) and
RAMP_HOME (a fresh directory: the world lives there; tests/isolated gives one
and fails the run if a process of it outlives it). With --store postgresql it
starts a throwaway cluster with tests/store/pg-fixture (RAMP_SOURCE_DIR or the
checkout this script is in).

The world: one environment `prod`, two services behind the local router, each
with alerts to a webhook receiver this script runs:
  web  blue/green with a 12 s bake judged against the previous fleet
  api  canary 20% -> analysis -> 50% -> analysis -> 100%, weight lease 3 s
       (on_lease_expiry: resume: the step runs again once it is back)
Deployments cycle through healthy releases and bad ones (20% 5xx; a canary
whose instances all crash 2 s after they start), one at a time per service.
Load: closed-loop GETs at a bounded rate per service (--rate, default 40/s),
each failure recorded with its time and the X-Ramp-Version that answered.
Chaos: every U(A, B) s (--kill-every, default 4:9) a kill -9 of one of
(each kind in turn, every round in a random order):
the controller, the router, a random healthy instance (its process group),
a random instance's shim (the provider then stops the unsupervised
instance), or `pg_ctl restart -m immediate` of the database; at most
--max-kills. Only processes of this RAMP_HOME are ever signalled (their
environment or command line names it). Each kill opens a window that closes
when the component is back (controller: a new pid answers /api/v1/health;
router: a new pid answers its admin ping; instance, shim: the slot is
healthy again under a new pid; database: it accepts connections).

Invariants (each failure printed; exit 1 if any does not hold):
  1. every deployment ends, in the state its release deserves: healthy ->
     succeeded, bad -> rolled_back;
  2. no bad release ever ends at 100% (never `succeeded`, and at the end
     every service's full weight is on a healthy release);
  3. every alert is delivered exactly once per event at the receiver
     (deduplicated by its idempotency key): one per deployment that ended
     rolled_back or failed, none else;
  4. `ramp audit verify` passes;
  5. no orphan process once `ramp down` returned;
  6. user-visible failures only (a) answered by a bad release itself (its
     own 5xx, what a canary is for) or (b) while the router, an instance or
     a shim was dead (the request overlaps that window, up to 1 s after it
     closed); a failure while only the controller was dead is unexplained.
Figures (kills by kind, deployments, requests, failures and where they fell:
per kind of kill, how many kills had failures, how many, the last one how
long after the kill and after the component was back; alerts sent vs
expected; the machine and its load average) go to --json / --markdown.
Bounded: --minutes of chaos, then the deployment under way ends (150 s at
most); --max-kills.
"""
import argparse
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BIN = os.environ.get("RAMP_BIN", "")
CRAWLER = os.environ.get("RAMP_CRAWLER_BIN", "")
HOME = os.environ.get("RAMP_HOME", "")
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("RAMP_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
T0 = time.monotonic()
LOAD_START = []


def machine():
    """'N cores, CPU model' of this machine (for the figures)."""
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}".strip(", ")


MACHINE = machine()


def now():
    return time.monotonic() - T0


def log(msg):
    print(f"[{now():7.1f}s] {msg}", flush=True)


def ramp(*args, timeout=180, check=False):
    """Runs the ramp CLI in the work directory; (rc, stdout, stderr)."""
    try:
        p = subprocess.run([BIN, *args], cwd=WORK, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"ramp {' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# The kinds of kill whose dead window may explain a user-visible failure:
# the data plane. A failure in a controller's window only is unexplained
# (the data plane must not need its controller).
DATA_PLANE = ("router", "instance", "shim")


def ours(pid):
    """True when process `pid` belongs to this soak's world: its environment
    or command line names RAMP_HOME. The soak never signals anything else."""
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False
    return f"RAMP_HOME={HOME}".encode() in env or HOME.encode() in cmd


def http_get(url, headers=None, timeout=1.0):
    """(status, body bytes, headers) or (None, error, None)."""
    u = urllib.parse.urlsplit(url)
    if not u.hostname:  # no address known (yet): nobody to ask
        return None, f"no address in {url!r}", None
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", u.path + (("?" + u.query) if u.query else ""), headers=headers or {})
        r = c.getresponse()
        return r.status, r.read(), dict(r.getheaders())
    except (OSError, http.client.HTTPException) as e:
        return None, str(e), None
    finally:
        c.close()


# ---- the world -------------------------------------------------------------

WORK = ""
RELEASES = {}  # version -> "good" | "errors" | "crash"


def write_config(receiver_url, lease):
    # A canary whose weight lease ran out while the controller was away
    # (killed, or cut off from its database for longer than its own lease)
    # gets its weight back and runs the step again: the judge, not the
    # outage, decides a release (with the default `rollback` a healthy
    # release lost to a 6 s database restart would be rolled back).
    lease = (f"      weight_lease: {lease}\n      on_lease_expiry: resume\n" if lease != "none" else "")
    alerts = f'[{{webhook: "{receiver_url}/hook"}}]'
    health = """    health:
      path: /healthz
      interval: 100ms
      timeout: 80ms
      healthy_threshold: 1
      unhealthy_threshold: 2"""
    # Each analysis step decides on evidence, as soon as there is enough (a
    # healthy canary passes, a bad one is rolled back); the deadline bounds
    # one that never gets it (on_inconclusive: rollback then).
    analysis = """    analysis:
      deadline: 60s
      max_false_rollback: 0.01
      min_requests: 10
      min_error_rate: 0.05
      error_rate_objective: 0.05
      latency_tolerance: 0.5
      on_inconclusive: rollback
      metrics:
        - {name: error_rate, kind: error_rate, critical: true}"""
    text = f"""# The chaos soak's world (tests/chaos/soak.py).
project: soak
environments:
  prod:
    provider: local
pipeline: [prod]
services:
  web:
    release:
      from: release
    run:
      command: bin/crawler
{health}
    instances: 2
    strategy:
      type: bluegreen
      bake: 12s
      deadline: 30s
      drain: 2s
{analysis}
    alerts: {alerts}
  api:
    release:
      from: release
    run:
      command: bin/crawler
{health}
    instances: 2
    strategy:
      type: canary
      bake: 0s
      deadline: 30s
      drain: 2s
{lease}      steps:
        - weight: 20
        - analysis: {{interval: 500ms}}
        - weight: 50
        - analysis: {{interval: 500ms}}
        - weight: 100
{analysis}
    alerts: {alerts}
"""
    with open(os.path.join(WORK, "ramp.yaml"), "w") as f:
        f.write(text)


def make_release(service, version, kind):
    src = os.path.join(HOME, "src", f"{service}-{version}")
    os.makedirs(os.path.join(src, "bin"), exist_ok=True)
    shutil.copy(CRAWLER, os.path.join(src, "bin", "crawler-bin"))
    flags = {"good": "", "errors": "--error-rate 0.2", "crash": "--crash-after 2"}[kind]
    with open(os.path.join(src, "bin", "crawler"), "w") as f:
        f.write(f'#!/bin/sh\nexec "$(dirname "$0")/crawler-bin" --quiet {flags} "$@"\n')
    os.chmod(os.path.join(src, "bin", "crawler"), 0o755)
    # The database is one of the parts the chaos restarts: a command that
    # opens the store itself fails at once, clearly, while it is down; the
    # soak then tries again, as an operator's pipeline would (at most 60 s:
    # the same release again is a no-op, releases are immutable).
    deadline = now() + 60
    while True:
        rc, _, err = ramp("release", "create", service, "--version", version, "--from", src)
        if rc == 0:
            break
        down = any(w in err for w in ("PostgreSQL", "database system", "server closed the connection"))
        if not down or now() > deadline:
            raise RuntimeError(f"ramp release create {service} --version {version}: exit {rc}: {err.strip()}")
        time.sleep(0.5)
    RELEASES[(service, version)] = kind


class Api:
    """Reads the controller's API directly (never through the CLI: a CLI call
    would start a dead controller, and the soak must see what heals alone)."""

    def __init__(self):
        tok = open(os.path.join(HOME, "admin.token")).read().strip()
        self.headers = {"Authorization": f"Bearer {tok}"}

    def base(self):
        cj = read_json(os.path.join(HOME, "controller.json")) or {}
        return cj.get("url") or ("http://" + cj.get("address", "")), cj.get("pid", 0)

    def get(self, path, timeout=2.0):
        base, _ = self.base()
        st, body, _ = http_get(base + path, self.headers, timeout)
        if st != 200:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None


# ---- load ------------------------------------------------------------------

class Load:
    """Closed-loop GETs to each service's entry point at a bounded rate."""

    def __init__(self, urls, rate, threads_per_service=3):
        self.urls = urls
        self.interval = threads_per_service / float(rate)
        self.threads_per_service = threads_per_service
        self.stop_ = threading.Event()
        self.mu = threading.Lock()
        self.requests = {s: 0 for s in urls}
        self.answers = {}          # (service, version) -> count
        self.failures = []         # {t0, t1, service, version, what}
        self.threads = []

    def start(self):
        for s, url in self.urls.items():
            for _ in range(self.threads_per_service):
                t = threading.Thread(target=self.run, args=(s, url), daemon=True)
                t.start()
                self.threads.append(t)

    def stop(self):
        self.stop_.set()
        for t in self.threads:
            t.join(10)

    def run(self, service, url):
        u = urllib.parse.urlsplit(url)
        conn = None
        next_at = time.monotonic()
        while not self.stop_.is_set():
            next_at += self.interval
            t0 = now()
            version, what = "?", None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
                conn.request("GET", "/")
                r = conn.getresponse()
                r.read()
                version = r.getheader("X-Ramp-Version") or "?"
                if r.status >= 500:
                    what = f"HTTP {r.status}"
                if (r.getheader("Connection") or "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                what = type(e).__name__ + ": " + str(e)[:80]
                if conn is not None:
                    conn.close()
                conn = None
            t1 = now()
            with self.mu:
                self.requests[service] += 1
                if version != "?":
                    self.answers[(service, version)] = self.answers.get((service, version), 0) + 1
                if what:
                    self.failures.append({"t0": t0, "t1": t1, "service": service, "version": version, "what": what})
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop_.wait(delay)
            else:
                next_at = time.monotonic()


# ---- alerts ----------------------------------------------------------------

class Receiver:
    """The webhook receiver: records every delivery; answers 500 to one in
    ten at random (a flaky receiver: the sender must retry, and dedupe
    stays the receiver's job through the idempotency key)."""

    def __init__(self, rng):
        self.deliveries = []
        self.mu = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(n)
                with rec.mu:
                    flaky = rng.random() < 0.1
                    rec.deliveries.append({"t": now(), "headers": {k.lower(): v for k, v in self.headers.items()},
                                           "body": body.decode("utf-8", "replace"), "answered": 500 if flaky else 200})
                self.send_response(500 if flaky else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()

    def unique(self):
        """{idempotency key: (event, deployment)} over deliveries answered 2xx or not."""
        out = {}
        with self.mu:
            for d in self.deliveries:
                h = d["headers"]
                key = h.get("idempotency-key") or h.get("x-ramp-idempotency-key") or h.get("x-ramp-delivery")
                try:
                    body = json.loads(d["body"])
                except ValueError:
                    body = {}
                dep = body.get("deployment") or body.get("deployment_id") or ""
                out[key] = (h.get("x-ramp-event", body.get("event", "")), dep)
        return out


# ---- chaos -----------------------------------------------------------------

class Chaos:
    def __init__(self, rng, api, kinds, every, pg, max_kills):
        self.rng, self.api, self.kinds, self.every, self.pg = rng, api, kinds, every, pg
        self.max_kills = max_kills
        self.skipped = {}   # kind -> turns with nothing of that kind alive
        self.windows = []   # {kind, start, end, what}
        self.stop_ = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_.set()
        self.thread.join(120)

    def run(self):
        turn = []
        while len(self.windows) < self.max_kills and not self.stop_.wait(self.rng.uniform(*self.every)):
            # Every kind in turn, each round in a random order: even a short
            # run kills each kind.
            if not turn:
                turn = self.rng.sample(self.kinds, len(self.kinds))
            kind = turn.pop()
            try:
                w = getattr(self, "kill_" + kind)()
            except Exception as e:  # a kill that could not be done is reported, not fatal
                w = {"kind": kind, "start": now(), "end": now(), "what": f"not done: {e}"}
            if w:
                self.windows.append(w)
                log(f"chaos: {w['kind']} {w['what']}: dead {w['end'] - w['start']:.2f} s")
            else:
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
                log(f"chaos: {kind}: nothing of that kind to kill now")

    def wait_until(self, cond, limit=60):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.05)
        return False

    def kill_controller(self):
        _, pid = self.api.base()
        if not pid or not ours(pid):
            return None
        start = now()
        os.kill(pid, signal.SIGKILL)

        def back():
            base, p = self.api.base()
            return p and p != pid and http_get(base + "/api/v1/health")[0] == 200
        ok = self.wait_until(back)
        return {"kind": "controller", "start": start, "end": now(), "what": f"pid {pid}" + ("" if ok else " NOT BACK")}

    def kill_router(self):
        rj = read_json(os.path.join(HOME, "router", "admin.json")) or {}
        pid = rj.get("pid", 0)
        if not pid or not ours(pid):
            return None
        start = now()
        os.kill(pid, signal.SIGKILL)
        tok = open(os.path.join(HOME, "router", "admin.token")).read().strip()

        def back():
            r = read_json(os.path.join(HOME, "router", "admin.json")) or {}
            if not r.get("pid") or r["pid"] == pid:
                return False
            return http_get(f"http://{r['address']}/admin/v1/ping", {"Authorization": f"Bearer {tok}"})[0] == 200
        ok = self.wait_until(back)
        return {"kind": "router", "start": start, "end": now(), "what": f"pid {pid}" + ("" if ok else " NOT BACK")}

    def kill_instance(self):
        return self.kill_slot("instance", "childPid")

    def kill_shim(self):
        return self.kill_slot("shim", "shimPid")

    def kill_slot(self, kind, which):
        """kill -9 of a healthy instance (which=childPid: the sandbox's
        PID-namespace init, its process group too) or of its shim
        (which=shimPid: the provider then stops the unsupervised instance);
        the window closes when the slot is healthy again under a new pid,
        or its fleet retired."""
        fleets_dir = os.path.join(HOME, "fleets")
        live = []
        for f in sorted(os.listdir(fleets_dir)) if os.path.isdir(fleets_dir) else []:
            rec = read_json(os.path.join(fleets_dir, f, "fleet.json"))
            if not rec or rec.get("retiring"):
                continue
            for i in rec.get("instances", []):
                if i.get("state") == "healthy" and i.get(which) and ours(i[which]):
                    live.append((f, i["slot"], i[which], i.get("childPid")))
        if not live:
            return None
        fleet, slot, pid, child = self.rng.choice(live)
        start = now()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        if which == "childPid":
            # The rest of its process group (the process itself may be
            # reaped already: the group can be gone).
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def back():
            rec = read_json(os.path.join(fleets_dir, fleet, "fleet.json"))
            if not rec or rec.get("retiring"):
                return True
            return any(i.get("slot") == slot and i.get("state") == "healthy" and i.get("childPid") != child
                       for i in rec.get("instances", []))
        ok = self.wait_until(back)
        return {"kind": kind, "start": start, "end": now(),
                "what": f"{fleet} slot {slot} pid {pid}" + ("" if ok else " NOT BACK")}

    def kill_database(self):
        start = now()
        self.pg.restart()
        ok = self.wait_until(self.pg.ready)
        return {"kind": "database", "start": start, "end": now(), "what": "pg_ctl restart -m immediate" + ("" if ok else " NOT BACK")}


class Postgres:
    """A throwaway cluster from tests/store/pg-fixture."""

    def __init__(self):
        self.dir = os.path.join(HOME, "pg")
        os.makedirs(self.dir, exist_ok=True)
        # A durable cluster: the soak restarts it with -m immediate, and a
        # committed transaction must survive that (the test fixture's default
        # trades durability for speed; with it the restart lost the last
        # commits and `ramp audit verify` rightly reported the log rewritten).
        subprocess.run([os.path.join(SOURCE, "tests", "store", "pg-fixture"), "start", self.dir], check=True,
                       capture_output=True, env=dict(os.environ, RAMP_PG_DURABLE="1"))
        self.url = open(os.path.join(self.dir, "url")).read().strip()
        self.cluster = open(os.path.join(self.dir, "cluster")).read().strip()
        bins = sorted(d for d in os.listdir("/usr/lib/postgresql"))
        self.bindir = f"/usr/lib/postgresql/{bins[-1]}/bin"

    def as_pg(self, *cmd):
        env = {k: v for k, v in os.environ.items() if k != "RAMP_HOME"}
        if os.getuid() == 0:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)

    def restart(self):
        self.as_pg(f"{self.bindir}/pg_ctl", "-D", f"{self.cluster}/data", "-m", "immediate", "-w", "-t", "30",
                   "restart", "-l", f"{self.cluster}/restart.log")

    def ready(self):
        host = urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query).get("host", [""])[0]
        return self.as_pg(f"{self.bindir}/pg_isready", "-h", host, "-q").returncode == 0

    def stop(self):
        subprocess.run([os.path.join(SOURCE, "tests", "store", "pg-fixture"), "stop", self.dir], capture_output=True)


# ---- deployments -----------------------------------------------------------

# A bad release first: even a short run sees a rollback and its alert.
SCHEDULE = [("api", "errors"), ("web", "good"), ("api", "good"), ("web", "errors"), ("api", "crash"),
            ("api", "good"), ("web", "good")]
DESERVES = {"good": "succeeded", "errors": "rolled_back", "crash": "rolled_back"}


class Deployer:
    """One deployment at a time per service, in SCHEDULE's order; the CLI
    submits (and restarts a dead controller), the API is polled."""

    def __init__(self, api, deadline_s=150):
        self.api, self.deadline_s = api, deadline_s
        self.results = []   # {service, version, kind, id, state, reason, took}
        self.stop_ = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.n = 0

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_.set()
        self.thread.join(self.deadline_s + 60)

    def run(self):
        i = 0
        while not self.stop_.is_set():
            service, kind = SCHEDULE[i % len(SCHEDULE)]
            i += 1
            try:
                self.deploy(service, kind)
            except Exception as e:  # the soak's own bug: reported, and the cycle goes on
                log(f"deploy {service} ({kind}): soak error {type(e).__name__}: {e}")
                self.results.append({"service": service, "version": "?", "kind": kind, "id": "",
                                     "state": f"soak error: {e}", "reason": "", "took": 0,
                                     "deserves": DESERVES[kind]})

    def find(self, service, version):
        lst = self.api.get(f"/api/v1/deployments?service={service}&env=prod&limit=5") or []
        for d in lst:
            if d.get("version") == version:
                return d
        return None

    def deploy(self, service, kind):
        self.n += 1
        version = f"{self.n}.0.0-{kind}"
        make_release(service, version, kind)
        started = now()
        dep = None
        for _ in range(10):
            rc, out, err = ramp("deploy", service, "--env", "prod", "--version", version, "--detach", timeout=60)
            if rc == 0:
                break
            # The answer may have been lost with a dying controller: did it take?
            time.sleep(1)
            dep = self.find(service, version)
            if dep:
                break
            log(f"deploy {service} {version}: exit {rc}: {err.strip()[:160]} — again")
        state, reason, dep_id = "", "", (dep or {}).get("id", "")
        while now() - started < self.deadline_s:
            d = self.find(service, version)
            if d:
                dep_id, state, reason = d.get("id", ""), d.get("state", ""), d.get("reason", "")
                if state in ("succeeded", "rolled_back", "failed", "aborted") and d.get("phase") == "done":
                    break
                if state == "paused":
                    break
            time.sleep(0.3)
        r = {"service": service, "version": version, "kind": kind, "id": dep_id, "state": state or "unknown",
             "reason": reason, "took": round(now() - started, 1), "deserves": DESERVES[kind]}
        self.results.append(r)
        log(f"deployment {service} {version} ({kind}): {r['state']} in {r['took']} s"
            + ("" if r["state"] == r["deserves"] else f"  <-- deserves {r['deserves']}: {reason[:200]}"))
        if state not in ("succeeded", "rolled_back", "failed", "aborted"):
            ramp("abort", service, "--env", "prod", timeout=60)
            # let it end before the next one starts
            t = now()
            while now() - t < 60:
                d = self.find(service, version)
                if d and d.get("phase") == "done":
                    break
                time.sleep(0.5)


# ---- invariants ------------------------------------------------------------

def processes_of_home():
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode("utf-8", "replace")
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2] == "Z":
            continue
        if f"RAMP_HOME={HOME}".encode() in env and ("ramp" in cmd or "crawler" in cmd):
            out.append((int(pid), cmd.strip()))
    return out


def main():
    global WORK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--rate", type=float, default=40.0, help="requests per second per service")
    ap.add_argument("--kill-every", default="4:9", help="A:B seconds between kills (uniform)")
    ap.add_argument("--max-kills", type=int, default=2000, help="at most this many kills")
    ap.add_argument("--lease", default="3s", help="the canary's weight lease (none: the default)")
    ap.add_argument("--json", default="")
    ap.add_argument("--markdown", default="")
    a = ap.parse_args()
    for name, v in (("RAMP_BIN", BIN), ("RAMP_CRAWLER_BIN", CRAWLER), ("RAMP_HOME", HOME)):
        if not v:
            sys.exit(f"soak: {name} is not set")
    rng = random.Random(a.seed)
    global LOAD_START
    LOAD_START = list(os.getloadavg())
    log(f"seed {a.seed}, {a.minutes} min, store {a.store}, rate {a.rate}/s per service, kills every {a.kill_every} s")
    WORK = os.path.join(HOME, "work")
    os.makedirs(WORK, exist_ok=True)
    receiver = Receiver(random.Random(a.seed + 1))
    write_config(receiver.url, a.lease)
    pg = None
    if a.store == "postgresql":
        pg = Postgres()
        serve_log = open(os.path.join(HOME, "serve-first.log"), "a")
        first = subprocess.Popen([BIN, "serve", "--home", HOME, "--store", pg.url, "--supervised"], stdout=serve_log,
                                 stderr=serve_log, stdin=subprocess.DEVNULL, start_new_session=True)
        # Up before any command: a command run while it starts would find no
        # controller and start one of its own on the home's SQLite (which the
        # controller now refuses, one home one store, so this one would exit).
        deadline = time.time() + 60
        while True:
            try:
                with open(os.path.join(HOME, "controller.json")) as f:
                    if json.load(f).get("pid") == first.pid:
                        break
            except (OSError, ValueError):
                pass
            if first.poll() is not None or time.time() > deadline:
                sys.exit(f"soak: the PostgreSQL controller did not start within 60 s (exit {first.poll()}); "
                         f"see {os.path.join(HOME, 'serve-first.log')}")
            time.sleep(0.05)
    problems = []
    chaos = deployer = load = None
    expected, got = set(), {}
    where = {}
    try:
        # The controller deploys only its config of record (#15).
        ramp("config", "push", "-m", "chaos soak world", timeout=120, check=True)
        for s in ("web", "api"):
            make_release(s, "0.1.0-good", "good")
            ramp("deploy", s, "--env", "prod", "--version", "0.1.0-good", timeout=120, check=True)
        api = Api()
        urls = {}
        for s in ("web", "api"):
            rc, out, _ = ramp("status", s, "--env", "prod", "--json", check=True)
            urls[s] = json.loads(out)["entrypoint"]
        load = Load(urls, a.rate)
        load.start()
        kinds = ["controller", "router", "instance", "shim"] + (["database"] if pg else [])
        chaos = Chaos(rng, api, kinds, tuple(float(x) for x in a.kill_every.split(":")), pg, a.max_kills)
        deployer = Deployer(api)
        deployer.start()
        time.sleep(2)
        chaos.start()
        time.sleep(a.minutes * 60)
        log("time is up: chaos stops, the last deployment ends")
        chaos.stop()
        deployer.stop()
        time.sleep(2)
        load.stop()
        time.sleep(3)  # alert retries settle

        # 1 + 2: deployments
        for r in deployer.results:
            if r["state"] != r["deserves"]:
                problems.append(f"deployment {r['service']} {r['version']} ({r['kind']}) ended {r['state']}, "
                                f"deserves {r['deserves']}: {r['reason'][:300]}")
            if r["kind"] != "good" and r["state"] == "succeeded":
                problems.append(f"bad release {r['service']} {r['version']} reached 100%")
        for s in ("web", "api"):
            rc, out, _ = ramp("status", s, "--env", "prod", "--json")
            try:
                for f in json.loads(out).get("fleets", []):
                    if f.get("weight", 0) == 100 and RELEASES.get((s, f.get("version"))) != "good":
                        problems.append(f"{s}: 100% on {f.get('version')} ({RELEASES.get((s, f.get('version')))})")
            except ValueError:
                problems.append(f"{s}: status unreadable: {out[:200]}")
        # 3: alerts
        # One alert per deployment that ended rolled back or failed, as the
        # deployments themselves say (not the events API: it pages, and an
        # event lost in a crash must show as a lost alert, not as none due).
        expected = {(f"deployment.{r['state']}", r["id"]) for r in deployer.results
                    if r["state"] in ("rolled_back", "failed") and r["id"]}
        got = receiver.unique()
        per_event = {}
        for key, ev in got.items():
            per_event.setdefault(ev, []).append(key)
        for ev in expected:
            n = len(per_event.get(ev, []))
            if n != 1:
                problems.append(f"alert {ev[0]} of {ev[1]}: {n} distinct deliveries (want exactly 1)")
        for ev in per_event:
            if ev not in expected:
                problems.append(f"alert {ev} was sent for no such event")
        # 4: audit
        rc, out, err = ramp("audit", "verify")
        if rc != 0:
            problems.append(f"ramp audit verify: exit {rc}: {(out + err)[:300]}")
        # 6: failures
        bad_versions = {v for (s, v), k in RELEASES.items() if k != "good"}
        data_plane = [w for w in chaos.windows if w["kind"] in DATA_PLANE]
        where = {"bad release": 0, **{k: 0 for k in DATA_PLANE}, "unexplained": 0}
        unexplained = []
        for f in load.failures:
            if f["version"] in bad_versions and f["what"].startswith("HTTP 5"):
                where["bad release"] += 1
                continue
            hit = next((w for w in data_plane if f["t0"] <= w["end"] + 1.0 and f["t1"] >= w["start"] - 0.2), None)
            if hit:
                where[hit["kind"]] += 1
                hit["failures"] = hit.get("failures", 0) + 1
                # Where it fell relative to that kill: seconds after the
                # kill, and after the component was back (<= 0: while dead).
                hit["last_after_kill"] = max(hit.get("last_after_kill", 0.0), f["t0"] - hit["start"])
                hit["last_after_back"] = max(hit.get("last_after_back", -1e9), f["t0"] - hit["end"])
            else:
                where["unexplained"] += 1
                unexplained.append(f)
        for f in unexplained[:20]:
            near = [f"{w['kind']}@{w['start']:.1f}-{w['end']:.1f}" for w in chaos.windows
                    if abs(w["start"] - f["t0"]) < 10]
            problems.append(f"failure outside any dead window: {f} (kills nearby: {near})")
        if len(unexplained) > 20:
            problems.append(f"... {len(unexplained) - 20} more failures outside any dead window")
    finally:
        rc, out, err = ramp("down", timeout=120)
        if rc != 0:
            problems.append(f"ramp down: exit {rc}: {err.strip()[:300]}")
        time.sleep(1.5)
        # 5: orphans
        left = processes_of_home()
        for pid, cmd in left:
            problems.append(f"orphan process after ramp down: pid {pid}: {cmd[:200]}")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        receiver.stop()
        if pg:
            pg.stop()

    kills, by_kill = {}, {}
    for w in (chaos.windows if chaos else []):
        kills.setdefault(w["kind"], []).append(round(w["end"] - w["start"], 2))
        k = by_kill.setdefault(w["kind"], {"kills": 0, "kills_with_failures": 0, "failures": 0,
                                          "max_failures_per_kill": 0, "last_failure_after_kill_s": 0.0,
                                          "last_failure_after_back_s": None})
        k["kills"] += 1
        if w.get("failures"):
            k["kills_with_failures"] += 1
            k["failures"] += w["failures"]
            k["max_failures_per_kill"] = max(k["max_failures_per_kill"], w["failures"])
            k["last_failure_after_kill_s"] = round(max(k["last_failure_after_kill_s"], w["last_after_kill"]), 2)
            after_back = round(w["last_after_back"], 2)
            if k["last_failure_after_back_s"] is None or after_back > k["last_failure_after_back_s"]:
                k["last_failure_after_back_s"] = after_back
    outcome = {}
    for r in (deployer.results if deployer else []):
        outcome.setdefault(f"{r['service']} {r['kind']}", {}).setdefault(r["state"], 0)
        outcome[f"{r['service']} {r['kind']}"][r["state"]] += 1
    figures = {
        "seed": a.seed, "minutes": a.minutes, "store": a.store, "rate_per_service": a.rate,
        "kills": {k: {"count": len(v), "dead_s_median": sorted(v)[len(v) // 2], "dead_s_max": max(v)}
                  for k, v in kills.items()},
        "deployments": len(deployer.results) if deployer else 0, "outcomes": outcome,
        "requests": sum(load.requests.values()) if load else 0, "failures": len(load.failures) if load else 0,
        "failures_where": where, "failures_by_kill": by_kill, "kills_skipped": chaos.skipped if chaos else {},
        "not_done": [w for w in (chaos.windows if chaos else []) if "not done" in w["what"] or "NOT BACK" in w["what"]],
        "alerts_expected": len(expected), "alerts_delivered_unique": len(got),
        "alert_deliveries": len(receiver.deliveries),
        "problems": problems,
        "machine": MACHINE, "load_average": {"start": LOAD_START, "end": list(os.getloadavg())},
        "took_s": round(now(), 1),
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=2)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(markdown(figures))
    print(json.dumps(figures, indent=2))
    if problems:
        print(f"soak: {len(problems)} invariant(s) broken", file=sys.stderr)
        for p in problems:
            print("  - " + p, file=sys.stderr)
        return 1
    print("soak: every invariant holds")
    return 0


def markdown(fig):
    lines = [f"Soak: {fig['minutes']} min on {fig['store']}, seed {fig['seed']}, "
             f"{fig['rate_per_service']} req/s per service; {fig['took_s']} s in all; machine {fig['machine']}, "
             f"load average {fig['load_average']['start'][0]:.1f} at the start, "
             f"{fig['load_average']['end'][0]:.1f} at the end.", "",
             "| kills | count | dead (median) | dead (max) |", "| --- | --- | --- | --- |"]
    for k, v in sorted(fig["kills"].items()):
        lines.append(f"| {k} | {v['count']} | {v['dead_s_median']} s | {v['dead_s_max']} s |")
    lines += ["", "| deployments | outcome |", "| --- | --- |"]
    for k, v in sorted(fig["outcomes"].items()):
        lines.append(f"| {k} | {', '.join(f'{n} {s}' for s, n in sorted(v.items()))} |")
    w = fig["failures_where"]
    lines += ["", "| kills | with failures | failures | max per kill | last failure after the kill | "
              "last failure after it was back |", "| --- | --- | --- | --- | --- | --- |"]
    for k, v in sorted(fig["failures_by_kill"].items()):
        after = v["last_failure_after_back_s"]
        lines.append(f"| {k} ({v['kills']}) | {v['kills_with_failures']} | {v['failures']} | {v['max_failures_per_kill']} | "
                     f"{v['last_failure_after_kill_s']} s | {'-' if after is None else str(after) + ' s'} |")
    lines += ["", f"Requests {fig['requests']}, failed {fig['failures']}: "
              + ", ".join(f"{n} {k}" for k, n in w.items()) + ".",
              f"Alerts: {fig['alerts_expected']} expected, {fig['alerts_delivered_unique']} distinct delivered "
              f"({fig['alert_deliveries']} deliveries, the receiver failing one in ten).",
              f"Invariants broken: {len(fig['problems'])}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
