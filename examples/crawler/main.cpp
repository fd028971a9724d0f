// crawler — ramp's example service: a small single-threaded HTTP/1.1 server
// (Boost.Beast) whose behaviour can be made worse on purpose, so that demos
// and tests can show canary analysis and rollbacks.
//
// Endpoints (every response carries X-Ramp-Version and X-Ramp-Instance):
//   GET  /healthz        200 "ok\n" (503 with --fail-health); never slowed, never failed
//   GET  /version        200, body = $RAMP_RELEASE_VERSION + "\n"
//   GET  /               200, a short text
//   GET  /crawl?url=U    fetches U when its host is 127.0.0.1, localhost or [::1]
//                        (http only); 200 {"url","status","bytes"}; 403 for any
//                        other host; 400 for a bad URL; 502 if the fetch fails
//   POST /crawl          same, the URL is the body ("url=<percent-encoded>" or raw)
//   POST /echo           200, echoes the body (for non-idempotent request tests)
//   GET  /metrics        Prometheus text: the crawler's own (business) metrics,
//                        crawler_pages_total, crawler_parse_failures_total,
//                        crawler_fetch_duration_seconds (histogram); never
//                        slowed, never failed
// /crawl "parses" each page it fetched (counts its links): the answer
// carries "links" and "parsed"; a page it fails to parse is still a 200
// ("parsed": false) — only crawler_parse_failures_total shows it.
//
// Knobs (flag, environment variable, or a line KEY=VALUE in crawler.env at
// the root of the release — build.sh writes it from the CRAWLER_* variables
// set at build time, so a knob can be carried in a release; flags win over
// the environment, which wins over crawler.env):
//   --error-rate F       CRAWLER_ERROR_RATE      fraction [0,1] of requests (not /healthz) answered 500
//   --latency-ms N       CRAWLER_LATENCY_MS      service time added to each request (not /healthz)
//   --latency-factor F   CRAWLER_LATENCY_FACTOR  multiplies the service time (1.5 = +50%)
//   --parse-failure-rate F CRAWLER_PARSE_FAILURE_RATE fraction [0,1] of fetched pages whose parse fails
//   --fail-health        CRAWLER_FAIL_HEALTH=1   /healthz answers 503
//   --crash-after S      CRAWLER_CRASH_AFTER     exit(1) S seconds after start
//   --seed N             CRAWLER_SEED            seed of the error-rate draw (default: random)
//   --quiet              CRAWLER_QUIET=1         no per-request log lines
//   --drain-ms N         CRAWLER_DRAIN_MS        bound on finishing in-flight requests at SIGTERM (10000)
//   --listen HOST[:PORT] / --port N / $PORT      default 127.0.0.1, port $PORT or 0 (any free port)
//
// On start it prints "crawler listening on HOST:PORT version=V instance=I".
// SIGTERM/SIGINT: stop accepting, close idle connections, finish in-flight
// requests (bounded by --drain-ms), exit 0. Service time is an asio timer:
// one slow request never blocks the others.
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unistd.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- knobs

struct Knobs {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  double errorRate = 0.0;
  double parseFailureRate = 0.0;
  double latencyMs = 0.0;
  double latencyFactor = 1.0;
  bool failHealth = false;
  double crashAfterS = 0.0;  // 0 = never
  std::optional<uint64_t> seed;
  bool quiet = false;
  long drainMs = 10000;
  std::string version = "unknown";
  std::string instance;
};

[[noreturn]] void usageError(const std::string& msg) {
  std::cerr << "crawler: " << msg << "\n"
            << "usage: crawler [--listen HOST[:PORT]] [--port N] [--error-rate F] [--parse-failure-rate F]\n"
            << "               [--latency-ms N]\n"
            << "               [--latency-factor F] [--fail-health] [--crash-after S] [--seed N]\n"
            << "               [--quiet] [--drain-ms N]\n";
  std::exit(2);
}

double parseNumber(const std::string& where, const std::string& text, double lo, double hi) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !(v >= lo && v <= hi)) throw std::invalid_argument("range");
    return v;
  } catch (const std::exception&) {
    usageError(where + ": expected a number in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "], got \"" + text + "\"");
  }
}

bool parseBool(const std::string& where, const std::string& text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
  usageError(where + ": expected 1/0/true/false, got \"" + text + "\"");
}

