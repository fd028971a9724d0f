// Sha256.h — SHA-256 and HMAC-SHA256 over OpenSSL, hex encoded.
//
// Used for release digests, config digests, the audit hash chain, token
// hashes and webhook signatures.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ramp {

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  // Lower-case hex of the 32-byte digest. The hasher is spent afterwards.
  std::string finishHex();
  // The raw 32 bytes.
  std::string finishRaw();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256Hex(std::string_view data);
std::string hmacSha256Raw(std::string_view key, std::string_view data);
std::string hmacSha256Hex(std::string_view key, std::string_view data);
std::string toHex(std::string_view bytes);
// Cryptographically random bytes, hex encoded (2 * n characters).
std::string randomHex(size_t n);

}  // namespace ramp
