// RequestHead.h — one parsed HTTP/1.1 request head, as HttpRequestParser
// accepted it.
//
// Every string_view points into the buffer that was parsed: a RequestHead is
// valid only while that buffer is unchanged. `framing` says how the body that
// follows the head is delimited (never both a length and chunked: such a
// request is rejected before it gets here).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ramp::router {

enum class BodyFraming { kNone, kLength, kChunked };

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int versionMinor = 1;                 // HTTP/1.<versionMinor>, 0 or 1
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // in order, values trimmed
  BodyFraming framing = BodyFraming::kNone;
  uint64_t contentLength = 0;           // kLength only
  bool keepAlive = true;                // after this exchange, per version and Connection
  bool expectContinue = false;          // Expect: 100-continue (HTTP/1.1)
  bool idempotent = false;              // GET HEAD OPTIONS TRACE PUT DELETE
  bool isHead = false;                  // HEAD: the response has no body
  size_t headBytes = 0;                 // bytes of the head, final CRLF included

  void clear() {
    method = target = {};
    versionMinor = 1;
    headers.clear();
    framing = BodyFraming::kNone;
    contentLength = 0;
    keepAlive = true;
    expectContinue = false;
    idempotent = false;
    isHead = false;
    headBytes = 0;
  }
};

}  // namespace ramp::router
