// LoopbackPort.h — a free TCP port on 127.0.0.1 for a new instance.
//
// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket.
// Another process may take the port before the instance binds it; that rare
// race shows up as a failing health check and the instance is replaced by a
// fresh one on a fresh port.
#pragma once

#include "core/Result.h"

namespace ramp::providers {

Result<int> pickLoopbackPort();

}  // namespace ramp::providers
