// HexDigit.h — the value of one hexadecimal digit, either case: '0'..'9',
// 'a'..'f', 'A'..'F' -> 0..15; anything else -> -1. For the readers of hex
// written by others (percent-encoding, core/PercentDecoding.h; chunk
// sizes in the router's HTTP/1.1 bodies). core/Sha256.h writes hex.
#pragma once

namespace ramp {

constexpr int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace ramp
