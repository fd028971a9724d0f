#include "router/HttpRequestParser.h"

#include <cstring>

#include "router/HttpSyntax.h"

namespace ramp::router {

using namespace http;

void HttpRequestParser::reset() {
  head_.clear();
  scanned_ = 0;
  status_ = 0;
  error_.clear();
}

HttpRequestParser::State HttpRequestParser::fail(int status, std::string reason) {
  status_ = status;
  error_ = std::move(reason);
  return State::kError;
}

HttpRequestParser::State HttpRequestParser::parse(std::string_view data) {
  if (head_.headBytes > 0 && status_ == 0) return State::kDone;  // already accepted; head() stands
  if (status_ != 0) return State::kError;
  // The method is checked as its bytes arrive: a stream that cannot be HTTP
  // (a WebSocket frame after a declined upgrade, a TLS hello on a plain
  // port) is refused at once rather than at the head timeout.
  for (size_t k = 0, n = std::min(data.size(), limits_.maxRequestLine); k < n && data[k] != ' '; ++k) {
    if (k == 0 && data[k] == '\r') break;  // an empty request line, reported below
    if (!isTokenChar(static_cast<unsigned char>(data[k]))) return fail(400, "request line: invalid method");
  }
  // Look for the end of the head (CRLF CRLF), checking line endings as we go:
  // a LF must follow a CR and a CR must be followed by LF.
  const void* firstLf = std::memchr(data.data(), '\n', std::min(data.size(), limits_.maxRequestLine + 2));
  if (!firstLf && data.size() > limits_.maxRequestLine + 1)
    return fail(400, "request line longer than " + std::to_string(limits_.maxRequestLine) + " bytes");
  size_t limit = std::min(data.size(), limits_.maxHeadBytes);
  size_t i = scanned_;
  for (; i < limit; ++i) {
    char c = data[i];
    if (c == '\r') {
      if (i + 1 >= data.size()) break;  // the LF may still come
      if (data[i + 1] != '\n') return fail(400, "bare CR in request head");
    } else if (c == '\n') {
      if (i == 0 || data[i - 1] != '\r') return fail(400, "bare LF in request head (line endings must be CRLF)");
      if (i >= 3 && data[i - 2] == '\n' && data[i - 3] == '\r') {
        scanned_ = i + 1;
        return parseComplete(data.substr(0, i + 1));
      }
    }
  }
  scanned_ = i;
  if (data.size() >= limits_.maxHeadBytes)
    return fail(400, "request head larger than " + std::to_string(limits_.maxHeadBytes) + " bytes");
  return State::kNeedMore;
}

namespace {

bool isIdempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

bool validTarget(std::string_view method, std::string_view t) {
  if (t.empty()) return false;
  for (unsigned char c : t)
    if (c <= 0x20 || c >= 0x7f) return false;
  if (t[0] == '/') return true;
  if (t == "*") return method == "OPTIONS";
  // absolute-form: scheme "://" authority ...
  auto lowerStarts = [&](std::string_view p) {
    return t.size() > p.size() && iequals(t.substr(0, p.size()), p);
  };
  return lowerStarts("http://") || lowerStarts("https://");
}

}  // namespace

HttpRequestParser::State HttpRequestParser::parseComplete(std::string_view head) {
  head_.clear();
  head_.headBytes = head.size();
  // Request line.
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.empty()) return fail(400, "empty request line (no leading CRLF allowed)");
  if (line.size() > limits_.maxRequestLine)
    return fail(400, "request line longer than " + std::to_string(limits_.maxRequestLine) + " bytes");
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400, "request line: expected 'METHOD SP target SP HTTP/1.x'");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "request line: expected 'METHOD SP target SP HTTP/1.x'");
  head_.method = line.substr(0, sp1);
  head_.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(head_.method)) return fail(400, "request line: invalid method");
  if (head_.method == "CONNECT") return fail(400, "request line: CONNECT is not supported");
  if (!validTarget(head_.method, head_.target)) return fail(400, "request line: invalid request target");
  if (version == "HTTP/1.1") {
    head_.versionMinor = 1;
  } else if (version == "HTTP/1.0") {
    head_.versionMinor = 0;
  } else {
    return fail(400, "request line: invalid or unsupported HTTP version");
  }
  head_.idempotent = isIdempotent(head_.method);
  head_.isHead = head_.method == "HEAD";

  // Header fields.
  std::string_view rest = head.substr(eol + 2);
  int hostCount = 0;
  int clCount = 0;
  bool sawTe = false;
  bool teChunkedLast = false;
  int chunkedCount = 0;
  bool connClose = false, connKeepAlive = false;
  while (true) {
    size_t e = rest.find("\r\n");
    std::string_view fl = rest.substr(0, e);
    rest.remove_prefix(e + 2);
    if (fl.empty()) break;
    if (fl[0] == ' ' || fl[0] == '\t') return fail(400, "header: obs-fold (line folding) is not allowed");
    size_t colon = fl.find(':');
    if (colon == std::string_view::npos) return fail(400, "header: missing ':' in field line");
    std::string_view name = fl.substr(0, colon);
    if (!isToken(name)) {
      if (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
        return fail(400, "header '" + std::string(trimOws(name)) + "': whitespace before ':'");
      return fail(400, "header: invalid field name");
    }
    std::string_view raw = fl.substr(colon + 1);
    for (unsigned char c : raw)
      if (!isFieldValueChar(c))
        return fail(400, "header '" + std::string(name) + "': control character (NUL/CR/LF/CTL) in value");
    std::string_view value = trimOws(raw);
    if (head_.headers.size() >= limits_.maxHeaders)
      return fail(400, "more than " + std::to_string(limits_.maxHeaders) + " header fields");
    head_.headers.emplace_back(name, value);

    if (iequals(name, "host")) {
      ++hostCount;
    } else if (iequals(name, "content-length")) {
      ++clCount;
      if (clCount > 1) return fail(400, "header 'Content-Length': repeated");
      auto n = parseDecimal(value);
      if (!n) return fail(400, "header 'Content-Length': not a decimal length");
      head_.contentLength = *n;
    } else if (iequals(name, "transfer-encoding")) {
      sawTe = true;
      bool any = false;
      bool bad = false;
      forEachListElement(value, [&](std::string_view coding) {
        any = true;
        // A coding may carry parameters (";q=..."): only the name matters here.
        std::string_view cname = trimOws(coding.substr(0, coding.find(';')));
        if (!isToken(cname)) bad = true;
        if (iequals(cname, "chunked")) {
          ++chunkedCount;
          teChunkedLast = true;
        } else {
          teChunkedLast = false;
        }
      });
      if (!any || bad) return fail(400, "header 'Transfer-Encoding': invalid value");
    } else if (iequals(name, "connection")) {
      bool namesFraming = false;
      forEachListElement(value, [&](std::string_view opt) {
        if (iequals(opt, "close")) connClose = true;
        if (iequals(opt, "keep-alive")) connKeepAlive = true;
        // A hop-by-hop Content-Length/Transfer-Encoding/Host would be
        // stripped on the way up while the body still follows: smuggling.
        if (iequals(opt, "content-length") || iequals(opt, "transfer-encoding") || iequals(opt, "host"))
          namesFraming = true;
      });
      if (namesFraming)
        return fail(400, "header 'Connection': may not name Content-Length, Transfer-Encoding or Host");
    } else if (iequals(name, "expect")) {
      if (!iequals(value, "100-continue")) return fail(400, "header 'Expect': only 100-continue is supported");
      if (head_.versionMinor == 1) head_.expectContinue = true;
    }
  }
  if (head_.versionMinor == 1 && hostCount == 0) return fail(400, "header 'Host': missing (required in HTTP/1.1)");
  if (hostCount > 1) return fail(400, "header 'Host': repeated");
  if (sawTe) {
    if (clCount > 0) return fail(400, "both Content-Length and Transfer-Encoding (ambiguous framing)");
    if (head_.versionMinor == 0) return fail(400, "header 'Transfer-Encoding': not allowed in HTTP/1.0");
    if (!teChunkedLast) return fail(400, "header 'Transfer-Encoding': the last coding must be chunked");
    if (chunkedCount > 1) return fail(400, "header 'Transfer-Encoding': chunked applied more than once");
    head_.framing = BodyFraming::kChunked;
  } else if (clCount == 1) {
    head_.framing = head_.contentLength > 0 ? BodyFraming::kLength : BodyFraming::kNone;
  }
  if (head_.versionMinor == 1) {
    head_.keepAlive = !connClose;
  } else {
    head_.keepAlive = connKeepAlive && !connClose;
  }
  return State::kDone;
}

}  // namespace ramp::router
