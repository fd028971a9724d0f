// FleetCounters.h — what the router counts for one fleet behind one entry
// point, cumulative since the fleet first appeared in a split. They start
// from zero only when the router starts or the entry point is deleted and
// made again; `resetSerial` (with the router's counters epoch, RouteState.h)
// names each such start, so readers can tell a reset from a bug.
//
// Every request the fleet was chosen for counts once in `requests` and
// once in exactly one of: a status class (the fleet's backend answered,
// relayed to the client), `upstreamErrors` (the fleet failed it: the
// router answered 502/503/504 itself, or the stable fleet served it
// instead — then `fallbacks` too), or neither (the client went away or
// its request was refused by the router as malformed). So
// errors = status5xx + upstreamErrors counts every failed request once.
//
// Owned by the io thread; plain integers, no atomics.
#pragma once

#include <cstdint>
#include <string>

#include "core/Clock.h"
#include "router/LatencyHistogram.h"

namespace ramp::router {

struct FleetCounters {
  std::string entrypoint;
  std::string fleetId;
  uint64_t requests = 0;
  uint64_t status1xx = 0;
  uint64_t status2xx = 0;
  uint64_t status3xx = 0;
  uint64_t status4xx = 0;
  uint64_t status5xx = 0;
  uint64_t upstreamErrors = 0;  // the fleet failed it (router's own 502/503/504, or fallback)
  uint64_t fallbacks = 0;       // of those, served by the stable fleet instead
  uint64_t resetSerial = 0;     // which start from zero these counters are (see above)
  WallTime since{};             // when they started
  uint64_t bytesOut = 0;        // response bytes sent to clients (head + body)
  int64_t inflight = 0;
  LatencyHistogram latency;

  void recordStatus(int status) {
    if (status < 200) ++status1xx;
    else if (status < 300) ++status2xx;
    else if (status < 400) ++status3xx;
    else if (status < 500) ++status4xx;
    else ++status5xx;
  }
};

}  // namespace ramp::router
