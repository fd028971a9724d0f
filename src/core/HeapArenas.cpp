#include "core/HeapArenas.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace ramp {

int boundHeapArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return 0;
  const int arenas = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  return mallopt(M_ARENA_MAX, arenas) == 1 ? arenas : 0;
}

}  // namespace ramp
