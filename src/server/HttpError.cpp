#include "server/HttpError.h"

namespace ramp::server {

int httpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalid: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kFailedPrecondition: return 412;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

nlohmann::json errorBody(const Error& e) {
  nlohmann::json err{{"code", std::string(errorCodeName(e.code))}, {"message", e.message}};
  if (!e.where.empty()) err["field"] = e.where;
  return {{"error", err}};
}

Error errorFromResponse(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  Error e;
  switch (status) {
    case 400: case 413: case 422: e.code = ErrorCode::kInvalid; break;
    case 401: e.code = ErrorCode::kUnauthenticated; break;
    case 403: e.code = ErrorCode::kPermissionDenied; break;
    case 404: e.code = ErrorCode::kNotFound; break;
    case 409: e.code = ErrorCode::kConflict; break;
    case 412: e.code = ErrorCode::kFailedPrecondition; break;
    case 503: e.code = ErrorCode::kUnavailable; break;
    default: e.code = ErrorCode::kInternal;
  }
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    e.message = j["error"].value("message", "");
    e.where = j["error"].value("field", "");
  }
  if (e.message.empty()) e.message = "HTTP " + std::to_string(status) + ": " + body.substr(0, 200);
  return e;
}

}  // namespace ramp::server
