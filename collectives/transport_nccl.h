// NCCL send/recv as a Communicator for the suite's own algorithms on GPU buffers (NCCL builds
// only). Depends on the transport interface and the world, never on a backend.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "collectives/transport.h"
#include "collectives/world.h"

namespace fb {

// A communicator over all ranks of `world`, enqueuing on `stream` (not owned). Sends and receives
// are deferred until a wait, then posted together in one NCCL group, so "irecv, isend, wait_all"
// cannot deadlock on a stream. NCCL matches messages by posting order per peer: tags only need
// to agree, not to reorder. wait() orders later stream work after the transfer (it does not block
// the host); barrier() blocks the host.
std::unique_ptr<Communicator> make_nccl_communicator(World& world, cudaStream_t stream);

}  // namespace fb
