// Result.h — how expected failures travel in ramp.
//
// Every operation that can fail for a reason a user can act on (bad input,
// a missing object, a conflict, an unreachable peer) returns a Result<T> or a
// Status, never throws. Exceptions from third-party libraries are caught at
// the boundary that calls them and turned into an Error. Assertions are only
// for bugs.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace ramp {

enum class ErrorCode {
  kInvalid,             // bad input: config, flag, API body, request
  kNotFound,            // the named object does not exist
  kConflict,            // would clash with existing state (lock held, version taken)
  kFailedPrecondition,  // the world is not in a state that allows this
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // credentials fine, role insufficient
  kUnavailable,         // a peer (controller, router, store, cloud) did not answer
  kInternal,            // a bug or an unexpected failure of the machine
};

std::string_view errorCodeName(ErrorCode code);

// An error says what went wrong and, where it can, where: a FILE:LINE:COL, a
// JSON field path, a flag name, an id.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string where;
  // Trying again cannot change the answer (a provider's permanent refusal:
  // AWS access denied, an invalid parameter). The engine ends the phase at
  // once with it as the reason instead of retrying on every tick
  // (engine/PhaseTable.h, trigger "error"). Default: may be retried.
  bool permanent = false;

  // "where: message", or just the message when there is no place.
  std::string describe() const {
    return where.empty() ? message : where + ": " + message;
  }
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message,
                                   std::string where = {}) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(where)});
}
inline std::unexpected<Error> invalid(std::string message, std::string where = {}) {
  return fail(ErrorCode::kInvalid, std::move(message), std::move(where));
}
inline std::unexpected<Error> notFound(std::string message, std::string where = {}) {
  return fail(ErrorCode::kNotFound, std::move(message), std::move(where));
}
inline std::unexpected<Error> internal(std::string message, std::string where = {}) {
  return fail(ErrorCode::kInternal, std::move(message), std::move(where));
}
inline std::unexpected<Error> unavailable(std::string message, std::string where = {}) {
  return fail(ErrorCode::kUnavailable, std::move(message), std::move(where));
}
inline std::unexpected<Error> conflict(std::string message, std::string where = {}) {
  return fail(ErrorCode::kConflict, std::move(message), std::move(where));
}
inline std::unexpected<Error> failedPrecondition(std::string message, std::string where = {}) {
  return fail(ErrorCode::kFailedPrecondition, std::move(message), std::move(where));
}

// A permanent failure (see Error::permanent).
inline std::unexpected<Error> permanentFailure(ErrorCode code, std::string message, std::string where = {}) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(where), true});
}

inline Status ok() { return {}; }

}  // namespace ramp
