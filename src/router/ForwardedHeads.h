// ForwardedHeads.h — the heads the router forwards, rewritten from what it
// parsed (pure functions: the fuzzer and the parser tests drive them).
//
// Request upstream: the same request line and fields in the same order,
// minus hop-by-hop fields (Connection, Keep-Alive, Proxy-Connection, TE,
// Upgrade, and every field Connection names) and Expect (the router
// answers 100-continue itself). An upgrade request (HTTP/1.1, an Upgrade
// field, and "upgrade" among the Connection options) keeps `Upgrade: <its
// value>` and gets `Connection: Upgrade`. An HTTP/1.0 request goes up as
// HTTP/1.0 with `Connection: keep-alive`. Nothing is added (no
// X-Forwarded-*). Promise (fuzzed): the result parses under
// HttpRequestParser to the same method, target, version and body framing.
//
// Both heads carry at most one field more than the parsed head (kAddedFields:
// the HTTP/1.0 keep-alive, the 101's Connection, or Connection: close) and
// at most one byte more per field (values are re-written as "name: value")
// plus kAddedBytes, so a peer whose limits are that much above the router's
// own reads them (fuzzed).
//
// Response to the client: the backend's status line and fields minus
// hop-by-hop ones; a 101 keeps `Upgrade` and says `Connection: Upgrade`;
// otherwise `Connection: close` when the router will close, or
// `Connection: keep-alive` to an HTTP/1.0 client it keeps.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "router/HttpResponseParser.h"
#include "router/RequestHead.h"
#include "router/RouteTable.h"

namespace ramp::router {

// Fields a forwarded head may have beyond those parsed (see above).
inline constexpr size_t kAddedFields = 1;
inline constexpr size_t kAddedBytes = 32;  // >= "Connection: keep-alive\r\n"

struct ForwardedRequest {
  bool upgrade = false;  // the client asked to switch protocols
  bool pinned = false;   // the request carries the pin header or cookie
};

// Writes the upstream head into `out` (cleared first).
ForwardedRequest buildUpstreamHead(const RequestHead& h, const std::optional<PinRoute>& pin, std::string& out);

// Writes the head sent to the client into `out` (cleared first).
// `statusLine` is the backend's first line including its CRLF.
void buildClientResponseHead(const ResponseHead& h, std::string_view statusLine, bool clientKeepAlive,
                             bool clientHttp10, std::string& out);

}  // namespace ramp::router
