#!/usr/bin/env python3
"""Writes the router section of docs/benchmarks.md (to bench/results/router.md) from bench/router/run's results.

report.py RESULTS SWITCH_JSON OUT ROUNDS DURATION CORES UPTIME_START UPTIME_END
"""
import json, statistics, subprocess, sys, time
from collections import defaultdict

res, switch, out, rounds, duration, cores, up0, up1 = sys.argv[1:9]
rows = defaultdict(dict)   # (test, threads, proxy) -> {round: value}
idle = {}
for line in open(res):
    r, p, th, k, v = line.rstrip('\n').split('\t')
    if k.startswith('idle_'):
        idle[(k[5:], p)] = v
    else:
        rows[(k, th, p)][int(r)] = float(v or 0)
cpu = subprocess.run("lscpu | grep 'Model name' | sed 's/.*: *//'", shell=True, capture_output=True, text=True).stdout.strip()
tests = [('ka', 'keep-alive req/s'), ('close', 'Connection: close req/s'),
         ('tls_hs', 'TLS new handshakes/s (https, Connection: close)'), ('tls_ka', 'TLS keep-alive req/s')]

def med(k, th, p):
    v = list(rows[(k, th, p)].values())
    return statistics.median(v) if v else 0

def ratio(k, th, p):
    a, b = rows[(k, th, p)], rows[(k, th, 'haproxy')]
    rs = [a[r] / b[r] for r in a if b.get(r)]
    return (statistics.median(rs), min(rs), max(rs)) if rs else None

md = ["# Benchmark: ramp router vs HAProxy vs nginx", "",
      f"Run {time.strftime('%Y-%m-%d %H:%M')} by `bench/router/run`: {rounds} rounds (proxies interleaved inside each round, the first rotating from round to round),",
      f"wrk {duration} s per line (1 thread × 50 connections for the 1-thread proxies, {cores} × {50 * int(cores)} for all cores).",
      "Every proxy configured alike: timeouts head 10 s, keep-alive 60 s, client/server 60 s, connect 3 s, tunnel 1 h;",
      "the same EC P-256 certificate; backend nginx (100-byte body) on the same machine; loopback.", "",
      f"Machine: {cores} cores, {cpu}. Load: before `{up0.strip()}`, after `{up1.strip()}` (shared with other engineers'",
      "builds and tests: absolute numbers are noisy, the per-round ratios less so).", "",
      "## Requests/s (median of rounds) and ratio to HAProxy (median of per-round ratios, min – max)", "",
      "| line | threads | ramp | HAProxy | nginx | ramp / HAProxy | nginx / HAProxy |", "| --- | --- | --- | --- | --- | --- | --- |"]
for k, label in tests:
    for th in ('1', cores):
        if not rows[(k, th, 'ramp')]:
            continue
        rr = ratio(k, th, 'ramp'); nr = ratio(k, th, 'nginx')
        fmt = lambda x: f"{x[0]:.2f} ({x[1]:.2f} – {x[2]:.2f})" if x else "n/a"
        md.append(f"| {label} | {th} | {med(k, th, 'ramp'):.0f} | {med(k, th, 'haproxy'):.0f} | {med(k, th, 'nginx'):.0f} | {fmt(rr)} | {fmt(nr)} |")
md += ["", f"## ramp's accept modes at {cores} threads (median req/s; ratio single / reuseport, median of rounds)", "",
       "| line | single acceptor (default) | reuseport | single / reuseport |", "| --- | --- | --- | --- |"]
for k, label in tests[:2]:
    a, b = rows[(k, cores, 'ramp')], rows[(k, cores, 'ramp_reuseport')]
    rs = [a[r] / b[r] for r in a if b.get(r)]
    if rs:
        md.append(f"| {label} | {med(k, cores, 'ramp'):.0f} | {med(k, cores, 'ramp_reuseport'):.0f} | {statistics.median(rs):.2f} ({min(rs):.2f} – {max(rs):.2f}) |")
md += ["", "## Added p99 latency at half load, 1 thread (p99 through proxy − p99 direct, ms)", "",
       "| proxy | median | min – max |", "| --- | --- | --- |"]
for p in ('ramp', 'haproxy', 'nginx'):
    v = list(rows[('p99add', '1', p)].values())
    if v:
        md.append(f"| {p} | {statistics.median(v):.3f} | {min(v):.3f} – {max(v):.3f} |")
def slope(pts):
    """Least-squares bytes per connection over (connections, KiB) points."""
    xs = [n for n, _ in pts]; ys = [kib * 1024 for _, kib in pts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0

kinds = [('fresh', 'idle from the start (sent nothing)'), ('request', 'idle after one keep-alive request')]
if idle:
    md += ["", f"## Idle connections ({cores} threads each): RSS slope over connection counts", "",
           "Bytes per connection = least-squares slope of the proxy's RSS (all its processes) over the counts below,",
           "each step opened by a client process of its own. \"common\": over the counts every proxy held (HAProxy's",
           "maxconn under the open-files limit bounds it); \"all\": over every count that proxy held.", "",
           "| kind | proxy | connections:RSS KiB | bytes per connection (common) | (all) | projected for 50,000 | a request beside them (status, s) |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind, label in kinds:
        series = {}
        for p in ('ramp', 'haproxy', 'nginx'):
            if (kind, p) in idle:
                pts_s, _, ok = idle[(kind, p)].partition('|')
                series[p] = ([tuple(int(v) for v in t.split(':')) for t in pts_s.split()], ok.strip())
        if not series:
            continue
        common = min(max(n for n, _ in pts) for pts, _ in series.values())
        for p, (pts, ok) in series.items():
            c = slope([q for q in pts if q[0] <= common]); a_ = slope(pts)
            proj = (pts[0][1] * 1024 + a_ * 50000) / 1e6
            md.append(f"| {label} | {p} | {' '.join(f'{n}:{k}' for n, k in pts)} | {c:.0f} | {a_:.0f} | {proj:.0f} MB | {ok} |")
s = json.loads(switch)
if s['switches']:
  md += ["", "## Weight switch (ramp router, managed mode)", "",
       f"{s['switches']} switches 100% blue ↔ green under 4 keep-alive clients: time from the admin PUT to the first request",
       f"after which every answer came from the new fleet: median {s['median_ms']} ms, max {s['max_ms']} ms;",
       f"errors {s['errors']} over {s['requests']} requests."]
md += ["",
       "Goals (issue #18): at or above HAProxy on every line; memory per idle connection at or below HAProxy's;",
       "50,000 idle connections well under 200 MB.", ""]
open(out, 'w').write("\n".join(md))
