// ChunkedBodyScanner.h — finds where a chunked message body ends, strictly.
//
// The router forwards chunked bodies byte for byte; this scanner only walks
// them to know where the message ends (for keep-alive) and to refuse bad
// framing: non-hex or over-long chunk sizes, whitespace around sizes, missing
// CRLF after data, bare LF/CR, controls in extensions or trailers, oversized
// extensions/trailers. Feed it bytes in any split; it consumes no byte past
// the end of the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ramp::router {

class ChunkedBodyScanner {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit ChunkedBodyScanner(uint64_t maxBodyBytes = UINT64_MAX) : maxBody_(maxBodyBytes) {}

  // Consumes a prefix of `data`; *consumed says how much. kDone: the body
  // (and its trailers) ended after *consumed bytes.
  State feed(std::string_view data, size_t* consumed);
  const std::string& error() const { return error_; }
  uint64_t dataBytes() const { return dataBytes_; }
  void reset();
  void setMaxBody(uint64_t maxBodyBytes) { maxBody_ = maxBodyBytes; }

 private:
  enum class Step { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf,
                    kFinalLf, kDone };
  State fail(std::string why);

  Step step_ = Step::kSize;
  uint64_t maxBody_;
  uint64_t size_ = 0;
  int sizeDigits_ = 0;
  uint64_t remaining_ = 0;
  uint64_t dataBytes_ = 0;
  size_t extBytes_ = 0;
  size_t trailerBytes_ = 0;
  std::string error_;
};

}  // namespace ramp::router
