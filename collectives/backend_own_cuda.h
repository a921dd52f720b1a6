// --backend own --device cuda: the own algorithms on GPU buffers, over the NCCL transport with
// the CUDA engine on one stream (NCCL builds only; the backend registry dispatches here).
#pragma once

#include <memory>

#include "collectives/backend.h"

namespace fb {

// Picks the GPU of the local rank; GPU buffers, NCCL transport, CUDA engine.
std::unique_ptr<Backend> make_own_cuda_backend(World& world, const BackendOptions& opts);

}  // namespace fb
