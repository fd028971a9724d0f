"""A fault-injecting HTTP(S) proxy on loopback in front of moto.

    fault_proxy.py --upstream http://127.0.0.1:PORT --state DIR
                   [--throttle N] [--error N] [--drop N] [--cert PEM --key PEM]

Listens on 127.0.0.1:0 (a free port, written to DIR/proxy.port once it
accepts connections) and forwards every request to the upstream (moto),
except on a schedule counted over the AWS requests it receives (the k-th
request, k = 1, 2, ...; /moto-api/ and /__proxy/ paths are not counted):

  k % throttle == 0   answered 400 with the AWS throttling error of the
                      request's protocol (EC2: RequestLimitExceeded in
                      <Response><Errors>; Query: Throttling in
                      <ErrorResponse>), never forwarded
  k % error == 0      answered 500 InternalError, never forwarded
  k % drop == 0       FORWARDED (moto performs it), then the connection is
                      closed without an answer: the client cannot know the
                      call happened and must retry it idempotently

(the first matching rule wins; 0 disables a rule). The proxy speaks
HTTP/1.1 keep-alive to its clients even though moto closes every
connection, so connection reuse by the client is observable: with --cert
and --key it serves TLS (for the client's CA verification and reuse test).

With --log FILE every counted request is appended to FILE as one JSON line
{k, method, path, body} before it is forwarded (what reached the service,
in order). GET /__proxy/stats answers JSON {requests, throttled, errors, dropped,
forwarded, connections, actions: {Action: count}}; the same is written to
DIR/proxy.stats.json after every request. Every loop is bounded: the
upstream call has a 30 s timeout, and the server stops on SIGTERM.
"""
import argparse
import http.client
import http.server
import json
import os
import re
import signal
import socketserver
import ssl
import sys
import threading
import urllib.parse

LOCK = threading.Lock()
STATS = {"requests": 0, "throttled": 0, "errors": 0, "dropped": 0, "forwarded": 0, "connections": 0,
         "actions": {}}


def action_of(path, body):
    """The AWS action (Query/EC2 form field, or the JSON target header)."""
    query = urllib.parse.urlsplit(path).query
    for source in (query, body.decode("utf-8", "replace")):
        m = re.search(r"(?:^|&)Action=([A-Za-z0-9]+)", source)
        if m:
            return m.group(1)
    return ""


def error_body(service, code, message):
    if service == "ec2":
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>%s</Code>"
                "<Message>%s</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
                % (code, message)).encode()
    return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>fault-proxy</RequestId></ErrorResponse>" % (code, message)).encode()


def service_of(headers):
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", headers.get("Authorization", ""))
    return m.group(1) if m else ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ramp-fault-proxy"

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _answer(self, status, body, headers=None, close=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, method, body):
        up = urllib.parse.urlsplit(self.server.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(method, self.path, body=body if body or method in ("POST", "PUT") else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out = {k: v for k, v in resp.getheaders()
               if k.lower() not in ("connection", "content-length", "transfer-encoding", "keep-alive", "server",
                                    "date")}
        conn.close()
        return resp.status, data, out

    def _write_stats(self):
        with open(os.path.join(self.server.state, "proxy.stats.json.tmp"), "w") as f:
            json.dump(STATS, f)
        os.replace(os.path.join(self.server.state, "proxy.stats.json.tmp"),
                   os.path.join(self.server.state, "proxy.stats.json"))

    def _handle(self, method):
        body = self._body()
        if self.path.startswith("/__proxy/stats"):
            with LOCK:
                data = json.dumps(STATS).encode()
            self._answer(200, data, {"Content-Type": "application/json"})
            return
        counted = not self.path.startswith("/moto-api/")
        rule = ""
        if counted:
            with LOCK:
                STATS["requests"] += 1
                k = STATS["requests"]
                a = action_of(self.path, body) or method + " " + urllib.parse.urlsplit(self.path).path
                if self.server.log:
                    with open(self.server.log, "a") as f:
                        f.write(json.dumps({"k": k, "method": method, "path": self.path,
                                            "body": body.decode("utf-8", "replace")}) + "\n")
                STATS["actions"][a] = STATS["actions"].get(a, 0) + 1
                s = self.server.schedule
                if s["throttle"] and k % s["throttle"] == 0:
                    rule = "throttle"
                    STATS["throttled"] += 1
                elif s["error"] and k % s["error"] == 0:
                    rule = "error"
                    STATS["errors"] += 1
                elif s["drop"] and k % s["drop"] == 0:
                    rule = "drop"
                    STATS["dropped"] += 1
                else:
                    STATS["forwarded"] += 1
        svc = service_of(self.headers)
        try:
            if rule == "throttle":
                code = "RequestLimitExceeded" if svc == "ec2" else "Throttling"
                self._answer(503 if svc == "ec2" else 400, error_body(svc, code, "Rate exceeded (fault proxy)"),
                             {"Content-Type": "text/xml"})
            elif rule == "error":
                self._answer(500, error_body(svc, "InternalError", "internal error (fault proxy)"),
                             {"Content-Type": "text/xml"})
            else:
                try:
                    status, data, headers = self._forward(method, body)
                except (OSError, http.client.HTTPException) as e:
                    self._answer(502, ("upstream: %s" % e).encode(), close=True)
                    return
                if rule == "drop":
                    # Performed upstream; the client never hears of it.
                    self.close_connection = True
                    try:
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                self._answer(status, data, headers)
        finally:
            if counted:
                with LOCK:
                    self._write_stats()

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_HEAD(self):
        self._handle("HEAD")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--throttle", type=int, default=0)
    p.add_argument("--error", type=int, default=0)
    p.add_argument("--drop", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log")
    a = p.parse_args()
    os.makedirs(a.state, exist_ok=True)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream = a.upstream
    srv.state = a.state
    srv.log = a.log
    srv.schedule = {"throttle": a.throttle, "error": a.error, "drop": a.drop}
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown, daemon=True).start())
    port = srv.server_address[1]
    with open(os.path.join(a.state, "proxy.port.tmp"), "w") as f:
        f.write(str(port))
    os.replace(os.path.join(a.state, "proxy.port.tmp"), os.path.join(a.state, "proxy.port"))
    print("fault proxy on 127.0.0.1:%d -> %s" % (port, a.upstream), file=sys.stderr, flush=True)
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
