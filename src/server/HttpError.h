// HttpError.h — how the API reports failures: an HTTP status and a JSON body
//   {"error": {"code": "invalid", "message": "...", "field": "version"}}
// mapped from ramp's ErrorCode, so scripts can branch on `code` and people
// can read `message` and `field`.
#pragma once

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::server {

int httpStatusFor(ErrorCode code);
nlohmann::json errorBody(const Error& e);
// The reverse, for clients: an error body (or any failed response) to an Error.
Error errorFromResponse(int status, const std::string& body);

}  // namespace ramp::server
