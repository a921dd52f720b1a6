// The host Engine: reductions with the CPU kernels (kernels/reduce_cpu.h), copies with memcpy.
#pragma once

#include <memory>

#include "collectives/transport.h"

namespace fb {

std::unique_ptr<Engine> make_host_engine();

}  // namespace fb
