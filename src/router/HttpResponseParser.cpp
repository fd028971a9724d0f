#include "router/HttpResponseParser.h"

#include "router/HttpSyntax.h"

namespace ramp::router {

using namespace http;

void HttpResponseParser::reset() {
  scanned_ = 0;
  head_ = ResponseHead{};
  error_.clear();
}

HttpResponseParser::State HttpResponseParser::fail(std::string why) {
  error_ = std::move(why);
  return State::kError;
}

HttpResponseParser::State HttpResponseParser::parse(std::string_view data, bool requestWasHead) {
  size_t limit = std::min(data.size(), maxHead_);
  size_t end = std::string_view::npos;
  size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  size_t pos = data.substr(0, limit).find("\r\n\r\n", from);
  if (pos == std::string_view::npos) {
    scanned_ = limit;
    if (data.size() >= maxHead_) return fail("response head too large");
    return State::kNeedMore;
  }
  end = pos + 4;
  std::string_view headText = data.substr(0, end);
  head_ = ResponseHead{};
  head_.headBytes = end;
  size_t eol = headText.find("\r\n");
  std::string_view line = headText.substr(0, eol);
  // HTTP/1.x SP 3DIGIT SP reason
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ')
    return fail("bad status line");
  head_.versionMinor = line[7] - '0';
  for (int k = 9; k < 12; ++k)
    if (line[k] < '0' || line[k] > '9') return fail("bad status code");
  head_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (head_.status < 100) return fail("bad status code");
  if (line.size() > 12) {
    if (line[12] != ' ') return fail("bad status line");
    head_.reason = line.substr(13);
  }
  std::string_view rest = headText.substr(eol + 2);
  int clCount = 0;
  bool te = false, teChunkedLast = false, connClose = false, connKeepAlive = false;
  uint64_t cl = 0;
  while (true) {
    size_t e = rest.find("\r\n");
    std::string_view fl = rest.substr(0, e);
    rest.remove_prefix(e + 2);
    if (fl.empty()) break;
    if (fl[0] == ' ' || fl[0] == '\t') return fail("obs-fold in response");
    size_t colon = fl.find(':');
    if (colon == std::string_view::npos || !isToken(fl.substr(0, colon))) return fail("bad header line in response");
    std::string_view name = fl.substr(0, colon);
    std::string_view raw = fl.substr(colon + 1);
    for (unsigned char c : raw)
      if (!isFieldValueChar(c)) return fail("control character in response header");
    std::string_view value = trimOws(raw);
    if (head_.headers.size() >= maxHeaders_) return fail("too many response headers");
    head_.headers.emplace_back(name, value);
    if (iequals(name, "content-length")) {
      auto n = parseDecimal(value);
      if (!n) return fail("bad Content-Length in response");
      if (clCount++ > 0 && *n != cl) return fail("conflicting Content-Length in response");
      cl = *n;
    } else if (iequals(name, "transfer-encoding")) {
      te = true;
      forEachListElement(value, [&](std::string_view c) { teChunkedLast = iequals(trimOws(c.substr(0, c.find(';'))), "chunked"); });
    } else if (iequals(name, "connection")) {
      forEachListElement(value, [&](std::string_view opt) {
        if (iequals(opt, "close")) connClose = true;
        if (iequals(opt, "keep-alive")) connKeepAlive = true;
      });
    }
  }
  head_.keepAlive = head_.versionMinor == 1 ? !connClose : (connKeepAlive && !connClose);
  int s = head_.status;
  if (requestWasHead || (s >= 100 && s < 200) || s == 204 || s == 304) {
    head_.framing = ResponseHead::Framing::kNone;
  } else if (te) {
    if (teChunkedLast) {
      head_.framing = ResponseHead::Framing::kChunked;
    } else {
      head_.framing = ResponseHead::Framing::kUntilClose;
      head_.keepAlive = false;
    }
  } else if (clCount > 0) {
    head_.contentLength = cl;
    head_.framing = cl > 0 ? ResponseHead::Framing::kLength : ResponseHead::Framing::kNone;
  } else {
    head_.framing = ResponseHead::Framing::kUntilClose;
    head_.keepAlive = false;
  }
  return State::kDone;
}

}  // namespace ramp::router
