// GPU buffers for a host-buffer backend: --backend mpi --device cuda (and any backend whose
// collectives only take host memory). Buffers live on the GPU; each call copies its input to a
// pinned host shadow, runs the host backend there and copies the result back, all inside the
// timed call, and the metadata says so.
#pragma once

#include <memory>
#include <string>

#include "collectives/backend.h"

namespace fb {

// CUDA builds only. `host` runs on host buffers; `note` describes the staging for the results'
// metadata.
std::unique_ptr<Backend> make_cuda_staging_backend(std::unique_ptr<Backend> host,
                                                   const std::string& note);

// CUDA builds with MPI only. The MPI backend on GPU buffers: make_mpi_backend delegates here
// when opts.device == kCuda. The MPI library's CUDA awareness (MPIX_Query_cuda_support where
// mpi-ext.h provides it) is recorded; the data always stage through pinned host memory, because the
// MPI backend also touches its buffers on the host (avg division, 16-bit float operators, in-place
// moves).
std::unique_ptr<Backend> make_mpi_cuda_backend(std::unique_ptr<Backend> mpi_host_backend);
// "yes (...)", "no (...)" or "unknown (...)": what the MPI library says of CUDA buffers.
std::string mpi_cuda_awareness();

}  // namespace fb
