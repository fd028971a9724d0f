#!/usr/bin/env python3
"""idle_conns.py PORT N [SOURCE_IP] [--request] — opens N idle TCP connections
to 127.0.0.1:PORT from SOURCE_IP (default 127.0.0.2; the bench gives each
process its own loopback address, so ephemeral ports never run out, and runs
several processes, each with its own open-files limit), prints "ready K"
(K = connections open), and holds them until killed.

--request: each connection first sends one keep-alive GET and reads its whole
answer (a keep-alive connection idle after a request); without it the
connections send nothing (idle from the start)."""
import signal, socket, sys, time

args = [a for a in sys.argv[1:] if not a.startswith('--')]
port, n = int(args[0]), int(args[1])
src = args[2] if len(args) > 2 else "127.0.0.2"
request = '--request' in sys.argv
req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def one_answer(s):
    """Reads one response with a Content-Length body (the bench backend's)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed before the head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("answered " + head.split(b"\r\n")[0].decode(errors="replace"))
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed in the body")
        body += chunk


socks = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect
    s.bind((src, 0))
    try:
        s.connect(("127.0.0.1", port))
        if request:
            s.sendall(req)
            one_answer(s)
    except OSError as e:
        print(f"connection {i}: {e}", file=sys.stderr)
        s.close()
        break
    socks.append(s)
print(f"ready {len(socks)}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
