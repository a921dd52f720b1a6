// --backend nccl: the seven collectives through NCCL on GPU buffers, one GPU per rank (defined
// in NCCL builds only; the backend registry names it only there).
#pragma once

#include <memory>

#include "collectives/backend.h"

namespace fb {

// Multi-process through the World control plane: rank 0 creates the ncclUniqueId and broadcasts
// it; each rank uses GPU gpu_for_rank(local rank, GPUs, NCCL_TESTS_DEVICE). Throws
// std::runtime_error (no GPU,
// --device cpu, -g > 1, NCCL failure) with a one-line message.
std::unique_ptr<Backend> make_nccl_backend(World& world, const BackendOptions& opts);

}  // namespace fb
