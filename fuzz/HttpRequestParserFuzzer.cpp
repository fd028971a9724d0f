// HttpRequestParserFuzzer.cpp — feeds arbitrary bytes to the router's
// request parser, whole and in two pieces, then the body to the chunked
// scanner, whole and streamed in pieces (as ClientSession pumps it), and
// rewrites accepted heads as the router forwards them (ForwardedHeads).
// Checks the parser's own promises — the same verdict however the input
// is split, a head length within the input, never both framings — and the
// forwarding promises: the upstream head of an accepted request parses
// again to the same method, target, version and framing (nothing a proxy
// strips may change where the body ends: no smuggling on any path,
// upgrades included), and the head sent back to a client keeps the
// response's framing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "router/ChunkedBodyScanner.h"
#include "router/ForwardedHeads.h"
#include "router/HttpRequestParser.h"
#include "router/HttpResponseParser.h"

using namespace ramp::router;

namespace {

void checkForwarded(const RequestHead& h) {
  std::string out;
  auto f = buildUpstreamHead(h, PinRoute{"X-Ramp-Canary", "ramp-canary", "canary"}, out);
  ParserLimits roomy;
  roomy.maxHeaders += kAddedFields;
  roomy.maxHeadBytes += roomy.maxHeaders + kAddedBytes;
  if (out.size() > h.headBytes + h.headers.size() + kAddedBytes) std::abort();
  HttpRequestParser again(roomy);
  if (again.parse(out) != HttpRequestParser::State::kDone) std::abort();
  const RequestHead& g = again.head();
  if (g.headers.size() > h.headers.size() + kAddedFields) std::abort();
  if (g.headBytes != out.size()) std::abort();
  if (g.method != h.method || g.target != h.target || g.versionMinor != h.versionMinor) std::abort();
  if (g.framing != h.framing || g.contentLength != h.contentLength) std::abort();
  if (f.upgrade && (h.versionMinor != 1 || out.find("\r\nConnection: Upgrade\r\n") == std::string::npos)) std::abort();
  if (g.expectContinue) std::abort();  // the router answers Expect itself
}

// The chunked body scanned whole and streamed in pieces of `step` bytes
// must end at the same byte with the same verdict.
void checkStreamedChunks(std::string_view body, size_t step) {
  ChunkedBodyScanner whole(1 << 20);
  size_t usedWhole = 0;
  auto stWhole = whole.feed(body, &usedWhole);
  ChunkedBodyScanner parts(1 << 20);
  size_t at = 0;
  auto st = ChunkedBodyScanner::State::kNeedMore;
  while (at < body.size() && st == ChunkedBodyScanner::State::kNeedMore) {
    size_t n = std::min(step, body.size() - at);
    size_t used = 0;
    st = parts.feed(body.substr(at, n), &used);
    if (used > n) std::abort();
    if (st == ChunkedBodyScanner::State::kNeedMore && used != n) std::abort();
    at += used;
  }
  if (st != stWhole) std::abort();
  if (st == ChunkedBodyScanner::State::kDone && at != usedWhole) std::abort();
  if (st != ChunkedBodyScanner::State::kError && parts.dataBytes() != whole.dataBytes()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequestParser whole;
  auto st = whole.parse(in);
  if (st == HttpRequestParser::State::kDone) {
    const auto& h = whole.head();
    if (h.headBytes == 0 || h.headBytes > size) std::abort();
    if (h.framing == BodyFraming::kLength && h.contentLength == 0) std::abort();
    if (h.method.empty() || h.target.empty()) std::abort();
    checkForwarded(h);
    if (h.framing == BodyFraming::kChunked) {
      ChunkedBodyScanner sc(1 << 20);
      size_t used = 0;
      auto cs = sc.feed(in.substr(h.headBytes), &used);
      if (used > size - h.headBytes) std::abort();
      if (cs == ChunkedBodyScanner::State::kNeedMore && used != size - h.headBytes) std::abort();
      checkStreamedChunks(in.substr(h.headBytes), 1 + data[size - 1] % 17);
    }
  }
  // Split in two at a position derived from the input: same verdict.
  if (size > 1) {
    size_t cut = data[0] % size;
    HttpRequestParser parts;
    auto first = parts.parse(in.substr(0, cut));
    HttpRequestParser::State second = first;
    if (first == HttpRequestParser::State::kNeedMore) second = parts.parse(in);
    if (first == HttpRequestParser::State::kDone && st != HttpRequestParser::State::kDone) std::abort();
    if (first != HttpRequestParser::State::kDone && second != st) std::abort();
    if (st == HttpRequestParser::State::kDone && second == HttpRequestParser::State::kDone &&
        parts.head().headBytes != whole.head().headBytes && first == HttpRequestParser::State::kNeedMore)
      std::abort();
  }
  // The response parser sees backend bytes: it must not crash, and what the
  // router sends back keeps the response's framing.
  HttpResponseParser rp;
  bool wasHead = size > 0 && (data[0] & 1);
  if (rp.parse(in, wasHead) == HttpResponseParser::State::kDone) {
    const auto& h = rp.head();
    std::string out;
    buildClientResponseHead(h, in.substr(0, in.find("\r\n") + 2), true, false, out);
    if (out.size() > h.headBytes + h.headers.size() + kAddedBytes) std::abort();
    HttpResponseParser back(HttpResponseParser::kMaxHeadBytes + HttpResponseParser::kMaxHeaders + kAddedBytes,
                            HttpResponseParser::kMaxHeaders + kAddedFields);
    if (back.parse(out, wasHead) != HttpResponseParser::State::kDone) std::abort();
    const auto& b = back.head();
    if (b.headers.size() > h.headers.size() + kAddedFields) std::abort();
    if (b.status != h.status) std::abort();
    // kUntilClose responses make the router close the connection; others keep their framing.
    if (h.framing != ResponseHead::Framing::kUntilClose && (b.framing != h.framing || b.contentLength != h.contentLength))
      std::abort();
  }
  return 0;
}
