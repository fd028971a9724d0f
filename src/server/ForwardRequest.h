// ForwardRequest.h — a follower controller passes a request on to the leader.
//
// forwardRequest() replays an authenticated API request (same method, path
// and query, JSON body, bearer token) against the leader at "host:port" over
// plain HTTP on loopback/the cluster network, with a bounded timeout, and
// returns the leader's status and JSON body unchanged (4xx included). A
// leader that cannot be reached is kUnavailable naming its address.
#pragma once

#include <chrono>
#include <string>

#include "core/Result.h"
#include "server/ApiServer.h"

namespace ramp::server {

Result<ApiResponse> forwardRequest(const std::string& leaderAddress, const ApiRequest& request,
                                   std::chrono::milliseconds timeout);

}  // namespace ramp::server
