// HttpResponseParser.h — parses a backend's (or, in AdminClient, the
// router's) HTTP/1.x response head.
//
// parse() is given the bytes received so far (head at offset 0) and returns
// need-more, done (head() valid) or error (the backend misbehaved: the
// router answers 502). Framing follows RFC 9112 §6.3: no body for 1xx, 204,
// 304 and responses to HEAD; chunked if Transfer-Encoding ends in chunked;
// else Content-Length; else the body runs until the backend closes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ramp::router {

struct ResponseHead {
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  int status = 0;
  int versionMinor = 1;
  std::string_view reason;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  Framing framing = Framing::kNone;
  uint64_t contentLength = 0;
  bool keepAlive = true;  // the backend lets us reuse the connection
  size_t headBytes = 0;
};

class HttpResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };
  static constexpr size_t kMaxHeadBytes = 64 * 1024;  // status line + fields + final CRLF
  static constexpr size_t kMaxHeaders = 200;          // fields in one response head
  explicit HttpResponseParser(size_t maxHeadBytes = kMaxHeadBytes, size_t maxHeaders = kMaxHeaders)
      : maxHead_(maxHeadBytes), maxHeaders_(maxHeaders) {}

  // requestWasHead: the response to a HEAD request never has a body.
  State parse(std::string_view data, bool requestWasHead);
  const ResponseHead& head() const { return head_; }
  const std::string& error() const { return error_; }
  void reset();

 private:
  State fail(std::string why);
  size_t maxHead_;
  size_t maxHeaders_;
  size_t scanned_ = 0;
  ResponseHead head_;
  std::string error_;
};

}  // namespace ramp::router