void parseListen(const std::string& where, const std::string& text, Knobs& k) {
  std::string host = text;
  std::string port;
  if (!text.empty() && text[0] == '[') {  // [::1]:8080
    auto close = text.find(']');
    if (close == std::string::npos) usageError(where + ": bad address \"" + text + "\"");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') usageError(where + ": bad address \"" + text + "\"");
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos &&
                                           text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) usageError(where + ": empty host in \"" + text + "\"");
  k.host = host;
  if (!port.empty()) k.port = static_cast<unsigned>(parseNumber(where, port, 0, 65535));
}

Knobs parseKnobs(int argc, char** argv) {
  Knobs k;
  auto direct = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  if (auto v = direct("RAMP_RELEASE_VERSION"); v && !v->empty()) k.version = *v;
  k.instance = direct("RAMP_INSTANCE_ID").value_or("");
  if (k.instance.empty()) k.instance = "crawler-" + std::to_string(::getpid());
  // Knobs carried in the release: <release>/crawler.env (written by
  // build.sh from the CRAWLER_* variables set at build time), one KEY=VALUE
  // per line, read before the environment (which wins) and the flags (which
  // win over both).
  std::map<std::string, std::string> baked;
  {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = '\0';
      std::string dir(self);
      dir = dir.substr(0, dir.rfind('/'));                          // .../bin
      std::ifstream in(dir.substr(0, dir.rfind('/')) + "/crawler.env");  // the release root
      std::string line;
      while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        baked[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
  }
  auto env = [&baked, &direct](const char* name) -> std::optional<std::string> {
    if (auto v = direct(name)) return v;
    if (auto it = baked.find(name); it != baked.end()) return it->second;
    return std::nullopt;
  };
  if (auto v = env("PORT"); v && !v->empty()) k.port = static_cast<unsigned>(parseNumber("$PORT", *v, 0, 65535));
  if (auto v = env("CRAWLER_LISTEN"); v && !v->empty()) parseListen("$CRAWLER_LISTEN", *v, k);
  if (auto v = env("CRAWLER_ERROR_RATE")) k.errorRate = parseNumber("$CRAWLER_ERROR_RATE", *v, 0, 1);
  if (auto v = env("CRAWLER_PARSE_FAILURE_RATE"))
    k.parseFailureRate = parseNumber("$CRAWLER_PARSE_FAILURE_RATE", *v, 0, 1);
  if (auto v = env("CRAWLER_LATENCY_MS")) k.latencyMs = parseNumber("$CRAWLER_LATENCY_MS", *v, 0, 600000);
  if (auto v = env("CRAWLER_LATENCY_FACTOR")) k.latencyFactor = parseNumber("$CRAWLER_LATENCY_FACTOR", *v, 0, 1000);
  if (auto v = env("CRAWLER_FAIL_HEALTH")) k.failHealth = parseBool("$CRAWLER_FAIL_HEALTH", *v);
  if (auto v = env("CRAWLER_CRASH_AFTER")) k.crashAfterS = parseNumber("$CRAWLER_CRASH_AFTER", *v, 0, 1e7);
  if (auto v = env("CRAWLER_SEED")) k.seed = static_cast<uint64_t>(parseNumber("$CRAWLER_SEED", *v, 0, 1e18));
  if (auto v = env("CRAWLER_QUIET")) k.quiet = parseBool("$CRAWLER_QUIET", *v);
  if (auto v = env("CRAWLER_DRAIN_MS")) k.drainMs = static_cast<long>(parseNumber("$CRAWLER_DRAIN_MS", *v, 0, 3600000));

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool inlineValue = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      inlineValue = true;
    }
    auto next = [&]() -> std::string {
      if (inlineValue) return value;
      if (i + 1 >= argc) usageError(a + ": missing value");
      return argv[++i];
    };
    if (a == "--listen") parseListen(a, next(), k);
    else if (a == "--port") k.port = static_cast<unsigned>(parseNumber(a, next(), 0, 65535));
    else if (a == "--error-rate") k.errorRate = parseNumber(a, next(), 0, 1);
    else if (a == "--parse-failure-rate") k.parseFailureRate = parseNumber(a, next(), 0, 1);
    else if (a == "--latency-ms") k.latencyMs = parseNumber(a, next(), 0, 600000);
    else if (a == "--latency-factor") k.latencyFactor = parseNumber(a, next(), 0, 1000);
    else if (a == "--fail-health") k.failHealth = inlineValue ? parseBool(a, value) : true;
    else if (a == "--crash-after") k.crashAfterS = parseNumber(a, next(), 0, 1e7);
    else if (a == "--seed") k.seed = static_cast<uint64_t>(parseNumber(a, next(), 0, 1e18));
    else if (a == "--quiet") k.quiet = inlineValue ? parseBool(a, value) : true;
    else if (a == "--drain-ms") k.drainMs = static_cast<long>(parseNumber(a, next(), 0, 3600000));
    else if (a == "--help" || a == "-h") {
      std::cout << "crawler — ramp's example service; see README.md for endpoints and knobs\n";
      std::exit(0);
    } else usageError("unknown argument \"" + a + "\"");
  }
  return k;
}

