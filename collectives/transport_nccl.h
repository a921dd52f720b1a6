// NCCL send/recv as a Communicator for the suite's own algorithms on GPU buffers, and the factory
// of --backend own --device cuda (NCCL transport + CUDA engine on one stream).
#pragma once

#include <memory>

#include "collectives/backend.h"
#include "collectives/transport.h"
#include "fb_config.h"

#if FB_HAVE_NCCL
#include <cuda_runtime_api.h>

namespace fb {

// A communicator over all ranks of `world`, enqueuing on `stream` (not owned). Sends and receives
// are deferred until a wait, then posted together in one NCCL group, so "irecv, isend, wait_all"
// cannot deadlock on a stream. NCCL matches messages by posting order per peer: tags only need
// to agree, not to reorder. wait() orders later stream work after the transfer (it does not block
// the host); barrier() blocks the host.
std::unique_ptr<Communicator> make_nccl_communicator(World& world, cudaStream_t stream);

// --backend own --device cuda: make_own_backend delegates here. Picks the GPU of the local rank,
// GPU buffers, NCCL transport, CUDA engine.
std::unique_ptr<Backend> make_own_cuda_backend(World& world, const BackendOptions& opts);

}  // namespace fb
#endif  // FB_HAVE_NCCL
