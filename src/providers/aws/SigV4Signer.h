// SigV4Signer.h — AWS Signature Version 4 (AWS4-HMAC-SHA256).
//
// Implements the published algorithm: canonical request, string to sign,
// signing-key derivation (kDate → kRegion → kService → "aws4_request") and
// the Authorization header. Verified against every case of the official AWS
// SigV4 test suite (tests/aws/SigV4SuiteTest.cpp); see docs/aws.md for the
// two cases that depend on a caller's choice (session token signed or added
// after signing; obsolete multi-line header folding).
//
// Contract: pure functions of their inputs (the time comes in as the
// X-Amz-Date header or as an argument); no I/O; secrets never appear in the
// outputs except as the derived signature.
#pragma once

#include <string>
#include <string_view>

#include "core/Clock.h"
#include "providers/aws/AwsCredentials.h"
#include "providers/aws/SigV4Request.h"

namespace ramp::providers::aws {

struct SigV4Options {
  // Remove "." and ".." segments and duplicate slashes (every service but S3).
  bool normalizePath = true;
  // Sign "UNSIGNED-PAYLOAD" instead of the body's hash (S3 streaming uploads).
  bool unsignedPayload = false;
  // Add X-Amz-Content-Sha256 (S3 requires it).
  bool contentSha256Header = false;
  // Include X-Amz-Security-Token in the signed headers (true: what every
  // service accepts; false: add it after signing, as a few legacy ones want).
  bool signSessionToken = true;
};

class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service, SigV4Options options = {});

  // Strict RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ becomes %XX.
  static std::string uriEncode(std::string_view s, bool keepSlash = false);
  // "20150830T123600Z" for `t` (UTC).
  static std::string amzDate(WallTime t);

  std::string canonicalUri(std::string_view path) const;
  static std::string canonicalQuery(std::string_view rawQuery);
  // "content-type;host;x-amz-date": lower-case names, sorted, unique.
  static std::string signedHeaders(const SigV4Request& req);
  std::string canonicalRequest(const SigV4Request& req) const;
  // Needs the request's X-Amz-Date header.
  std::string stringToSign(const SigV4Request& req) const;
  // The raw 32-byte signing key for date "YYYYMMDD".
  std::string signingKey(std::string_view secret, std::string_view date) const;
  std::string authorization(const SigV4Request& req, const AwsCredentials& creds) const;

  // Sets X-Amz-Date (from `now`), X-Amz-Security-Token and, if asked,
  // X-Amz-Content-Sha256, then Authorization. A Host header must be present.
  void sign(SigV4Request& req, const AwsCredentials& creds, WallTime now) const;

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  std::string payloadHash(const SigV4Request& req) const;
  std::string scope(std::string_view date) const;

  std::string region_;
  std::string service_;
  SigV4Options options_;
};

}  // namespace ramp::providers::aws