// ---------------------------------------------------------------- helpers

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of `name` in a query string, decoded.
std::optional<std::string> queryParam(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

struct Url {
  std::string host;   // as connected to: 127.0.0.1 or ::1
  std::string hostHeader;
  unsigned short port = 80;
  std::string target = "/";
};

// Parses http://HOST[:PORT][/path]. Sets `error` (and the HTTP status to
// answer) when the URL is bad or not on loopback.
std::optional<Url> parseLoopbackUrl(const std::string& url, http::status& status, std::string& error) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    status = http::status::bad_request;
    error = "only http:// URLs can be crawled";
    return std::nullopt;
  }
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  Url u;
  if (slash != std::string::npos) {
    u.target = rest.substr(slash);
    if (u.target[0] != '/') u.target = "/" + u.target;
    if (auto hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  }
  if (authority.find('@') != std::string::npos) {
    status = http::status::bad_request;
    error = "URLs with user information are not crawled";
    return std::nullopt;
  }
  std::string host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      status = http::status::bad_request;
      error = "bad URL host";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        status = http::status::bad_request;
        error = "bad URL host";
        return std::nullopt;
      }
      port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
      status = http::status::bad_request;
      error = "bad URL port";
      return std::nullopt;
    }
    u.port = static_cast<unsigned short>(std::stoul(port));
  }
  std::string lower;
  for (char c : host) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "127.0.0.1" || lower == "localhost") {
    u.host = "127.0.0.1";
  } else if (lower == "::1") {
    u.host = "::1";
  } else {
    status = http::status::forbidden;
    error = "only loopback hosts (127.0.0.1, localhost, [::1]) may be crawled";
    return std::nullopt;
  }
  u.hostHeader = authority;
  return u;
}

// ---------------------------------------------------------------- server

class Session;

struct App {
  explicit App(asio::io_context& io, Knobs k)
      : io(io), knobs(std::move(k)), acceptor(io), signals(io, SIGTERM, SIGINT),
        drainTimer(io), crashTimer(io),
        rng(knobs.seed ? *knobs.seed : std::random_device{}()) {}

  asio::io_context& io;
  Knobs knobs;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer drainTimer;
  asio::steady_timer crashTimer;
  std::mt19937_64 rng;
  std::set<Session*> sessions;
  bool draining = false;
  uint64_t served = 0;

  // The crawler's own metrics (GET /metrics).
  static constexpr double kFetchBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  uint64_t pages = 0, parseFailures = 0;
  uint64_t fetchCounts[std::size(kFetchBuckets) + 1] = {};  // per bucket, +Inf last
  double fetchSeconds = 0;

