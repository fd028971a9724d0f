// Table-driven tests of the router's strict request parser and chunked-body
// scanner: what is accepted (and how it is framed), and every malformed or
// smuggling-prone request that must be refused with 400 and a reason.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "router/ChunkedBodyScanner.h"
#include "router/ForwardedHeads.h"
#include "router/HttpRequestParser.h"
#include "router/HttpResponseParser.h"
#include "router/LatencyHistogram.h"

using namespace ramp::router;

namespace {

struct Bad {
  const char* name;
  std::string request;
  const char* reasonContains;
};

HttpRequestParser::State parseAll(HttpRequestParser& p, const std::string& r) { return p.parse(r); }

}  // namespace

TEST(HttpRequestParser, AcceptsSimpleGet) {
  HttpRequestParser p;
  std::string r = "GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n";
  ASSERT_EQ(parseAll(p, r), HttpRequestParser::State::kDone) << p.error();
  EXPECT_EQ(p.head().method, "GET");
  EXPECT_EQ(p.head().target, "/a?b=c");
  EXPECT_EQ(p.head().headBytes, r.size());
  EXPECT_TRUE(p.head().keepAlive);
  EXPECT_TRUE(p.head().idempotent);
  EXPECT_EQ(p.head().framing, BodyFraming::kNone);
  ASSERT_EQ(p.head().headers.size(), 2u);
  EXPECT_EQ(p.head().headers[1].second, "t");
}

TEST(HttpRequestParser, IncrementalByteByByte) {
  std::string r = "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  HttpRequestParser p;
  size_t headLen = r.find("\r\n\r\n") + 4;
  for (size_t n = 1; n < headLen; ++n) ASSERT_EQ(p.parse(std::string_view(r).substr(0, n)), HttpRequestParser::State::kNeedMore) << n;
  ASSERT_EQ(p.parse(r), HttpRequestParser::State::kDone);
  EXPECT_EQ(p.head().headBytes, headLen);
  EXPECT_EQ(p.head().framing, BodyFraming::kLength);
  EXPECT_EQ(p.head().contentLength, 5u);
  EXPECT_FALSE(p.head().idempotent);
  // Body bytes arriving later do not change the verdict (admin API reads bodies after the head).
  ASSERT_EQ(p.parse(r + "\r\n\r\nGET"), HttpRequestParser::State::kDone);
  EXPECT_EQ(p.head().headBytes, headLen);
}

TEST(HttpRequestParser, FramingAndConnectionSemantics) {
  struct Case {
    std::string req;
    BodyFraming framing;
    bool keepAlive;
    bool expect;
  };
  Case cases[] = {
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", BodyFraming::kChunked, true, false},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", BodyFraming::kChunked, true, false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", BodyFraming::kNone, false, false},
      {"GET / HTTP/1.0\r\n\r\n", BodyFraming::kNone, false, false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", BodyFraming::kNone, true, false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n", BodyFraming::kNone, false, false},
      {"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", BodyFraming::kLength, true, true},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", BodyFraming::kNone, true, false},
      {"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", BodyFraming::kNone, true, false},
      {"GET http://example.com/a HTTP/1.1\r\nHost: example.com\r\n\r\n", BodyFraming::kNone, true, false},
  };
  for (const auto& c : cases) {
    HttpRequestParser p;
    ASSERT_EQ(p.parse(c.req), HttpRequestParser::State::kDone) << c.req << " -> " << p.error();
    EXPECT_EQ(p.head().framing, c.framing) << c.req;
    EXPECT_EQ(p.head().keepAlive, c.keepAlive) << c.req;
    EXPECT_EQ(p.head().expectContinue, c.expect) << c.req;
  }
}

