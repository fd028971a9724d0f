// The router as a production edge (issue #18), through the real `ramp
// router` process (several io threads: the machine's cores): clients
// closed at their timeouts, max_connections refusing cleanly, 10,000 idle
// connections beside a normal request with small memory, a GiB each way
// with bounded memory, early answers and server-sent events streamed,
// WebSocket tunnels across a blue/green switch and drained at their bound,
// HTTPS with a throwaway CA (SNI, reload without dropping connections),
// and the hostile table on TLS and on streamed bodies.
#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "RouterFixture.h"
#include "TestPki.h"
#include "core/Home.h"

using namespace ramp;
using namespace ramp::router;
using namespace ramp::router::test;
using nlohmann::json;
using Clock_ = std::chrono::steady_clock;

namespace {

int backendCount(const Backend& b) {
  HttpConn c(b.port);
  auto r = c.get("/count");
  return r.status == 200 ? std::atoi(r.body.c_str()) : -1;
}

long msSince(Clock_::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock_::now() - t).count();
}

// Reads until the peer closes (or resets); returns what was read, or
// nullopt if still open after maxMs.
std::optional<std::string> readUntilClosed(HttpConn& c, int maxMs) {
  std::string got;
  auto start = Clock_::now();
  char buf[4096];
  while (msSince(start) < maxMs) {
    pollfd p{c.fd(), POLLIN, 0};
    if (!c.tls() && ::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = c.recvSome(buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      return got;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  return std::nullopt;
}

// A WebSocket client frame (masked, as clients must).
std::string wsClientFrame(unsigned char opcode, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  f.push_back(static_cast<char>(0x80 | payload.size()));
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

// Opens a WebSocket through the router; returns the 101's X-Backend (empty on failure).
std::string wsOpen(HttpConn& c) {
  auto r = c.exchange(
      "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  if (r.status != 101) return "";
  if (r.headers["sec-websocket-accept"] != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") return "";
  return r.headers["x-backend"];
}

// Sends a text frame and returns the text of the frame that comes back ("" on failure).
std::string wsEcho(HttpConn& c, const std::string& text) {
  std::string f = wsClientFrame(1, text);
  if (c.sendAll(f.data(), f.size()) < 0) return "";
  std::string& buf = c.pending();
  char tmp[4096];
  for (int i = 0; i < 200; ++i) {
    if (buf.size() >= 2) {
      size_t len = static_cast<unsigned char>(buf[1]) & 0x7f;
      if (buf.size() >= 2 + len) {
        std::string payload = buf.substr(2, len);
        buf.erase(0, 2 + len);
        return payload;
      }
    }
    ssize_t n = c.recvSome(tmp, sizeof tmp);
    if (n <= 0) return "";
    buf.append(tmp, static_cast<size_t>(n));
  }
  return "";
}

}  // namespace

TEST_F(RouterFixture, ClientsAreClosedAtTheirTimeouts) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.to.local");
  auto ep = call("PUT", "/admin/v1/entrypoints/svc.to.local",
                 json{{"limits", {{"idle_timeout_ms", 500}, {"head_timeout_ms", 500}, {"client_timeout_ms", 500},
                                  {"request_timeout_ms", 1500}}}});
  EXPECT_EQ(ep["limits"]["idle_timeout_ms"], 500);
  EXPECT_EQ(ep["limits"]["response_timeout_ms"], 60000);  // the others keep their defaults
  setSplit("svc.to.local", 1, json::array({fleet("blue", 100, {a})}));

  // Idle: a connection that sends nothing is closed after idle_timeout, silently.
  HttpConn idle(port);
  ASSERT_TRUE(idle.connect());
  auto t0 = Clock_::now();
  auto got = readUntilClosed(idle, 5000);
  ASSERT_TRUE(got.has_value()) << "an idle connection was never closed";
  EXPECT_EQ(*got, "");
  EXPECT_GE(msSince(t0), 450);
  // Also after a request (keep-alive idle).
  HttpConn ka(port);
  ASSERT_EQ(ka.get("/").status, 200);
  t0 = Clock_::now();
  ASSERT_TRUE(readUntilClosed(ka, 5000).has_value());
  EXPECT_GE(msSince(t0), 450);

  // Slow head: half a head, then nothing: 408 and closed.
  HttpConn slow(port);
  ASSERT_TRUE(slow.connect());
  std::string half = "GET / HTTP/1.1\r\nHost: t\r\n";
  ASSERT_GT(slow.sendAll(half.data(), half.size()), 0);
  t0 = Clock_::now();
  got = readUntilClosed(slow, 5000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->rfind("HTTP/1.1 408 ", 0), 0u) << *got;
  EXPECT_NE(got->find("request head not received within 500 ms"), std::string::npos) << *got;
  EXPECT_GE(msSince(t0), 450);

  // Slow body: the head and part of the body, then a stall: 408 and closed.
  HttpConn body(port);
  ASSERT_TRUE(body.connect());
  std::string part = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789";
  ASSERT_GT(body.sendAll(part.data(), part.size()), 0);
  got = readUntilClosed(body, 5000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->rfind("HTTP/1.1 408 ", 0), 0u) << *got;

  // A body trickling faster than client_timeout but slower than request_timeout: 408.
  HttpConn drip(port);
  ASSERT_TRUE(drip.connect());
  std::string head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n";
  ASSERT_GT(drip.sendAll(head.data(), head.size()), 0);
  t0 = Clock_::now();
  std::string answer;
  for (int i = 0; i < 60; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (drip.sendAll("x", 1) < 0) break;
    pollfd p{drip.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;
  }
  got = readUntilClosed(drip, 5000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->rfind("HTTP/1.1 408 ", 0), 0u) << *got;
  EXPECT_GE(msSince(t0), 1400);
  EXPECT_LT(msSince(t0), 6000);

  // A normal request is unaffected; the 408s counted as the fleet's 4xx.
  HttpConn ok(port);
  EXPECT_EQ(ok.get("/").status, 200);
  auto s = call("GET", "/admin/v1/entrypoints/svc.to.local/stats")["fleets"][0];
  EXPECT_EQ(s["status_4xx"], 2);  // the two body timeouts (the head timeout picked no fleet)
  EXPECT_EQ(s["upstream_errors"], 0);
  // Limits are checked: a bad one is 400 naming the field, nothing changes.
  auto bad = admin_->request("PUT", "/admin/v1/entrypoints/svc.to.local", R"({"limits":{"idle_timeout_ms":0}})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("limits.idle_timeout_ms"), std::string::npos) << bad->body;
  EXPECT_EQ(call("GET", "/admin/v1/entrypoints/svc.to.local")["limits"]["idle_timeout_ms"], 500);
}

// A keep-alive connection waits for its next request in three ways: with
// its input buffer, the request read by the reactor into it (back to back,
// and within idleRelease); parked after idleRelease (its pending read
// cancelled); and, past the per-worker bound on connections waiting with a
// buffer (Worker::takeIdleReader: with the pool's spares, 64), without one. Each serves the next
// request, and every request is counted once.
TEST_F(RouterFixture, KeepAliveConnectionsServeTheirNextRequestHoweverTheyWaited) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.ka.local");
  setSplit("svc.ka.local", 1, json::array({fleet("blue", 100, {a})}));
  HttpConn c(port);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.get("/").status, 200) << "back to back, request " << i;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(c.get("/").status, 200) << "after 300 ms (waiting with its buffer)";
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  ASSERT_EQ(c.get("/").status, 200) << "after 1.7 s (parked)";
  ASSERT_EQ(c.get("/").status, 200) << "right after waking";
  // More keep-alive connections than the bound, each idle after a request.
  const int n = 700;
  std::vector<std::unique_ptr<HttpConn>> many;
  for (int i = 0; i < n; ++i) {
    many.push_back(std::make_unique<HttpConn>(port));
    ASSERT_EQ(many.back()->get("/").status, 200) << "connection " << i;
  }
  for (int i = 0; i < n; ++i) ASSERT_EQ(many[i]->get("/").status, 200) << "connection " << i << ", second request";
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  for (int i = 0; i < n; i += 7) ASSERT_EQ(many[i]->get("/").status, 200) << "connection " << i << " after parking";
  auto s = call("GET", "/admin/v1/entrypoints/svc.ka.local/stats")["fleets"][0];
  EXPECT_EQ(s["requests"], 6 + 2 * n + n / 7);
  EXPECT_EQ(s["status_2xx"], 6 + 2 * n + n / 7);
}

// The attacks the limits exist for, each through the real process: a
// slowloris head (bytes keep coming, each well inside every other timeout),
// a head that never ends, and a backend that stops answering, before its
// response head and in the middle of its body.
TEST_F(RouterFixture, SlowlorisEndlessHeadsAndAStuckBackendMeetTheirLimits) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.atk.local");
  call("PUT", "/admin/v1/entrypoints/svc.atk.local",
       json{{"limits", {{"head_timeout_ms", 800}, {"response_timeout_ms", 800}}}});  // idle and client: 60 s
  setSplit("svc.atk.local", 1, json::array({fleet("blue", 100, {a})}));
  int before = backendCount(a);

  // Slowloris: a header byte every 50 ms, for at most 6 s. The head timeout
  // runs from the first byte, whatever arrives after it: 408 and closed.
  {
    HttpConn c(port);
    ASSERT_TRUE(c.connect());
    std::string start = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    ASSERT_GT(c.sendAll(start.data(), start.size()), 0);
    auto t0 = Clock_::now();
    bool answered = false;
    while (!answered && msSince(t0) < 6000) {
      pollfd p{c.fd(), POLLIN, 0};
      answered = ::poll(&p, 1, 50) > 0;
      if (!answered && c.sendAll("a", 1) < 0) break;
    }
    long took = msSince(t0);
    auto got = readUntilClosed(c, 3000);
    ASSERT_TRUE(got.has_value()) << "the slowloris connection was still open after " << took << " ms";
    EXPECT_EQ(got->rfind("HTTP/1.1 408 ", 0), 0u) << *got;
    EXPECT_NE(got->find("request head not received within 800 ms"), std::string::npos) << *got;
    EXPECT_GE(took, 700);
    EXPECT_LT(took, 5000);
  }

  // A head that never ends (header lines, 8 MiB at most): 400 once it is
  // past 64 KiB, closed; the router did not keep what it was sent.
  {
    HttpConn c(port);
    ASSERT_TRUE(c.connect());
    std::string start = "GET / HTTP/1.1\r\nHost: t\r\n";
    ASSERT_GT(c.sendAll(start.data(), start.size()), 0);
    std::string line = "X-Pad: " + std::string(100, 'p') + "\r\n";
    size_t sent = 0;
    bool answered = false;
    while (!answered && sent < (8u << 20)) {
      pollfd p{c.fd(), POLLIN, 0};
      answered = ::poll(&p, 1, 0) > 0;
      if (!answered) {
        if (c.sendAll(line.data(), line.size()) < 0) break;  // reset: the router closed
        sent += line.size();
      }
    }
    auto got = readUntilClosed(c, 5000);
    ASSERT_TRUE(got.has_value()) << "still open after " << sent << " bytes of head";
    EXPECT_EQ(got->rfind("HTTP/1.1 400 ", 0), 0u) << got->substr(0, 200);
    EXPECT_NE(got->find("request head larger than 65536 bytes"), std::string::npos) << got->substr(0, 200);
    EXPECT_LT(sent, 8u << 20) << "the router read 8 MiB of head without answering";
  }
  EXPECT_EQ(backendCount(a), before) << "an unfinished head reached the backend";

  // A backend silent before its response head: 504 at response_timeout,
  // counted as the fleet's upstream error, not retried.
  {
    HttpConn c(port);
    auto t0 = Clock_::now();
    auto r = c.get("/slow?ms=5000");
    long took = msSince(t0);
    EXPECT_EQ(r.status, 504);
    EXPECT_NE(r.body.find("timed out"), std::string::npos) << r.body;
    EXPECT_GE(took, 700);
    EXPECT_LT(took, 4500) << "the router waited for the stuck backend";
    auto st = call("GET", "/admin/v1/entrypoints/svc.atk.local/stats")["fleets"][0];
    EXPECT_EQ(st["upstream_errors"], 1);
    EXPECT_EQ(st["inflight"], 0);
  }

  // A backend that stalls in the middle of its body (one event, then 5 s of
  // nothing): the client connection is closed at response_timeout.
  {
    HttpConn c(port);
    ASSERT_TRUE(c.connect());
    std::string get = "GET /sse?n=2&ms=5000 HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_GT(c.sendAll(get.data(), get.size()), 0);
    auto t0 = Clock_::now();
    auto got = readUntilClosed(c, 4500);
    long took = msSince(t0);
    ASSERT_TRUE(got.has_value()) << "the stalled response was still open after 4.5 s";
    EXPECT_NE(got->find("data: event 0"), std::string::npos) << *got;
    EXPECT_EQ(got->find("data: event 1"), std::string::npos) << *got;
    EXPECT_GE(took, 700);
  }
  // The router itself is fine.
  HttpConn ok(port);
  EXPECT_EQ(ok.get("/").status, 200);
}

// All cores: the managed router runs an io thread per core (plus the admin
// thread), connections land on different threads (SO_REUSEPORT), and the
// weights stay exact over every 100 requests of the split across them,
// with the per-thread counters merged.
TEST_F(RouterFixture, WeightsAreExactAcrossIoThreads) {
  Backend a = startBackend("blue"), b = startBackend("green");
  int port = makeEntrypoint("svc.mt.local");
  setSplit("svc.mt.local", 1, json::array({fleet("blue", 70, {a}), fleet("green", 30, {b})}));
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t tasks = 0;
  for ([[maybe_unused]] auto& t : std::filesystem::directory_iterator("/proc/" + std::to_string(endpoint_.pid) + "/task"))
    ++tasks;
  EXPECT_GE(tasks, std::min<size_t>(cores, 64) + 1) << "io threads: one per core, plus the admin thread";
  // 8 clients at once, 50 requests each on their own connection: 400 requests, 4 whole rounds.
  std::atomic<int> blue{0}, green{0}, failed{0};
  std::vector<std::thread> clients;
  for (int k = 0; k < 8; ++k)
    clients.emplace_back([&] {
      HttpConn c(port);
      for (int i = 0; i < 50; ++i) {
        auto r = c.get("/");
        if (r.status != 200) ++failed;
        (r.headers["x-backend"] == "blue" ? blue : green)++;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(blue, 280);
  EXPECT_EQ(green, 120);
  auto st = call("GET", "/admin/v1/entrypoints/svc.mt.local/stats")["fleets"];
  std::map<std::string, int64_t> counted;
  for (const auto& f : st) counted[f["fleet"].get<std::string>()] = f["requests"].get<int64_t>();
  EXPECT_EQ(counted["blue"], 280);
  EXPECT_EQ(counted["green"], 120);
}

// The admin API's connections are bounded too: a request must arrive whole
// within 10 s of the wait's start (idle or trickled: closed), and at most
// 256 are open (more are closed at once); the API keeps answering.
TEST_F(RouterFixture, AdminConnectionsHaveATimeoutAndALimit) {
  int adminPort = std::stoi(endpoint_.adminAddress.substr(endpoint_.adminAddress.rfind(':') + 1));
  std::vector<std::unique_ptr<HttpConn>> idle;
  for (size_t i = 0; i < 255; ++i) {
    idle.push_back(std::make_unique<HttpConn>(adminPort));
    ASSERT_TRUE(idle.back()->connect()) << i;
  }
  auto t0 = Clock_::now();
  HttpConn slow(adminPort);  // the 256th
  ASSERT_TRUE(slow.connect());
  auto s0 = Clock_::now();
  // The 257th is closed at once (it may be accepted before the others are counted: allow a moment).
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) {
    HttpConn extra(adminPort);
    ASSERT_TRUE(extra.connect());
    auto got = readUntilClosed(extra, 1000);
    refused = got.has_value() && got->empty();
  }
  EXPECT_TRUE(refused) << "a 257th admin connection was kept open";
  // A trickled request (a byte every 200 ms) and the idle ones: closed at 10 s.
  std::string req = "GET /admin/v1/ping HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(200, 'a');
  bool closed = false;
  for (size_t i = 0; i < req.size() && !closed && msSince(s0) < 20000; ++i) {
    pollfd p{slow.fd(), POLLIN, 0};
    closed = ::poll(&p, 1, 200) > 0;
    if (!closed && slow.sendAll(&req[i], 1) < 0) closed = true;
  }
  long took = msSince(s0);
  EXPECT_TRUE(closed) << "the trickled admin request was never cut";
  EXPECT_GE(took, 9500);
  EXPECT_LT(took, 20000);
  // All idle ones closed by 15 s after they opened (one shared wait).
  int open = 0;
  for (auto& c : idle) open += !readUntilClosed(*c, static_cast<int>(std::max(100L, 15000 - msSince(t0)))).has_value();
  EXPECT_EQ(open, 0) << "idle admin connections stayed open";
  EXPECT_GE(msSince(t0), 9500);
  EXPECT_EQ(call("GET", "/admin/v1/ping")["pid"], endpoint_.pid);
}

// The remaining limits, each observed: max_request_body (413 by
// Content-Length at once, by chunked size when crossed, nothing past the
// cap forwarded), connect_timeout (an instance that never completes the
// handshake: 504 at the bound, not at the kernel's minutes), and
// tunnel_idle_timeout (an upgraded connection silent both ways: closed).
TEST_F(RouterFixture, BodyCapConnectTimeoutAndIdleTunnelsMeetTheirLimits) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.lim.local");
  call("PUT", "/admin/v1/entrypoints/svc.lim.local",
       json{{"limits", {{"max_request_body", 1000}, {"connect_timeout_ms", 500}, {"tunnel_idle_timeout_ms", 600}}}});
  setSplit("svc.lim.local", 1, json::array({fleet("blue", 100, {a})}));
  int before = backendCount(a);
  {
    HttpConn c(port);
    auto r = c.exchange("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
    EXPECT_EQ(r.status, 413);
    EXPECT_NE(r.body.find("larger than 1000 bytes"), std::string::npos) << r.body;
    EXPECT_TRUE(r.closed);
  }
  {
    HttpConn c(port);
    ASSERT_TRUE(c.connect());
    std::string head = "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string chunk = "190\r\n" + std::string(400, 'z') + "\r\n";  // 400 bytes each: the third crosses 1000
    ASSERT_GT(c.sendAll(head.data(), head.size()), 0);
    for (int i = 0; i < 3; ++i) (void)c.sendAll(chunk.data(), chunk.size());
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_TRUE(r.closed);
  }
  // What reached the backend is at most the part under the cap, never a whole request.
  EXPECT_LE(backendCount(a) - before, 1);
  HttpConn small(port);
  EXPECT_EQ(small.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'o'))
                .status,
            200);

  // A "backend" whose accept queue is full: the kernel drops further SYNs,
  // so a connect to it neither succeeds nor fails for minutes.
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof sa;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
  int blackholePort = ntohs(sa.sin_port);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {  // fill the queue (backlog 0 holds one or two)
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)::connect(f, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(f);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Backend hole;
  hole.port = blackholePort;
  setSplit("svc.lim.local", 2, json::array({fleet("hole", 100, {hole})}));
  {
    HttpConn c(port);
    auto t0 = Clock_::now();
    auto r = c.get("/");
    long took = msSince(t0);
    EXPECT_EQ(r.status, 504) << r.body;
    EXPECT_NE(r.body.find("timed out after 500 ms"), std::string::npos) << r.body;
    EXPECT_GE(took, 450);
    EXPECT_LT(took, 4000);
  }
  for (int f : fillers) ::close(f);
  ::close(lfd);

  // An idle tunnel is closed at tunnel_idle_timeout; a busy one is not.
  setSplit("svc.lim.local", 3, json::array({fleet("blue", 100, {a})}));
  HttpConn ws(port);
  ASSERT_EQ(wsOpen(ws), "blue");
  for (int i = 0; i < 4; ++i) {  // 4 x 300 ms of traffic: past the bound, kept
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(wsEcho(ws, "beat"), "blue:beat") << i;
  }
  auto t0 = Clock_::now();
  ASSERT_TRUE(readUntilClosed(ws, 5000).has_value()) << "an idle tunnel was never closed";
  EXPECT_GE(msSince(t0), 450);
}

TEST_F(RouterFixture, MaxConnectionsRefusesNewOnesCleanly) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.max.local");
  call("PUT", "/admin/v1/entrypoints/svc.max.local", json{{"limits", {{"max_connections", 3}}}});
  setSplit("svc.max.local", 1, json::array({fleet("blue", 100, {a})}));
  std::vector<std::unique_ptr<HttpConn>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<HttpConn>(port));
    ASSERT_EQ(open.back()->get("/").status, 200);
  }
  HttpConn extra(port);
  auto r = extra.get("/");
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.closed);
  EXPECT_NE(r.body.find("too many connections"), std::string::npos);
  for (auto& c : open) EXPECT_EQ(c->get("/").status, 200) << "accepted connections keep being served";
  open.pop_back();
  // The router notices the close when it reads the EOF: until then a new
  // connection is still one too many (refused, and counted).
  int status = 0, refused = 1;
  for (auto t0 = Clock_::now(); status != 200 && msSince(t0) < 5000;) {
    HttpConn again(port);
    status = again.get("/").status;
    if (status == 503) ++refused;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200) << "a closed connection's place was never given back";
  AdminClient metrics(endpoint_.adminAddress, "", Millis(3000));
  EXPECT_NE(metrics.request("GET", "/metrics")->body.find("ramp_router_refused_connections_total " +
                                                          std::to_string(refused) + "\n"),
            std::string::npos);
}