  bool injectError() {
    if (knobs.errorRate <= 0) return false;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < knobs.errorRate;
  }
  bool parseFails() {
    if (knobs.parseFailureRate <= 0) return false;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < knobs.parseFailureRate;
  }
  void recordFetch(double seconds) {
    size_t i = 0;
    while (i < std::size(kFetchBuckets) && seconds > kFetchBuckets[i]) ++i;
    ++fetchCounts[i];
    fetchSeconds += seconds;
  }
  std::string metricsText() const {
    std::string out =
        "# HELP crawler_pages_total Pages fetched and parsed by /crawl.\n"
        "# TYPE crawler_pages_total counter\n"
        "crawler_pages_total " + std::to_string(pages) + "\n"
        "# HELP crawler_parse_failures_total Fetched pages the crawler could not parse (answered 200 all the same).\n"
        "# TYPE crawler_parse_failures_total counter\n"
        "crawler_parse_failures_total " + std::to_string(parseFailures) + "\n"
        "# HELP crawler_fetch_duration_seconds Time to fetch a page for /crawl.\n"
        "# TYPE crawler_fetch_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= std::size(kFetchBuckets); ++i) {
      cumulative += fetchCounts[i];
      char le[32];
      if (i < std::size(kFetchBuckets)) std::snprintf(le, sizeof le, "%g", kFetchBuckets[i]);
      else std::snprintf(le, sizeof le, "+Inf");
      out += "crawler_fetch_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " + std::to_string(cumulative) + "\n";
    }
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.6f", fetchSeconds);
    out += "crawler_fetch_duration_seconds_sum " + std::string(sum) + "\n";
    out += "crawler_fetch_duration_seconds_count " + std::to_string(cumulative) + "\n";
    return out;
  }
  std::chrono::microseconds serviceTime() const {
    return std::chrono::microseconds(
        static_cast<int64_t>(knobs.latencyMs * knobs.latencyFactor * 1000.0));
  }
  void accept();
  void shutdown();
  void sessionGone(Session* s);
  void finish();
};

