// PercentDecoding.h — %XX escapes back to bytes (RFC 3986): the readers of
// URLs and query strings (the API server's paths and queries, SigV4's
// canonical query). A '%' not followed by two hex digits stays as it is.
// PlusSign::kSpace also reads '+' as a space (HTML form encoding, as query
// strings from browsers use it); kLiteral keeps it (SigV4).
#pragma once

#include <string>
#include <string_view>

namespace ramp {

enum class PlusSign { kLiteral, kSpace };

std::string percentDecode(std::string_view s, PlusSign plus);

}  // namespace ramp
