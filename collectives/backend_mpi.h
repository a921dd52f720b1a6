#pragma once

#include <memory>

#include "collectives/backend.h"

namespace fb {
// Defined in MPI builds only (the backend registry names it only there).
std::unique_ptr<Backend> make_mpi_backend(World& world, const BackendOptions& opts);
}  // namespace fb
