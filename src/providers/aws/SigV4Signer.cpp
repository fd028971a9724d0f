#include "providers/aws/SigV4Signer.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "core/PercentDecoding.h"
#include "core/Sha256.h"
#include "providers/aws/AwsTimestamp.h"

namespace ramp::providers::aws {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trim and collapse runs of whitespace (including folded line breaks) to one space.
std::string canonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Collected, lower-cased, sorted headers: name -> comma-joined canonical values.
std::map<std::string, std::string> canonicalHeaderMap(const SigV4Request& req) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : req.headers) {
    auto name = lower(canonicalValue(k));
    auto it = m.find(name);
    if (it == m.end()) {
      m.emplace(name, canonicalValue(v));
    } else {
      it->second += "," + canonicalValue(v);
    }
  }
  return m;
}

}  // namespace

SigV4Signer::SigV4Signer(std::string region, std::string service, SigV4Options options)
    : region_(std::move(region)), service_(std::move(service)), options_(options) {}

std::string SigV4Signer::uriEncode(std::string_view s, bool keepSlash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string SigV4Signer::amzDate(WallTime t) { return AwsTimestamp::formatBasic(t); }

std::string SigV4Signer::canonicalUri(std::string_view path) const {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 1;
  if (path.front() != '/') start = 0;
  bool trailingSlash = path.size() > 1 && path.back() == '/';
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = path.substr(start, end - start);
    if (options_.normalizePath) {
      if (seg.empty() || seg == ".") {
        // skip
      } else if (seg == "..") {
        if (!segments.empty()) segments.pop_back();
      } else {
        segments.push_back(seg);
      }
    } else {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  if (!options_.normalizePath) {
    // S3: the path is encoded once, exactly as given.
    return uriEncode(path, true);
  }
  for (auto seg : segments) out += "/" + uriEncode(seg);
  if (out.empty()) return "/";
  if (trailingSlash) out += "/";
  return out;
}

std::string SigV4Signer::canonicalQuery(std::string_view rawQuery) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= rawQuery.size() && !rawQuery.empty()) {
    size_t end = rawQuery.find('&', start);
    if (end == std::string_view::npos) end = rawQuery.size();
    auto part = rawQuery.substr(start, end - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string key(percentDecode(part.substr(0, eq), PlusSign::kLiteral));
      std::string value = eq == std::string_view::npos ? "" : percentDecode(part.substr(eq + 1), PlusSign::kLiteral);
      params.emplace_back(uriEncode(key), uriEncode(value));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string SigV4Signer::signedHeaders(const SigV4Request& req) {
  std::string out;
  for (const auto& [k, v] : canonicalHeaderMap(req)) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string SigV4Signer::payloadHash(const SigV4Request& req) const {
  if (options_.unsignedPayload) return "UNSIGNED-PAYLOAD";
  return sha256Hex(req.body);
}

std::string SigV4Signer::canonicalRequest(const SigV4Request& req) const {
  std::string out = req.method + "\n" + canonicalUri(req.path) + "\n" + canonicalQuery(req.query) + "\n";
  for (const auto& [k, v] : canonicalHeaderMap(req)) out += k + ":" + v + "\n";
  out += "\n" + signedHeaders(req) + "\n" + payloadHash(req);
  return out;
}

std::string SigV4Signer::scope(std::string_view date) const {
  return std::string(date) + "/" + region_ + "/" + service_ + "/aws4_request";
}

std::string SigV4Signer::stringToSign(const SigV4Request& req) const {
  std::string date = req.header("X-Amz-Date");
  return "AWS4-HMAC-SHA256\n" + date + "\n" + scope(date.substr(0, 8)) + "\n" +
         sha256Hex(canonicalRequest(req));
}

std::string SigV4Signer::signingKey(std::string_view secret, std::string_view date) const {
  std::string k = hmacSha256Raw("AWS4" + std::string(secret), date);
  k = hmacSha256Raw(k, region_);
  k = hmacSha256Raw(k, service_);
  return hmacSha256Raw(k, "aws4_request");
}

std::string SigV4Signer::authorization(const SigV4Request& req, const AwsCredentials& creds) const {
  std::string date = req.header("X-Amz-Date");
  std::string signature = hmacSha256Hex(signingKey(creds.secretAccessKey, date.substr(0, 8)), stringToSign(req));
  return "AWS4-HMAC-SHA256 Credential=" + creds.accessKeyId + "/" + scope(date.substr(0, 8)) +
         ", SignedHeaders=" + signedHeaders(req) + ", Signature=" + signature;
}

void SigV4Signer::sign(SigV4Request& req, const AwsCredentials& creds, WallTime now) const {
  req.setHeader("X-Amz-Date", amzDate(now));
  std::erase_if(req.headers, [](const auto& h) { return lower(h.first) == "authorization"; });
  if (options_.contentSha256Header) req.setHeader("X-Amz-Content-Sha256", payloadHash(req));
  bool tokenAfter = !creds.sessionToken.empty() && !options_.signSessionToken;
  if (!creds.sessionToken.empty() && options_.signSessionToken) {
    req.setHeader("X-Amz-Security-Token", creds.sessionToken);
  }
  req.headers.emplace_back("Authorization", authorization(req, creds));
  if (tokenAfter) req.setHeader("X-Amz-Security-Token", creds.sessionToken);
}

}  // namespace ramp::providers::aws