TEST_F(RouterFixture, TenThousandIdleConnectionsDoNotStopARequest) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.idle.local");
  setSplit("svc.idle.local", 1, json::array({fleet("blue", 100, {a})}));
  {
    HttpConn warm(port);  // pools, buffers and threads warmed before measuring
    for (int i = 0; i < 20; ++i) ASSERT_EQ(warm.get("/").status, 200);
  }
  long before = rssKiB(endpoint_.pid);
  const int n = 10000;
  std::vector<int> fds;
  fds.reserve(n);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0) << "socket " << i << ": " << std::strerror(errno);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  int64_t seen = 0;
  for (int i = 0; i < 500 && seen < n; ++i) {
    seen = call("GET", "/admin/v1/entrypoints/svc.idle.local")["connections"].get<int64_t>();
    if (seen < n) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, n);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // idle long enough to give buffers back
  long during = rssKiB(endpoint_.pid);
  HttpConn c(port);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(c.get("/").status, 200) << "a request beside 10,000 idle connections";
  double perConnection = (during - before) * 1024.0 / n;
  RecordProperty("router_rss_bytes_per_idle_connection", static_cast<int>(perConnection));
  std::cout << "router RSS " << before << " KiB -> " << during << " KiB with " << n << " idle connections: "
            << perConnection << " bytes each\n";
  // 50,000 idle connections must fit well under 200 MB: at most 2 KiB each.
  EXPECT_LT(perConnection, 2048.0);
  for (int fd : fds) ::close(fd);
}

