#include "router/ChunkedBodyScanner.h"

#include <algorithm>

#include "core/HexDigit.h"
#include "router/HttpSyntax.h"

namespace ramp::router {

void ChunkedBodyScanner::reset() {
  step_ = Step::kSize;
  size_ = 0;
  sizeDigits_ = 0;
  remaining_ = 0;
  dataBytes_ = 0;
  extBytes_ = 0;
  trailerBytes_ = 0;
  error_.clear();
}

ChunkedBodyScanner::State ChunkedBodyScanner::fail(std::string why) {
  error_ = std::move(why);
  return State::kError;
}

namespace {
constexpr size_t kMaxExt = 4096;
constexpr size_t kMaxTrailers = 16 * 1024;
}  // namespace

ChunkedBodyScanner::State ChunkedBodyScanner::feed(std::string_view data, size_t* consumed) {
  size_t i = 0;
  *consumed = 0;
  if (step_ == Step::kDone) return State::kDone;
  while (i < data.size()) {
    char c = data[i];
    // The steps that take one fixed byte: it must be `want` (else the
    // body is refused), then the scanner goes on at `next`.
    auto expect = [&](char want, Step next) {
      if (c != want) return false;
      step_ = next;
      ++i;
      return true;
    };
    switch (step_) {
      case Step::kSize: {
        int h = hexDigitValue(c);
        if (h >= 0) {
          if (++sizeDigits_ > 15) return fail("chunk size too large");
          size_ = size_ * 16 + static_cast<uint64_t>(h);
          ++i;
        } else if (sizeDigits_ == 0) {
          return fail("chunk size: expected a hex digit");
        } else if (c == ';') {
          step_ = Step::kExt;
          extBytes_ = 0;
          ++i;
        } else if (c == '\r') {
          step_ = Step::kSizeLf;
          ++i;
        } else {
          return fail("chunk size: unexpected character");
        }
        break;
      }
      case Step::kExt:
        if (c == '\r') {
          step_ = Step::kSizeLf;
        } else if (!http::isFieldValueChar(static_cast<unsigned char>(c))) {
          return fail("chunk extension: control character");
        } else if (++extBytes_ > kMaxExt) {
          return fail("chunk extension too long");
        }
        ++i;
        break;
      case Step::kSizeLf:
        if (!expect('\n', size_ == 0 ? Step::kTrailerStart : Step::kData)) {
          return fail("chunk size line: CR without LF");
        }
        if (size_ > 0) {
          if (size_ > maxBody_ - dataBytes_) return fail("chunked body larger than the limit");
          remaining_ = size_;
        }
        break;
      case Step::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
        i += n;
        remaining_ -= n;
        dataBytes_ += n;
        if (remaining_ == 0) step_ = Step::kDataCr;
        break;
      }
      case Step::kDataCr:
        if (!expect('\r', Step::kDataLf)) return fail("chunk data not followed by CRLF");
        break;
      case Step::kDataLf:
        if (!expect('\n', Step::kSize)) return fail("chunk data not followed by CRLF");
        size_ = 0;
        sizeDigits_ = 0;
        break;
      case Step::kTrailerStart:
        if (c == '\r') {
          step_ = Step::kFinalLf;
        } else if (!http::isTokenChar(static_cast<unsigned char>(c))) {
          return fail("trailer: invalid field line");
        } else {
          step_ = Step::kTrailer;
        }
        ++i;
        if (++trailerBytes_ > kMaxTrailers) return fail("trailers too large");
        break;
      case Step::kTrailer:
        if (c == '\r') {
          step_ = Step::kTrailerLf;
        } else if (!http::isFieldValueChar(static_cast<unsigned char>(c))) {
          return fail("trailer: control character");
        }
        ++i;
        if (++trailerBytes_ > kMaxTrailers) return fail("trailers too large");
        break;
      case Step::kTrailerLf:
        if (!expect('\n', Step::kTrailerStart)) return fail("trailer: CR without LF");
        break;
      case Step::kFinalLf:
        if (!expect('\n', Step::kDone)) return fail("last chunk: CR without LF");
        *consumed = i;
        return State::kDone;
      case Step::kDone:
        *consumed = i;
        return State::kDone;
    }
  }
  *consumed = i;
  return State::kNeedMore;
}

}  // namespace ramp::router
