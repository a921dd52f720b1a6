// The watchdog's status protocol over MPI (MPI builds only): World::make_status_channel() of the
// MPI world returns one on its own watchdog communicator.
#pragma once

#include <mpi.h>

#include <memory>

#include "collectives/world.h"

namespace fb {

// `comm` must outlive the channel; its error handler becomes MPI_ERRORS_RETURN.
std::unique_ptr<StatusChannel> make_mpi_status_channel(MPI_Comm comm);

}  // namespace fb
