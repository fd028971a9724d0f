// HttpRequestParser.h — ramp's strict HTTP/1.1 request-head parser.
//
// Our own parser (not Beast's): the router must refuse anything ambiguous
// before a byte reaches a backend, and the rules are easier to audit in one
// place. parse() is given everything received so far on a connection (the
// head starts at offset 0) and says: need more bytes, a head of N bytes was
// accepted (head() describes it), or the request is rejected (status 400 with
// a reason naming the offending part). It never reads past the head.
//
// Rejected (docs/router.md lists them): bare LF or CR, request line or head
// over the limits, anything but `METHOD SP target SP HTTP/1.x`, methods not
// made of token characters, CONNECT, targets with controls/spaces or not in
// origin/absolute/asterisk form, header names with non-token characters or
// whitespace before the colon, obs-fold, NUL/CR/LF/other controls in values,
// a missing or repeated Host (HTTP/1.1), more than one Content-Length (even
// equal ones) or a malformed one, Transfer-Encoding together with
// Content-Length, Transfer-Encoding whose last coding is not `chunked` (or
// `chunked` twice) or in an HTTP/1.0 request, Expect other than 100-continue,
// a Connection option naming Content-Length, Transfer-Encoding or Host (a
// proxy drops the fields Connection names: the body would lose its framing).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "router/RequestHead.h"

namespace ramp::router {

struct ParserLimits {
  size_t maxRequestLine = 8 * 1024;
  size_t maxHeadBytes = 64 * 1024;  // request line + headers + final CRLF
  size_t maxHeaders = 100;
};

class HttpRequestParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit HttpRequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses the head at the start of `data` (everything received so far).
  // kDone: head() is valid and head().headBytes were consumed.
  // kError: status() and error() say why; the connection must be closed
  // after answering. Once kDone or kError, parse() answers the same until
  // reset() (more body bytes arriving do not disturb the head).
  State parse(std::string_view data);

  const RequestHead& head() const { return head_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  // Forget the previous request (the next one starts at offset 0 of a new view).
  void reset();

 private:
  State fail(int status, std::string reason);
  State parseComplete(std::string_view head);

  ParserLimits limits_;
  RequestHead head_;
  size_t scanned_ = 0;  // bytes already checked for the end of the head
  int status_ = 0;
  std::string error_;
};

}  // namespace ramp::router
