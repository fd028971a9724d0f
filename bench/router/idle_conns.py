#!/usr/bin/env python3
"""idle_conns.py PORT N — opens N idle TCP connections to 127.0.0.1:PORT
(from several loopback source addresses, so ephemeral ports never run out),
prints "ready K" (K = connections open), and holds them until killed."""
import signal, socket, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i // 20000}", 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError as e:
        print(f"connect {i}: {e}", file=sys.stderr)
        break
    socks.append(s)
print(f"ready {len(socks)}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
