// HeapArenas.h — bounds the C library's malloc arenas for a long-running,
// many-threaded process (the controller).
//
// glibc gives threads up to 8 arenas per core; memory freed into one arena
// is reused only by threads that use that arena. The controller's worker
// threads each build and drop large short-lived objects (a 10,000-row entry
// point reload every 30 s, deployment lists), so every arena grows to its
// own high-water mark: measured at full size (bench/controller, 8 workers,
// 2 cores) the resident size climbed 109 -> 172 MB in 175 s and was still
// climbing; with the arenas bounded it was 68 -> 90 MB and flat from 90 s
// on, at the same phase and API latencies (docs/benchmarks.md, session 10).
//
// boundHeapArenas(): at most max(2, cores) arenas (mallopt M_ARENA_MAX).
// Call it once, before the process starts its threads. An explicit
// MALLOC_ARENA_MAX in the environment wins (the operator's choice).
// Returns the bound set (0: left as it was).
#pragma once

namespace ramp {

int boundHeapArenas();

}  // namespace ramp
