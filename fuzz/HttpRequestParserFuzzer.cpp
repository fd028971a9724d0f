// HttpRequestParserFuzzer.cpp — feeds arbitrary bytes to the router's
// request parser, whole and in two pieces, then the body to the chunked
// scanner, and checks the parser's own promises: the same verdict however
// the input is split, a head length within the input, never both framings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "router/ChunkedBodyScanner.h"
#include "router/HttpRequestParser.h"
#include "router/HttpResponseParser.h"

using namespace ramp::router;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequestParser whole;
  auto st = whole.parse(in);
  if (st == HttpRequestParser::State::kDone) {
    const auto& h = whole.head();
    if (h.headBytes == 0 || h.headBytes > size) std::abort();
    if (h.framing == BodyFraming::kLength && h.contentLength == 0) std::abort();
    if (h.method.empty() || h.target.empty()) std::abort();
    if (h.framing == BodyFraming::kChunked) {
      ChunkedBodyScanner sc(1 << 20);
      size_t used = 0;
      auto cs = sc.feed(in.substr(h.headBytes), &used);
      if (used > size - h.headBytes) std::abort();
      if (cs == ChunkedBodyScanner::State::kNeedMore && used != size - h.headBytes) std::abort();
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
  // The response parser sees backend bytes: it must not crash either.
  HttpResponseParser rp;
  (void)rp.parse(in, size > 0 && (data[0] & 1));
  return 0;
}