TEST_F(RouterFixture, AGibibyteEachWayStreamsWithBoundedMemory) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.big.local");
  setSplit("svc.big.local", 1, json::array({fleet("blue", 100, {a})}));
  const uint64_t size = 1ull << 30;
  std::atomic<bool> done{false};
  std::atomic<long> peak{0};
  long base = rssKiB(endpoint_.pid);
  std::thread sampler([&] {
    while (!done) {
      long r = rssKiB(endpoint_.pid);
      if (r > peak) peak = r;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  // Upload: 1 GiB with Content-Length to /sink, which reads as it streams.
  HttpConn up(port);
  ASSERT_TRUE(up.connect());
  std::string head = "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
  ASSERT_GT(up.sendAll(head.data(), head.size()), 0);
  std::string block(1 << 20, '\0');
  uint32_t sum = 0;
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i % 253);
  for (size_t i = 0; i < block.size(); ++i) sum += static_cast<unsigned char>(block[i]);
  sum *= static_cast<uint32_t>(size / block.size());
  for (uint64_t sent = 0; sent < size; sent += block.size())
    ASSERT_EQ(up.sendAll(block.data(), block.size()), static_cast<ssize_t>(block.size())) << "at " << sent;
  auto r = up.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "bytes=" + std::to_string(size) + " sum=" + std::to_string(sum) + "\n");
  // Download: 1 GiB streamed back.
  HttpConn down(port);
  ASSERT_TRUE(down.connect());
  std::string get = "GET /bytes?n=" + std::to_string(size) + " HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_GT(down.sendAll(get.data(), get.size()), 0);
  std::string buf(1 << 20, '\0');
  std::string headText;
  uint64_t bodyBytes = 0;
  bool inBody = false, ordered = true;
  while (bodyBytes < size) {
    ssize_t n = down.recvSome(buf.data(), buf.size());
    ASSERT_GT(n, 0) << "download stopped at " << bodyBytes;
    size_t off = 0;
    if (!inBody) {
      headText.append(buf.data(), static_cast<size_t>(n));
      size_t end = headText.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      ASSERT_EQ(headText.rfind("HTTP/1.1 200", 0), 0u) << headText.substr(0, 100);
      inBody = true;
      std::string rest = headText.substr(end + 4);
      for (size_t i = 0; i < rest.size(); ++i)
        ordered = ordered && static_cast<unsigned char>(rest[i]) == (bodyBytes + i) % 251;
      bodyBytes += rest.size();
      continue;
    }
    for (size_t i = off; i < static_cast<size_t>(n); i += 4093)  // spot checks keep the client fast
      ordered = ordered && static_cast<unsigned char>(buf[i]) == (bodyBytes + i) % 251;
    bodyBytes += static_cast<uint64_t>(n);
  }
  EXPECT_EQ(bodyBytes, size);
  EXPECT_TRUE(ordered) << "bytes arrived changed or out of order";
  done = true;
  sampler.join();
  std::cout << "router RSS " << base << " KiB, peak " << peak << " KiB over 2 GiB streamed\n";
  EXPECT_LT(peak - base, 64 * 1024) << "the router buffered the bodies";
  auto s = call("GET", "/admin/v1/entrypoints/svc.big.local/stats")["fleets"][0];
  EXPECT_GT(s["bytes_out"].get<uint64_t>(), size);
}

