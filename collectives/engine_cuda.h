// The CUDA side of --backend own --device cuda: an Engine whose reductions and copies are CUDA
// kernels on one stream (the stream the NCCL transport also uses, so stream order carries every
// data dependency between a receive and the reduction that reads it).
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "collectives/transport.h"

namespace fb {

// Enqueues on `stream` (not owned). sync() waits for the stream.
std::unique_ptr<Engine> make_cuda_engine(cudaStream_t stream);

}  // namespace fb
