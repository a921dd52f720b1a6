// MPI point-to-point transport: isend/irecv on a duplicate of an MPI communicator, node-local and
// cross-node splits, and MPI-3 shared windows (MPI_Win_allocate_shared) as SharedMemory when all
// ranks of the communicator share a node.
#pragma once

#include <memory>

#include "collectives/transport.h"

namespace fb {
// MPI builds only. `mpi_comm` points to an MPI_Comm (e.g. World::native_handle()); it is
// duplicated.
std::unique_ptr<Communicator> make_mpi_communicator(void* mpi_comm);
}  // namespace fb