TEST_F(RouterFixture, EarlyAnswersAndEventStreamsAreNotHeldBack) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.sse.local");
  setSplit("svc.sse.local", 1, json::array({fleet("blue", 100, {a})}));
  // The backend answers 413 before the body: relayed, upload stopped, closed.
  HttpConn early(port);
  ASSERT_TRUE(early.connect());
  std::string head = "POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n" + std::string(1000, 'x');
  ASSERT_GT(early.sendAll(head.data(), head.size()), 0);
  auto r = early.readResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["connection"], "close");
  // Server-sent events: the first event arrives while the backend still
  // holds the others back (1 s apart): nothing waits for the end.
  HttpConn sse(port);
  ASSERT_TRUE(sse.connect());
  std::string get = "GET /sse?n=3&ms=1000 HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_GT(sse.sendAll(get.data(), get.size()), 0);
  std::string got;
  char buf[4096];
  auto t0 = Clock_::now();
  while (got.find("data: event 0") == std::string::npos && msSince(t0) < 5000) {
    ssize_t n = sse.recvSome(buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("text/event-stream"), std::string::npos);
  EXPECT_NE(got.find("data: event 0"), std::string::npos);
  EXPECT_EQ(got.find("data: event 1"), std::string::npos) << "events were buffered";
  EXPECT_EQ(got.find("\r\n0\r\n\r\n"), std::string::npos);
  while (got.find("\r\n0\r\n\r\n") == std::string::npos && msSince(t0) < 8000) {
    ssize_t n = sse.recvSome(buf, sizeof buf);
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("data: event 2"), std::string::npos);
  // Chunked uploads stream too (64 MiB in 1 MiB chunks).
  HttpConn ch(port);
  ASSERT_TRUE(ch.connect());
  std::string h2 = "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_GT(ch.sendAll(h2.data(), h2.size()), 0);
  std::string chunk = "100000\r\n" + std::string(1 << 20, 'y') + "\r\n";
  for (int i = 0; i < 64; ++i) ASSERT_GT(ch.sendAll(chunk.data(), chunk.size()), 0);
  ASSERT_GT(ch.sendAll("0\r\n\r\n", 5), 0);
  r = ch.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("bytes=67108864", 0), 0u) << r.body;
}