// One client connection: read a request, answer it (after the service
// time), repeat while keep-alive and not draining.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(App& app, tcp::socket socket)
      : app_(app), stream_(std::move(socket)), delay_(app.io) {
    app_.sessions.insert(this);
  }
  ~Session() { app_.sessionGone(this); }

  void start() { read(); }
  bool busy() const { return busy_; }
  void closeIdle() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void read() {
    busy_ = false;
    if (app_.draining) return close();
    req_ = {};
    parser_.emplace();
    parser_->body_limit(1 << 20);
    stream_.expires_after(std::chrono::seconds(60));  // idle keep-alive bound
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::body_limit) {
        busy_ = true;
        started_ = Clock::now();
        keepAlive_ = false;
        return send(text(http::status::payload_too_large, "request body too large\n"));
      }
      return close();
    }
    busy_ = true;
    started_ = Clock::now();
    req_ = parser_->release();
    keepAlive_ = req_.keep_alive();
    handle();
  }

  http::response<http::string_body> text(http::status s, std::string body,
                                         const char* type = "text/plain") {
    http::response<http::string_body> r{s, req_.version()};
    r.set(http::field::content_type, type);
    r.body() = std::move(body);
    return r;
  }
  http::response<http::string_body> json(http::status s, std::string body) {
    return text(s, std::move(body) + "\n", "application/json");
  }

  void handle() {
    std::string_view target(req_.target().data(), req_.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    const auto method = req_.method();
    if (path == "/healthz") {
      if (method != http::verb::get && method != http::verb::head) return send(methodNotAllowed());
      if (app_.knobs.failHealth) return send(text(http::status::service_unavailable, "failing (--fail-health)\n"));
      return send(text(http::status::ok, "ok\n"));
    }
    if (path == "/metrics") {
      if (method != http::verb::get && method != http::verb::head) return send(methodNotAllowed());
      return send(text(http::status::ok, app_.metricsText(), "text/plain; version=0.0.4"));
    }
    // Everything else pays the service time and may be an injected error.
    if (app_.injectError()) {
      return later(json(http::status::internal_server_error, "{\"error\":\"injected error (--error-rate)\"}"));
    }
    if (path == "/version") {
      if (method != http::verb::get && method != http::verb::head) return later(methodNotAllowed());
      return later(text(http::status::ok, app_.knobs.version + "\n"));
    }
    if (path == "/") {
      if (method != http::verb::get && method != http::verb::head) return later(methodNotAllowed());
      return later(text(http::status::ok, "crawler " + app_.knobs.version +
                                               ": ramp's example service. Try /healthz, /version, "
                                               "/crawl?url=http://127.0.0.1:PORT/\n"));
    }
    if (path == "/echo") {
      if (method != http::verb::post) return later(methodNotAllowed());
      auto r = text(http::status::ok, req_.body());
      if (auto ct = req_.find(http::field::content_type); ct != req_.end()) {
        r.set(http::field::content_type, ct->value());
      }
      return later(std::move(r));
    }
    if (path == "/crawl") {
      std::optional<std::string> url;
      if (method == http::verb::get) {
        url = queryParam(target, "url");
      } else if (method == http::verb::post) {
        const std::string& b = req_.body();
        if (b.rfind("url=", 0) == 0) {
          url = percentDecode(std::string_view(b).substr(4));
        } else {
          std::string t = b;
          while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
          url = t;
        }
      } else {
        return later(methodNotAllowed());
      }
      if (!url || url->empty()) {
        return later(json(http::status::bad_request, "{\"error\":\"missing url (GET /crawl?url=... or POST a URL)\"}"));
      }
      http::status status = http::status::ok;
      std::string error;
      auto parsed = parseLoopbackUrl(*url, status, error);
      if (!parsed) {
        return later(json(status, "{\"error\":" + jsonString(error) + ",\"url\":" + jsonString(*url) + "}"));
      }
      return fetch(*url, *parsed);
    }
    return later(json(http::status::not_found, "{\"error\":\"no such endpoint\",\"path\":" + jsonString(path) + "}"));
  }

  http::response<http::string_body> methodNotAllowed() {
    return json(http::status::method_not_allowed, "{\"error\":\"method not allowed\"}");
  }

  // Fetches a loopback URL asynchronously (5 s bound), then answers.
  void fetch(const std::string& url, const Url& u) {
    struct Fetch {
      beast::tcp_stream stream;
      beast::flat_buffer buffer;
      http::request<http::empty_body> req;
      http::response_parser<http::string_body> parser;
      explicit Fetch(asio::io_context& io) : stream(io) {}
    };
    auto f = std::make_shared<Fetch>(app_.io);
    f->parser.body_limit(16u << 20);
    f->req = {http::verb::get, u.target, 11};
    f->req.set(http::field::host, u.hostHeader);
    f->req.set(http::field::user_agent, "ramp-crawler");
    f->req.keep_alive(false);
    beast::error_code ec;
    auto addr = asio::ip::make_address(u.host, ec);
    auto self = shared_from_this();
    const auto fetchStarted = Clock::now();
    auto fail = [self, url](beast::error_code e) {
      self->later(self->json(http::status::bad_gateway,
                             "{\"url\":" + jsonString(url) + ",\"error\":" + jsonString(e.message()) + "}"));
    };
    f->stream.expires_after(std::chrono::seconds(5));
    f->stream.async_connect(tcp::endpoint(addr, u.port), [f, fail, self, url, fetchStarted](beast::error_code e) {
      if (e) return fail(e);
      http::async_write(f->stream, f->req, [f, fail, self, url, fetchStarted](beast::error_code e, size_t) {
        if (e) return fail(e);
        http::async_read(f->stream, f->buffer, f->parser, [f, fail, self, url, fetchStarted](beast::error_code e, size_t) {
          if (e) return fail(e);
          beast::error_code ignored;
          f->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          const auto& res = f->parser.get();
          App& app = self->app_;
          app.recordFetch(std::chrono::duration<double>(Clock::now() - fetchStarted).count());
          ++app.pages;
          // "Parsing": count the links. A bad build may fail here without
          // failing the request: only the business metric shows it.
          const bool parsed = !app.parseFails();
          if (!parsed) ++app.parseFailures;
          size_t links = 0;
          for (size_t at = res.body().find("<a "); parsed && at != std::string::npos; at = res.body().find("<a ", at + 3))
            ++links;
          self->later(self->json(http::status::ok,
                                 "{\"url\":" + jsonString(url) +
                                     ",\"status\":" + std::to_string(res.result_int()) +
                                     ",\"bytes\":" + std::to_string(res.body().size()) +
                                     ",\"parsed\":" + (parsed ? "true" : "false") +
                                     ",\"links\":" + std::to_string(links) + "}"));
        });
      });
    });
  }

  // Sends `res` once the service time since the request arrived has passed.
  void later(http::response<http::string_body> res) {
    auto due = started_ + app_.serviceTime();
    if (Clock::now() >= due) return send(std::move(res));
    auto held = std::make_shared<http::response<http::string_body>>(std::move(res));
    delay_.expires_at(due);
    delay_.async_wait([self = shared_from_this(), held](beast::error_code) {
      self->send(std::move(*held));
    });
  }

  void send(http::response<http::string_body> res) {
    res.set("X-Ramp-Version", app_.knobs.version);
    res.set("X-Ramp-Instance", app_.knobs.instance);
    res.set(http::field::server, "ramp-crawler");
    res.keep_alive(keepAlive_ && !app_.draining);
    res.prepare_payload();
    if (req_.method() == http::verb::head) res.body().clear();  // Content-Length stays
    ++app_.served;
    if (!app_.knobs.quiet) {
      auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
      std::string target(req_.target().data(), req_.target().size());
      std::printf("crawler %s %s %u %.1fms\n", std::string(req_.method_string()).c_str(),
                  target.c_str(), res.result_int(), ms);
      std::fflush(stdout);
    }
    res_ = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      bool again = !ec && self->res_->keep_alive();
      self->res_.reset();
      if (again) return self->read();
      self->close();
    });
  }

  void close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  App& app_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  std::shared_ptr<http::response<http::string_body>> res_;
  asio::steady_timer delay_;
  Clock::time_point started_;
  bool keepAlive_ = true;
  bool busy_ = false;
};

