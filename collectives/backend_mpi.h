#pragma once

#include <memory>

#include "collectives/backend.h"
#include "fb_config.h"

namespace fb {
#if FB_HAVE_MPI
std::unique_ptr<Backend> make_mpi_backend(World& world, const BackendOptions& opts);
#endif
}  // namespace fb
