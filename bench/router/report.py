#!/usr/bin/env python3
"""Writes the router section of docs/benchmarks.md (to bench/results/router.md) from bench/router/run's results."""
import json, platform, statistics, subprocess, sys, time
from collections import defaultdict

res, switch, out, rounds, duration, conns = sys.argv[1:7]
rows = defaultdict(lambda: defaultdict(dict))
for line in open(res):
    r, p, k, v = line.split('\t')
    rows[k][p][int(r)] = float(v or 0)
cpu = subprocess.run("lscpu | grep 'Model name' | sed 's/.*: *//'", shell=True, capture_output=True, text=True).stdout.strip()
load = open('/proc/loadavg').read().split()[:3]
def ratio_line(kind, label):
    lines = []
    for p in ('ramp', 'nginx'):
        ratios = [rows[kind][p][r] / rows[kind]['haproxy'][r] for r in rows[kind][p] if rows[kind]['haproxy'].get(r)]
        if ratios:
            lines.append(f"| {label} | {p} / haproxy | {statistics.median(ratios):.2f} | {min(ratios):.2f} – {max(ratios):.2f} |")
    return lines
md = [f"# Benchmark: ramp router vs HAProxy vs nginx", "",
      f"Run {time.strftime('%Y-%m-%d %H:%M')} by `bench/router/run`: {rounds} interleaved rounds, wrk 1 thread × {conns} connections × {duration} s,",
      f"h2load `--h1 --rps` open loop (20 clients, 4 s) at half of the round's keep-alive saturation. Every proxy single-threaded;",
      f"backend nginx (1 worker, 100-byte body) on the same machine; loopback.", "",
      f"Machine: 2 cores, {cpu}; load average at the end {' '.join(load)} (shared with other engineers' builds — absolute numbers are noisy, the interleaved ratios less so).", "",
      "## Requests/s (median of rounds)", "", "| proxy | keep-alive | Connection: close |", "| --- | --- | --- |"]
for p in ('ramp', 'haproxy', 'nginx'):
    ka = statistics.median(rows['ka'][p].values()); cl = statistics.median(rows['close'][p].values())
    md.append(f"| {p} | {ka:.0f} | {cl:.0f} |")
md += ["", "## Ratios to HAProxy (median, min – max over rounds)", "", "| test | ratio | median | spread |", "| --- | --- | --- | --- |"]
md += ratio_line('ka', 'keep-alive req/s') + ratio_line('close', 'close req/s')
md += ["", "## Added p99 latency at half load (p99 through proxy − p99 direct, ms)", "", "| proxy | median | min – max |", "| --- | --- | --- |"]
for p in ('ramp', 'haproxy', 'nginx'):
    v = list(rows['p99add'][p].values())
    md.append(f"| {p} | {statistics.median(v):.3f} | {min(v):.3f} – {max(v):.3f} |")
s = json.loads(switch)
md += ["", "## Weight switch (ramp router, managed mode)", "",
       f"{s['switches']} switches 100% blue ↔ green under 4 keep-alive clients: time from the admin PUT to the first request",
       f"after which every answer came from the new fleet: median {s['median_ms']} ms, max {s['max_ms']} ms;",
       f"errors {s['errors']} over {s['requests']} requests.", "",
       "Targets: throughput ≥ HAProxy's; added p99 < 1 ms at half load; switch ≤ 50 ms; zero errors across switches.", ""]
open(out, 'w').write("\n".join(md))
