#include "router/ForwardedHeads.h"

#include <vector>

#include "router/HttpSyntax.h"

namespace ramp::router {

using http::iequals;

namespace {

bool isHopByHop(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "proxy-connection") ||
         iequals(name, "te") || iequals(name, "upgrade");
}

// Names listed in Connection headers (they are hop-by-hop too).
template <class Headers>
void connectionTokens(const Headers& headers, std::vector<std::string_view>& out) {
  out.clear();
  for (const auto& [n, v] : headers)
    if (iequals(n, "connection")) http::forEachListElement(v, [&](std::string_view t) { out.push_back(t); });
}

bool listed(const std::vector<std::string_view>& tokens, std::string_view name) {
  for (auto t : tokens)
    if (iequals(t, name)) return true;
  return false;
}

bool hasCookie(std::string_view cookieHeader, std::string_view name) {
  bool found = false;
  while (!cookieHeader.empty() && !found) {
    size_t semi = cookieHeader.find(';');
    std::string_view pair = http::trimOws(cookieHeader.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) found = true;
    if (semi == std::string_view::npos) break;
    cookieHeader.remove_prefix(semi + 1);
  }
  return found;
}

thread_local std::vector<std::string_view> tokensScratch;

}  // namespace

ForwardedRequest buildUpstreamHead(const RequestHead& h, const std::optional<PinRoute>& pin, std::string& out) {
  ForwardedRequest r;
  const bool http10 = h.versionMinor == 0;
  connectionTokens(h.headers, tokensScratch);
  std::string_view upgradeValue;
  int upgradeFields = 0;
  for (const auto& [n, v] : h.headers)
    if (iequals(n, "upgrade")) {
      upgradeValue = v;
      ++upgradeFields;
    }
  r.upgrade = upgradeFields == 1 && !upgradeValue.empty() && !http10 && listed(tokensScratch, "upgrade");
  out.clear();
  out.append(h.method).append(" ").append(h.target).append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (const auto& [n, v] : h.headers) {
    if (pin) {
      if (!pin->header.empty() && iequals(n, pin->header)) r.pinned = true;
      if (!pin->cookie.empty() && iequals(n, "cookie") && hasCookie(v, pin->cookie)) r.pinned = true;
    }
    if (isHopByHop(n) || iequals(n, "expect") || listed(tokensScratch, n)) continue;
    out.append(n).append(": ").append(v).append("\r\n");
  }
  if (r.upgrade) {
    out.append("Upgrade: ").append(upgradeValue).append("\r\nConnection: Upgrade\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  return r;
}

void buildClientResponseHead(const ResponseHead& h, std::string_view statusLine, bool clientKeepAlive,
                             bool clientHttp10, std::string& out) {
  const bool switching = h.status == 101;
  out.clear();
  out.append(statusLine);
  connectionTokens(h.headers, tokensScratch);
  std::string_view upgradeValue;
  for (const auto& [n, v] : h.headers) {
    if (iequals(n, "upgrade")) upgradeValue = v;
    // Framing fields stay whatever Connection says: the client must find
    // the body where the router found it.
    bool framing = iequals(n, "content-length") || iequals(n, "transfer-encoding");
    if (isHopByHop(n) || (listed(tokensScratch, n) && !framing)) continue;
    out.append(n).append(": ").append(v).append("\r\n");
  }
  if (switching) {
    if (!upgradeValue.empty()) out.append("Upgrade: ").append(upgradeValue).append("\r\n");
    out.append("Connection: Upgrade\r\n");
  } else if (!clientKeepAlive) {
    out.append("Connection: close\r\n");
  } else if (clientHttp10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace ramp::router