void App::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (draining || ec == asio::error::operation_aborted) return;
      return accept();  // e.g. too many open files: keep serving the rest
    }
    if (draining) return;
    std::make_shared<Session>(*this, std::move(socket))->start();
    accept();
  });
}

void App::shutdown() {
  if (draining) return;
  draining = true;
  std::printf("crawler draining: %zu connection(s) open\n", sessions.size());
  std::fflush(stdout);
  beast::error_code ec;
  acceptor.close(ec);
  crashTimer.cancel();
  // Idle keep-alive connections are closed now; busy ones after their response.
  std::vector<Session*> idle;
  for (Session* s : sessions) {
    if (!s->busy()) idle.push_back(s);
  }
  for (Session* s : idle) s->closeIdle();
  drainTimer.expires_after(std::chrono::milliseconds(knobs.drainMs));
  drainTimer.async_wait([this](beast::error_code e) {
    if (e) return;
    std::printf("crawler drain bound reached with %zu connection(s) open\n", sessions.size());
    std::fflush(stdout);
    io.stop();
  });
  // A second signal stops at once.
  signals.async_wait([this](beast::error_code e, int) {
    if (!e) io.stop();
  });
  if (sessions.empty()) finish();
}

void App::sessionGone(Session* s) {
  sessions.erase(s);
  if (draining && sessions.empty()) finish();
}

void App::finish() {
  beast::error_code ec;
  drainTimer.cancel();
  signals.cancel(ec);
  crashTimer.cancel();
}

}  // namespace

int main(int argc, char** argv) {
  Knobs knobs = parseKnobs(argc, argv);
  asio::io_context io(1);
  App app(io, knobs);
  try {
    auto addr = asio::ip::make_address(knobs.host);
    tcp::endpoint ep(addr, static_cast<unsigned short>(knobs.port));
    app.acceptor.open(ep.protocol());
    app.acceptor.set_option(asio::socket_base::reuse_address(true));
    app.acceptor.bind(ep);
    app.acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    std::cerr << "crawler: cannot listen on " << knobs.host << ":" << knobs.port << ": " << e.what() << "\n";
    return 1;
  }
  auto local = app.acceptor.local_endpoint();
  std::string shown = local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                              : local.address().to_string();
  std::printf("crawler listening on %s:%u version=%s instance=%s\n", shown.c_str(), local.port(),
              knobs.version.c_str(), knobs.instance.c_str());
  std::fflush(stdout);

  app.signals.async_wait([&app](beast::error_code e, int) {
    if (!e) app.shutdown();
  });
  if (knobs.crashAfterS > 0) {
    app.crashTimer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(knobs.crashAfterS * 1000)));
    app.crashTimer.async_wait([](beast::error_code e) {
      if (e) return;
      std::printf("crawler crashing as configured (--crash-after)\n");
      std::fflush(stdout);
      std::_Exit(1);
    });
  }
  app.accept();
  io.run();
  std::printf("crawler stopped after %llu request(s)\n", static_cast<unsigned long long>(app.served));
  std::fflush(stdout);
  // Handlers still queued (only when the drain bound was reached) hold
  // sessions that point into `app`; skip the teardown instead of ordering it.
  std::_Exit(0);
}