TEST(HttpRequestParser, RejectsMalformedAndSmugglingRequests) {
  const std::string big(70 * 1024, 'a');
  const Bad table[] = {
      {"CL and TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"},
      {"TE and CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", "both"},
      {"duplicate equal CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n", "Content-Length"},
      {"conflicting CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", "repeated"},
      {"CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\n", "not a decimal"},
      {"CL sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\n", "not a decimal"},
      {"CL hex", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x4\r\n\r\n", "not a decimal"},
      {"CL empty", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", "not a decimal"},
      {"CL huge", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", "not a decimal"},
      {"TE not chunked last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "last coding must be chunked"},
      {"TE identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", "last coding"},
      {"TE chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "more than once"},
      {"TE obfuscated", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", "last coding"},
      {"TE vertical tab", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x0b" "chunked\r\n\r\n", "control character"},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0"},
      {"TE empty", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n", "invalid value"},
      {"space before colon", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", "whitespace before ':'"},
      {"tab before colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", "whitespace before ':'"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "obs-fold"},
      {"leading whitespace first header", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", "obs-fold"},
      {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", "missing ':'"},
      {"empty name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", "invalid field name"},
      {"bad name char", "GET / HTTP/1.1\r\nHost: x\r\nX(a): v\r\n\r\n", "invalid field name"},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a") + std::string(1, '\0') + "b\r\n\r\n", "control character"},
      {"bare CR in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "bare CR"},
      {"bare LF line ending", "GET / HTTP/1.1\nHost: x\n\n", "bare LF"},
      {"bare LF in header", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", "bare LF"},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", "Host"},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "repeated"},
      {"lowercase method ok but bad char", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "invalid method"},
      {"empty method", " / HTTP/1.1\r\nHost: x\r\n\r\n", "invalid method"},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", "CONNECT"},
      {"Connection names Transfer-Encoding (stripped upstream: smuggling)",
       "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "Connection"},
      {"Connection names Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\nContent-Length: 3\r\n\r\nabc",
       "Connection"},
      {"Connection names Host", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n", "Connection"},
      {"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "expected"},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", "expected"},
      {"missing version", "GET /\r\nHost: x\r\n\r\n", "expected"},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", "version"},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", "version"},
      {"lowercase http", "GET / http/1.1\r\nHost: x\r\n\r\n", "version"},
      {"relative target", "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", "target"},
      {"asterisk with GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", "target"},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", "target"},
      {"non-ascii target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", "target"},
      {"empty request line", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "empty request line"},
      {"expect other", "GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", "Expect"},
      {"oversized request line", "GET /" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", "request line longer"},
      {"oversized headers", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", "larger than"},
  };
  for (const auto& b : table) {
    HttpRequestParser p;
    auto st = p.parse(b.request);
    ASSERT_EQ(st, HttpRequestParser::State::kError) << b.name;
    EXPECT_EQ(p.status(), 400) << b.name;
    EXPECT_NE(p.error().find(b.reasonContains), std::string::npos) << b.name << ": " << p.error();
  }
}

TEST(HttpRequestParser, TooManyHeaders) {
  std::string r = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 120; ++i) r += "X-" + std::to_string(i) + ": v\r\n";
  r += "\r\n";
  HttpRequestParser p;
  ASSERT_EQ(p.parse(r), HttpRequestParser::State::kError);
  EXPECT_NE(p.error().find("header fields"), std::string::npos);
}

// Bytes that cannot start a request are refused as they arrive, not when a
// head end (that may never come) is found: the router answers 400 at once.
TEST(HttpRequestParser, RefusesANonHttpStreamAtItsFirstBytes) {
  const std::string notHttp[] = {
      std::string("\x81\x88\x11\x22", 4),              // a WebSocket frame after a declined upgrade
      std::string("\x16\x03\x01\x02\x00\x01", 6),    // a TLS ClientHello on a plain port
      "GET\t/",                                         // a tab where the space goes
  };
  for (const auto& bytes : notHttp) {
    HttpRequestParser p;
    EXPECT_EQ(p.parse(bytes), HttpRequestParser::State::kError);
    EXPECT_EQ(p.status(), 400);
    EXPECT_NE(p.error().find("invalid method"), std::string::npos) << p.error();
  }
  HttpRequestParser partial;
  EXPECT_EQ(partial.parse("PO"), HttpRequestParser::State::kNeedMore);
  EXPECT_EQ(partial.parse("POST /a HT"), HttpRequestParser::State::kNeedMore);
}

TEST(ChunkedBodyScanner, AcceptsSplitsAndTrailers) {
  std::string body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
  for (size_t split = 1; split < body.size() - 4; ++split) {
    ChunkedBodyScanner s;
    size_t used1 = 0, used2 = 0;
    auto st1 = s.feed(std::string_view(body).substr(0, split), &used1);
    ASSERT_NE(st1, ChunkedBodyScanner::State::kError) << split << s.error();
    ASSERT_EQ(used1, split);
    if (st1 == ChunkedBodyScanner::State::kDone) continue;
    auto st2 = s.feed(std::string_view(body).substr(split), &used2);
    ASSERT_EQ(st2, ChunkedBodyScanner::State::kDone) << split << s.error();
    EXPECT_EQ(split + used2, body.size() - 4) << split;
    EXPECT_EQ(s.dataBytes(), 11u);
  }
}

TEST(ChunkedBodyScanner, RejectsBadFraming) {
  struct C {
    const char* name;
    std::string body;
  } cases[] = {
      {"non-hex size", "g\r\nx\r\n0\r\n\r\n"},
      {"space before size", " 5\r\nhello\r\n0\r\n\r\n"},
      {"space after size", "5 \r\nhello\r\n0\r\n\r\n"},
      {"negative", "-5\r\nhello\r\n0\r\n\r\n"},
      {"overflow", "fffffffffffffffff\r\n"},
      {"missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n"},
      {"bare LF after size", "5\nhello\r\n0\r\n\r\n"},
      {"empty size", "\r\nhello\r\n"},
      {"control in ext", "5;a\x01\r\nhello\r\n0\r\n\r\n"},
      {"bad trailer", "0\r\n:bad\r\n\r\n"},
      {"bare CR final", "0\r\n\rX"},
  };
  for (const auto& c : cases) {
    ChunkedBodyScanner s;
    size_t used = 0;
    EXPECT_EQ(s.feed(c.body, &used), ChunkedBodyScanner::State::kError) << c.name;
    EXPECT_FALSE(s.error().empty()) << c.name;
  }
  ChunkedBodyScanner limited(4);
  size_t used = 0;
  EXPECT_EQ(limited.feed("5\r\nhello\r\n0\r\n\r\n", &used), ChunkedBodyScanner::State::kError);
  EXPECT_NE(limited.error().find("limit"), std::string::npos);
}

TEST(HttpResponseParser, Framing) {
  HttpResponseParser p;
  ASSERT_EQ(p.parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false), HttpResponseParser::State::kDone);
  EXPECT_EQ(p.head().framing, ResponseHead::Framing::kLength);
  EXPECT_TRUE(p.head().keepAlive);
  p.reset();
  ASSERT_EQ(p.parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true), HttpResponseParser::State::kDone);
  EXPECT_EQ(p.head().framing, ResponseHead::Framing::kNone);
  p.reset();
  ASSERT_EQ(p.parse("HTTP/1.0 200 OK\r\n\r\n", false), HttpResponseParser::State::kDone);
  EXPECT_EQ(p.head().framing, ResponseHead::Framing::kUntilClose);
  EXPECT_FALSE(p.head().keepAlive);
  p.reset();
  ASSERT_EQ(p.parse("HTTP/1.1 204 No Content\r\n\r\n", false), HttpResponseParser::State::kDone);
  EXPECT_EQ(p.head().framing, ResponseHead::Framing::kNone);
  p.reset();
  EXPECT_EQ(p.parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", false),
            HttpResponseParser::State::kError);
  p.reset();
  EXPECT_EQ(p.parse("HTTP/1.1 2x0 OK\r\n\r\n", false), HttpResponseParser::State::kError);
}

TEST(LatencyHistogram, BucketsAreFineAndCorrect) {
  const auto& b = LatencyHistogram::bounds();
  ASSERT_GT(b.size(), 200u);
  EXPECT_DOUBLE_EQ(b.front(), 0.1);
  EXPECT_TRUE(std::isinf(b.back()));
  for (size_t i = 1; i + 1 < b.size(); ++i) EXPECT_LE(b[i] / b[i - 1], 1.0501) << i;
  auto countsOf = [](const LatencyHistogram& h, uint64_t* total = nullptr) {
    std::vector<uint64_t> counts;
    uint64_t n = 0;
    double sum = 0;
    h.addTo(counts, n, sum);
    if (total) *total = n;
    return counts;
  };
  LatencyHistogram h;
  for (double v : {0.05, 0.1, 0.1001, 1.0, 12.5, 999.0, 60000.0, 1e9}) h.record(v);
  uint64_t total = 0;
  const auto c = countsOf(h, &total);
  EXPECT_EQ(total, 8u);
  ASSERT_EQ(c.size(), b.size());
  EXPECT_EQ(c[0], 2u);  // 0.05 and 0.1
  EXPECT_EQ(c.back(), 1u);  // 1e9 → +Inf
  // Every value lands in the first bucket whose bound is >= it.
  for (double v : {0.1001, 1.0, 12.5, 999.0, 60000.0}) {
    LatencyHistogram one;
    one.record(v);
    const auto oc = countsOf(one);
    size_t idx = 0;
    while (oc[idx] == 0) ++idx;
    EXPECT_GE(b[idx], v);
    if (idx > 0) {
      EXPECT_LT(b[idx - 1], v);
    }
  }
}

TEST(ForwardedHeads, UpstreamHeadDropsHopByHopAndKeepsUpgrades) {
  HttpRequestParser p;
  std::string r = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, X-Secret\r\nX-Secret: 1\r\n"
                  "Upgrade: websocket\r\nKeep-Alive: 5\r\nTE: trailers\r\nCookie: ramp-canary=1\r\n\r\n";
  ASSERT_EQ(p.parse(r), HttpRequestParser::State::kDone) << p.error();
  std::string out;
  auto f = buildUpstreamHead(p.head(), PinRoute{"", "ramp-canary", "b"}, out);
  EXPECT_TRUE(f.upgrade);
  EXPECT_TRUE(f.pinned);
  EXPECT_EQ(out, "GET /chat HTTP/1.1\r\nHost: a\r\nCookie: ramp-canary=1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  // No "upgrade" option in Connection: not an upgrade, and Upgrade is dropped.
  HttpRequestParser q;
  ASSERT_EQ(q.parse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"), HttpRequestParser::State::kDone);
  f = buildUpstreamHead(q.head(), std::nullopt, out);
  EXPECT_FALSE(f.upgrade);
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(ForwardedHeads, ClientResponseHeadKeepsFramingWhateverConnectionSays) {
  HttpResponseParser p;
  std::string r = "HTTP/1.1 200 OK\r\nConnection: content-length, x-hop\r\nX-Hop: 1\r\nContent-Length: 2\r\n\r\nok";
  ASSERT_EQ(p.parse(r, false), HttpResponseParser::State::kDone);
  std::string out;
  buildClientResponseHead(p.head(), "HTTP/1.1 200 OK\r\n", true, false, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  HttpResponseParser s;
  ASSERT_EQ(s.parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n", false),
            HttpResponseParser::State::kDone);
  buildClientResponseHead(s.head(), "HTTP/1.1 101 Switching Protocols\r\n", true, false, out);
  EXPECT_EQ(out, "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
}

// Found by the fuzz smoke: a 101 with the most fields the router accepts
// (and no Connection field) went to the client with one field more, which
// the router's own response parser refused. The promise is now explicit:
// a forwarded head has at most kAddedFields more fields than the parsed one.
TEST(ForwardedHeads, AFullHeadGrowsByAtMostOneField) {
  std::string r = "HTTP/1.1 101 Switching Protocols\r\n";
  for (size_t i = 0; i < HttpResponseParser::kMaxHeaders; ++i) r += "X-F" + std::to_string(i) + ": v\r\n";
  const std::string full = r + "\r\n";  // the parsed head points into it
  HttpResponseParser p;
  ASSERT_EQ(p.parse(full, false), HttpResponseParser::State::kDone) << p.error();
  HttpResponseParser tooMany;
  EXPECT_EQ(tooMany.parse(r + "X-More: v\r\n\r\n", false), HttpResponseParser::State::kError);
  std::string out;
  buildClientResponseHead(p.head(), "HTTP/1.1 101 Switching Protocols\r\n", true, false, out);
  HttpResponseParser strict;
  EXPECT_EQ(strict.parse(out, false), HttpResponseParser::State::kError);
  HttpResponseParser roomy(HttpResponseParser::kMaxHeadBytes, HttpResponseParser::kMaxHeaders + kAddedFields);
  ASSERT_EQ(roomy.parse(out, false), HttpResponseParser::State::kDone) << roomy.error();
  EXPECT_EQ(roomy.head().headers.size(), HttpResponseParser::kMaxHeaders + kAddedFields);

  // An HTTP/1.0 request with the most fields gains Connection: keep-alive.
  std::string q = "GET / HTTP/1.0\r\n";
  for (size_t i = 0; i < ParserLimits{}.maxHeaders; ++i) q += "X-F" + std::to_string(i) + ": v\r\n";
  const std::string request = q + "\r\n";
  HttpRequestParser rp;
  ASSERT_EQ(rp.parse(request), HttpRequestParser::State::kDone) << rp.error();
  buildUpstreamHead(rp.head(), std::nullopt, out);
  ParserLimits limits;
  limits.maxHeaders += kAddedFields;
  HttpRequestParser up(limits);
  ASSERT_EQ(up.parse(out), HttpRequestParser::State::kDone) << up.error();
  EXPECT_EQ(up.head().headers.size(), ParserLimits{}.maxHeaders + kAddedFields);
}
