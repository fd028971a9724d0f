#include "providers/aws/AwsError.h"

#include <nlohmann/json.hpp>

#include "providers/aws/RetryPolicy.h"
#include "providers/aws/XmlDoc.h"

namespace ramp::providers::aws {
namespace {

bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

std::string afterHash(std::string s) {
  if (auto h = s.rfind('#'); h != std::string::npos) s = s.substr(h + 1);
  if (auto c = s.find(':'); c != std::string::npos) s = s.substr(0, c);
  return s;
}

}  // namespace

AwsError AwsError::parse(int httpStatus, std::string_view body, const std::map<std::string, std::string>& headers) {
  AwsError e;
  e.httpStatus = httpStatus;
  if (auto it = headers.find("x-amzn-requestid"); it != headers.end()) e.requestId = it->second;
  if (auto it = headers.find("x-amz-request-id"); it != headers.end() && e.requestId.empty()) e.requestId = it->second;
  auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '<') {
    if (auto doc = XmlDoc::parse(body)) {
      auto root = doc->root();
      auto err = root.find("Error");
      if (!err.valid()) err = root;  // S3-style <Error> root
      e.code = err.get("Code");
      e.message = err.get("Message");
      if (e.message.empty()) e.message = err.get("message");
      for (auto id : {"RequestId", "RequestID"}) {
        if (e.requestId.empty()) e.requestId = root.find(id).text();
        if (e.requestId.empty()) e.requestId = root.get(id);
      }
    }
  } else if (first != std::string_view::npos && body[first] == '{') {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object()) {
      if (j.contains("__type") && j["__type"].is_string()) e.code = afterHash(j["__type"].get<std::string>());
      for (auto k : {"message", "Message"}) {
        if (j.contains(k) && j[k].is_string()) e.message = j[k].get<std::string>();
      }
    }
  }
  if (auto it = headers.find("x-amzn-errortype"); it != headers.end() && e.code.empty()) {
    e.code = afterHash(it->second);
  }
  if (e.code.empty()) {
    e.code = httpStatus >= 500 ? "InternalFailure" : "HTTP" + std::to_string(httpStatus);
    if (e.message.empty()) {
      std::string snippet(body.substr(0, 200));
      e.message = snippet.empty() ? "no error body" : snippet;
    }
  }
  e.throttling = RetryPolicy::classify(httpStatus, e.code) == FailureKind::kThrottling;
  return e;
}

ErrorCode AwsError::rampCode() const {
  if (throttling || httpStatus >= 500) return ErrorCode::kUnavailable;
  if (code == "SignatureDoesNotMatch" || code == "InvalidClientTokenId" || code == "UnrecognizedClientException" ||
      code == "AuthFailure" || code == "ExpiredToken" || code == "ExpiredTokenException" ||
      code == "IncompleteSignature" || code == "MissingAuthenticationToken" || code == "InvalidAccessKeyId" ||
      code == "InvalidSignatureException" || httpStatus == 401) {
    return ErrorCode::kUnauthenticated;
  }
  if (contains(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "Forbidden") {
    return ErrorCode::kPermissionDenied;
  }
  if (contains(code, "NotFound") || code.starts_with("NoSuch") || httpStatus == 404) return ErrorCode::kNotFound;
  if (contains(code, "AlreadyExists") || code.starts_with("Duplicate") || code == "ResourceInUse" ||
      contains(code, "Conflict") || contains(code, "InUse") || httpStatus == 409) {
    return ErrorCode::kConflict;
  }
  if (httpStatus == 403) return ErrorCode::kPermissionDenied;
  return ErrorCode::kInvalid;
}

bool AwsError::permanent() const {
  if (throttling || httpStatus >= 500) return false;
  ErrorCode c = rampCode();
  if (c == ErrorCode::kUnauthenticated || c == ErrorCode::kPermissionDenied) return true;
  // The request as such is refused: sending it again cannot succeed.
  static const char* const kRefused[] = {"ValidationError",        "ValidationException",
                                         "InvalidParameterValue",  "InvalidParameterValues",
                                         "InvalidParameterValueException",
                                         "InvalidParameterCombination", "InvalidParameter",
                                         "InvalidParameterException", "MissingParameter",
                                         "InvalidAction",          "InvalidInput",
                                         "MalformedInput",         "OptInRequired",
                                         "UnsupportedOperation",   "InvalidAMIID.NotFound",
                                         "InvalidAMIID.Malformed", "InvalidAMIID.Unavailable",
                                         "InvalidSubnetID.NotFound", "InvalidGroup.NotFound",
                                         "InvalidVpcID.NotFound",  "InvalidClientTokenId",
                                         "ParameterNotFound"};
  for (const char* k : kRefused) {
    if (code == k) return true;
  }
  return false;
}

Error AwsError::toError(std::string_view service, std::string_view action) const {
  std::string msg = code + ": " + (message.empty() ? "(no message)" : message) + " (HTTP " +
                    std::to_string(httpStatus);
  if (!requestId.empty()) msg += ", request id " + requestId;
  msg += ")";
  Error e{rampCode(), std::move(msg), "aws:" + std::string(service) + ":" + std::string(action)};
  e.permanent = permanent();
  return e;
}

std::string AwsError::codeOf(const Error& e) {
  if (!e.where.starts_with("aws:")) return {};
  auto colon = e.message.find(": ");
  return colon == std::string::npos ? std::string() : e.message.substr(0, colon);
}

}  // namespace ramp::providers::aws