TEST_F(RouterFixture, WebSocketsStayOnTheirFleetAcrossABlueGreenSwitch) {
  Backend blue = startBackend("blue"), green = startBackend("green");
  int port = makeEntrypoint("svc.ws.local");
  setSplit("svc.ws.local", 1, json::array({fleet("blue", 100, {blue}), fleet("green", 0, {green})}));
  HttpConn ws1(port);
  ASSERT_EQ(wsOpen(ws1), "blue");
  EXPECT_EQ(wsEcho(ws1, "hello"), "blue:hello");
  // The switch: new connections go to green, the open one stays on blue.
  setSplit("svc.ws.local", 2, json::array({fleet("blue", 0, {blue}), fleet("green", 100, {green})}));
  HttpConn ws2(port);
  ASSERT_EQ(wsOpen(ws2), "green");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(wsEcho(ws1, "m" + std::to_string(i)), "blue:m" + std::to_string(i));
    EXPECT_EQ(wsEcho(ws2, "m" + std::to_string(i)), "green:m" + std::to_string(i));
  }
  auto ep = call("GET", "/admin/v1/entrypoints/svc.ws.local");
  EXPECT_EQ(ep["fleets"][0]["tunnels"], 1);
  EXPECT_EQ(ep["fleets"][0]["inflight"], 0) << "an open tunnel does not hold a drain";
  EXPECT_EQ(ep["fleets"][1]["tunnels"], 1);
  // The close handshake: the backend echoes the close frame and ends its
  // side (passed on as a half-close), then the client closes: the tunnel
  // ends, counted.
  std::string bye = wsClientFrame(8, "");
  ASSERT_GT(ws1.sendAll(bye.data(), bye.size()), 0);
  ASSERT_TRUE(readUntilClosed(ws1, 5000).has_value());
  ws1.close();
  for (int i = 0; i < 100 && call("GET", "/admin/v1/entrypoints/svc.ws.local")["fleets"][0]["tunnels"] != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto st = call("GET", "/admin/v1/entrypoints/svc.ws.local/stats");
  EXPECT_EQ(st["fleets"][0]["tunnels"], 0);
  EXPECT_EQ(st["fleets"][0]["upgrades"], 1);
  EXPECT_EQ(st["fleets"][0]["status_1xx"], 1);
  // Draining has a bound: green's tunnel is closed by the router once green
  // has taken no traffic for upgrade_drain_timeout.
  call("PUT", "/admin/v1/entrypoints/svc.ws.local", json{{"limits", {{"upgrade_drain_timeout_ms", 600}}}});
  setSplit("svc.ws.local", 3, json::array({fleet("blue", 100, {blue}), fleet("green", 0, {green})}));
  HttpConn ws3(port);
  ASSERT_EQ(wsOpen(ws3), "blue");
  auto t0 = Clock_::now();
  ASSERT_TRUE(readUntilClosed(ws2, 5000).has_value()) << "the drained fleet's tunnel stayed open";
  EXPECT_GE(msSince(t0), 400);
  EXPECT_EQ(wsEcho(ws3, "still"), "blue:still");
  // A 101 nobody asked for is refused.
  HttpConn rogue(port);
  EXPECT_EQ(rogue.get("/rogue101").status, 502);
}

