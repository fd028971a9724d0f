#include "core/PercentDecoding.h"

#include "core/HexDigit.h"

namespace ramp {

std::string percentDecode(std::string_view s, PlusSign plus) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexDigitValue(s[i + 1]) >= 0 && hexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexDigitValue(s[i + 1]) * 16 + hexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' && plus == PlusSign::kSpace ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace ramp
