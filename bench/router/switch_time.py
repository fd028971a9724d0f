#!/usr/bin/env python3
"""Switch time of a managed ramp router: weight change -> 100% new fleet.

switch_time.py ADMIN TOKEN BLUE_PORT GREEN_PORT SWITCHES
Creates entry point bench.switch.local, then flips 100% blue <-> green
SWITCHES times while 4 keep-alive client threads hammer it; for each switch,
the time from sending the admin PUT to the start of the first request after
which every answer came from the new fleet. Prints JSON.
"""
import http.client, json, statistics, sys, threading, time

admin, token, bp, gp, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
host, aport = admin.split(':')

def call(method, path, body=None):
    c = http.client.HTTPConnection(host, int(aport), timeout=5)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    r = c.getresponse(); data = r.read(); c.close()
    if r.status != 200: raise SystemExit(f'admin {method} {path}: {r.status} {data!r}')
    return json.loads(data)

ep = call('PUT', '/admin/v1/entrypoints/bench.switch.local', {'port': 0})
port = ep['port']
def split(epoch, fleet):
    addr = {'blue': bp, 'green': gp}
    return {'epoch': epoch, 'fleets': [{'id': f, 'weight': 100 if f == fleet else 0, 'backends': ['127.0.0.1:' + addr[f]]}
                                        for f in ('blue', 'green')], 'pin': None}
call('PUT', '/admin/v1/entrypoints/bench.switch.local/split', split(1, 'blue'))

log, lock, stop, errors = [], threading.Lock(), threading.Event(), [0]
statuses = {}
def client():
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            c.request('GET', '/'); r = c.getresponse(); r.read()
            b = r.getheader('X-Backend')
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status != 200: errors[0] += 1
        except Exception:
            errors[0] += 1; c = http.client.HTTPConnection('127.0.0.1', port, timeout=5); continue
        with lock: log.append((t0, b))
threads = [threading.Thread(target=client) for _ in range(4)]
for t in threads: t.start()
time.sleep(0.5)
times, fleet = [], 'blue'
for i in range(n):
    fleet = 'green' if fleet == 'blue' else 'blue'
    t_put = time.monotonic()
    call('PUT', '/admin/v1/entrypoints/bench.switch.local/split', split(i + 2, fleet))
    time.sleep(0.4)
    with lock: after = [(t, b) for t, b in log if t >= t_put]
    last_old = max([t for t, b in after if b != fleet], default=t_put)
    times.append((last_old - t_put) * 1000)
stop.set()
for t in threads: t.join()
print(json.dumps({'switches': n, 'median_ms': round(statistics.median(times), 2), 'max_ms': round(max(times), 2),
                  'errors': errors[0], 'requests': len(log), 'statuses': statuses}))
