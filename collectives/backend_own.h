// --backend own: the suite's own algorithms (collectives/algorithm.h) over a Communicator and an
// Engine. On the CPU: the MPI point-to-point transport (shared windows within a node) and the
// host engine; a GPU build plugs in an NCCL transport and a CUDA engine through
// make_own_backend_with (collectives/backend_own_cuda.h).
#pragma once

#include <memory>
#include <string>

#include "collectives/backend.h"
#include "collectives/transport.h"

namespace fb {

// Host buffers (opts.device kCpu; throws otherwise): threads, MPI or self transport. `opts.algo`
// is a registered algorithm name or "auto" (validated here; "list" is the caller's job: print
// format_algorithm_list()).
std::unique_ptr<Backend> make_own_backend(World& world, const BackendOptions& opts);

// The same backend over any transport and engine; `transport` names them in the metadata.
std::unique_ptr<Backend> make_own_backend_with(std::unique_ptr<Communicator> comm,
                                               std::unique_ptr<Engine> engine,
                                               const BackendOptions& opts,
                                               const std::string& transport);

}  // namespace fb