TEST_F(RouterFixture, HttpsWithAThrowawayCaSniReloadAndTheHostileTable) {
  Backend a = startBackend("blue");
  TestPki pki;
  auto dir = home_ / "tls";
  std::filesystem::create_directories(dir);
  pki.issue(dir, "main", {"localhost", "svc.example.test"});
  pki.issue(dir, "other", {"other.example.test"});
  int port = makeEntrypoint("svc.tls.local");
  // Bad files: 400 naming the field, nothing changes.
  auto bad = admin_->request("PUT", "/admin/v1/entrypoints/svc.tls.local",
                             json{{"tls", {{"certificates", {{{"cert_file", (dir / "main.crt").string()},
                                                             {"key_file", (dir / "other.key").string()}}}}}}}
                                 .dump());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("tls.certificates[0].key_file"), std::string::npos) << bad->body;
  auto ep = call("PUT", "/admin/v1/entrypoints/svc.tls.local",
                 json{{"tls", {{"certificates", {{{"cert_file", (dir / "main.crt").string()},
                                                  {"key_file", (dir / "main.key").string()}},
                                                 {{"cert_file", (dir / "other.crt").string()},
                                                  {"key_file", (dir / "other.key").string()}}}}}}});
  EXPECT_EQ(ep["url"], "https://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(ep["port"], port);
  setSplit("svc.tls.local", 1, json::array({fleet("blue", 100, {a})}));
  SSL_CTX* ctx = pki.clientContext();

  HttpConn c(port);
  ASSERT_TRUE(c.startTls(ctx, "localhost")) << "handshake or verification failed";
  long serial = c.peerSerial();
  for (int i = 0; i < 5; ++i) {
    auto r = c.get("/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["x-backend"], "blue");
  }
  auto echo = c.exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(echo.body, "hello");
  // SNI picks the certificate that names the host.
  HttpConn other(port);
  ASSERT_TRUE(other.startTls(ctx, "other.example.test"));
  EXPECT_EQ(other.get("/").status, 200);
  // Plain HTTP on the TLS port gets nothing served.
  HttpConn plain(port);
  EXPECT_EQ(plain.get("/").status, 0);
  // WebSocket over TLS.
  Backend ws = a;
  HttpConn wss(port);
  ASSERT_TRUE(wss.startTls(ctx, "localhost"));
  ASSERT_EQ(wsOpen(wss), "blue");
  EXPECT_EQ(wsEcho(wss, "secure"), "blue:secure");

  // The hostile table over TLS: 400, closed, nothing forwarded.
  int before = backendCount(a);
  for (const auto& req : hostileRequests()) {
    HttpConn h(port);
    ASSERT_TRUE(h.startTls(ctx, "localhost"));
    auto r = h.exchange(req);
    EXPECT_EQ(r.status, 400) << req.substr(0, 60);
    EXPECT_TRUE(r.closed) << req.substr(0, 60);
  }
  EXPECT_EQ(backendCount(a), before) << "a hostile request reached the backend over TLS";

  // Reload without dropping connections: new files, new handshakes see the
  // new certificate, the open connection keeps working.
  pki.issue(dir, "main", {"localhost", "svc.example.test"});
  long fresh = serial;
  for (int i = 0; i < 100 && fresh == serial; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    HttpConn n(port);
    if (n.startTls(ctx, "localhost")) fresh = n.peerSerial();
  }
  EXPECT_NE(fresh, serial) << "the new certificate was never served";
  EXPECT_EQ(c.get("/").status, 200) << "the reload dropped an open connection";
  SSL_CTX_free(ctx);
}

// TLS sessions resume (docs/router.md "TLS"): TLS 1.3 with one of the two
// tickets a full handshake gets, TLS 1.2 with a ticket and with a session
// id (OpenSSL's internal cache, shared by the io threads). The router
// prefers AES-128-GCM (cheaper key schedule than AES-256's SHA-384) and
// still serves clients that offer only one of the other two suites.
namespace {
std::vector<SSL_SESSION*> gTickets;  // sessions the client was given, owned

int keepTicket(SSL*, SSL_SESSION* s) {
  gTickets.push_back(s);
  return 1;  // ours now
}

// Closes a TLS client connection with a close_notify, or without one (as a
// browser closing an idle connection may); either way the client keeps its
// session resumable (OpenSSL marks an SSL freed unshut as not resumable).
void closeTls(HttpConn& c, bool notify) {
  if (!c.ssl()) return;  // closed already (the server closed first)
  if (notify) {
    SSL_shutdown(c.ssl());
  } else {
    SSL_set_shutdown(c.ssl(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  c.close();
}
}  // namespace

TEST_F(RouterFixture, TlsSessionsResumeAndTheSuiteIsAes128First) {
  Backend a = startBackend("blue");
  TestPki pki;
  auto dir = home_ / "tls";
  std::filesystem::create_directories(dir);
  pki.issue(dir, "main", {"localhost"});
  int port = makeEntrypoint("svc.res.local");
  call("PUT", "/admin/v1/entrypoints/svc.res.local",
       json{{"tls", {{"certificates", {{{"cert_file", (dir / "main.crt").string()},
                                        {"key_file", (dir / "main.key").string()}}}}}}});
  setSplit("svc.res.local", 1, json::array({fleet("blue", 100, {a})}));

  // TLS 1.3: a full handshake (the client offers AES-256 first, OpenSSL's
  // default), two tickets, then a resumed handshake with one of them.
  SSL_CTX* ctx = pki.clientContext();
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, keepTicket);
  {
    HttpConn c(port);
    ASSERT_TRUE(c.startTls(ctx, "localhost"));
    EXPECT_EQ(c.get("/").status, 200);  // reading the answer reads the tickets before it
    EXPECT_EQ(SSL_version(c.ssl()), TLS1_3_VERSION);
    EXPECT_STREQ(SSL_get_cipher_name(c.ssl()), "TLS_AES_128_GCM_SHA256");
    EXPECT_FALSE(SSL_session_reused(c.ssl()));
    closeTls(c, false);
  }
  ASSERT_EQ(gTickets.size(), 2u) << "TLS 1.3 tickets after a full handshake";
  for (SSL_SESSION* t : {gTickets[0], gTickets[1]}) {
    HttpConn r(port);
    ASSERT_TRUE(r.startTls(ctx, "localhost", t));
    EXPECT_EQ(r.get("/").status, 200);
    EXPECT_TRUE(SSL_session_reused(r.ssl())) << "a TLS 1.3 ticket did not resume";
    closeTls(r, t == gTickets[0]);
  }

  // TLS 1.2, with a ticket and with a session id (the client refuses
  // tickets: the router's session cache). The first connection ends
  // without a close_notify from the client, after the router closed a
  // Connection: close exchange, or with the client's close_notify.
  for (bool tickets : {true, false}) {
    SSL_CTX* ctx12 = pki.clientContext();
    SSL_CTX_set_max_proto_version(ctx12, TLS1_2_VERSION);
    if (!tickets) SSL_CTX_set_options(ctx12, SSL_OP_NO_TICKET);
    SSL_SESSION* session = nullptr;
    {
      HttpConn c(port);
      ASSERT_TRUE(c.startTls(ctx12, "localhost"));
      EXPECT_EQ(c.get("/").status, 200);
      EXPECT_EQ(SSL_version(c.ssl()), TLS1_2_VERSION);
      session = SSL_get1_session(c.ssl());
      closeTls(c, false);
    }
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(SSL_SESSION_has_ticket(session), tickets ? 1 : 0);
    // Several connections (the io threads share the session cache), each
    // ending another way.
    for (int i = 0; i < 6; ++i) {
      // A copy each time: HttpConn frees a connection the server closed
      // unshut, which marks the client's own session not resumable.
      std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)> copy(SSL_SESSION_dup(session), SSL_SESSION_free);
      HttpConn r(port);
      ASSERT_TRUE(r.startTls(ctx12, "localhost", copy.get()));
      EXPECT_TRUE(SSL_session_reused(r.ssl())) << "TLS 1.2 resumption, tickets " << tickets << ", connection " << i;
      if (i % 3 == 2) {
        auto a = r.exchange("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(a.status, 200);
        EXPECT_TRUE(a.closed);
      } else {
        EXPECT_EQ(r.get("/").status, 200);
      }
      closeTls(r, i % 3 == 1);
    }
    SSL_SESSION_free(session);
    SSL_CTX_free(ctx12);
  }

  // A client that offers only AES-256-GCM, or only ChaCha20, is served with it.
  for (const char* suite : {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    SSL_CTX* only = pki.clientContext();
    SSL_CTX_set_ciphersuites(only, suite);
    HttpConn c(port);
    ASSERT_TRUE(c.startTls(only, "localhost")) << suite;
    EXPECT_EQ(c.get("/").status, 200);
    EXPECT_STREQ(SSL_get_cipher_name(c.ssl()), suite);
    c.close();
    SSL_CTX_free(only);
  }
  for (SSL_SESSION* t : gTickets) SSL_SESSION_free(t);
  gTickets.clear();
  SSL_CTX_free(ctx);
}

TEST_F(RouterFixture, StreamedBodiesKeepTheParsersGuarantees) {
  Backend a = startBackend("blue");
  int port = makeEntrypoint("svc.sb.local");
  setSplit("svc.sb.local", 1, json::array({fleet("blue", 100, {a})}));
  // A chunked body that goes bad after its first chunk has streamed
  // upstream: 400 to the client, and the backend never gets a whole request.
  HttpConn c(port);
  ASSERT_TRUE(c.connect());
  std::string head = "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
  ASSERT_GT(c.sendAll(head.data(), head.size()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string bad = "zz\r\nsmuggled\r\n0\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_GT(c.sendAll(bad.data(), bad.size()), 0);
  auto r = c.readResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.closed);
  // An upgrade the backend declines stays HTTP: what follows is parsed strictly.
  HttpConn u(port);
  auto declined = u.exchange("GET / HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  EXPECT_EQ(declined.status, 200);
  auto junk = u.exchange(wsClientFrame(1, "not http"));
  EXPECT_EQ(junk.status, 400);
  // Upgrade on HTTP/1.0 is not an upgrade.
  HttpConn old(port);
  EXPECT_EQ(old.exchange("GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                .status,
            400);  // the backend sees no Upgrade field
}
