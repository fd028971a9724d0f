// AwsError.h — an error answer from an AWS API, typed, and its ramp Error.
//
// parse() reads the error formats of every protocol ramp uses: Query and
// REST-XML (<ErrorResponse><Error><Code/>...), EC2 (<Response><Errors>
// <Error>...<RequestID/>), JSON 1.0/1.1 ({"__type": "...#Code", "message"}
// or the X-Amzn-ErrorType header) and moto's XML errors for JSON services.
// toError() maps it onto ramp's ErrorCode:
//   throttling / 5xx            -> kUnavailable
//   *NotFound*, NoSuch*, 404    -> kNotFound
//   *AlreadyExists*, Duplicate*, ResourceInUse, *Conflict*, 409 -> kConflict
//   signature / unknown key / expired token -> kUnauthenticated
//   AccessDenied*, UnauthorizedOperation, 403 -> kPermissionDenied
//   other 4xx                   -> kInvalid
// Error.message starts with "<Code>: " so callers can branch on the AWS
// code with codeOf(); Error.where is "aws:<service>:<Action>".
// Error.permanent (core/Result.h) is set when sending the request again
// cannot succeed: bad credentials or signature, access denied, a request
// AWS refuses as invalid (ValidationError, InvalidParameterValue, ...), an
// image, subnet, security group or VPC that does not exist. Throttling,
// 5xx and any other "not found" are not: a resource ramp just made may not
// be visible yet (eventual consistency) — callers that looked something up
// by name and know it should exist mark their own error permanent.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace ramp::providers::aws {

struct AwsError {
  std::string code;
  std::string message;
  std::string requestId;
  int httpStatus = 0;
  bool throttling = false;

  static AwsError parse(int httpStatus, std::string_view body, const std::map<std::string, std::string>& headers);
  ErrorCode rampCode() const;
  bool permanent() const;
  Error toError(std::string_view service, std::string_view action) const;
  // The AWS error code of an Error made by toError(), "" otherwise.
  static std::string codeOf(const Error& e);
};

}  // namespace ramp::providers::aws
