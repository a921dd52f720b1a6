// --backend nccl: the seven collectives through NCCL on GPU buffers, one GPU per rank. Also the
// NCCL helpers shared with the NCCL transport (collectives/transport_nccl.h).
#pragma once

#include <memory>
#include <string>

#include "collectives/backend.h"
#include "fb_config.h"

#if FB_HAVE_NCCL
#include <nccl.h>

namespace fb {

// Multi-process through the World control plane: rank 0 creates the ncclUniqueId and broadcasts
// it; each rank uses GPU gpu_for_local_rank(local rank). Throws std::runtime_error (no GPU,
// --device cpu, -g > 1, NCCL failure) with a one-line message.
std::unique_ptr<Backend> make_nccl_backend(World& world, const BackendOptions& opts);

ncclDataType_t nccl_type(DType t);
// "2.28.9" of the library actually loaded (which may differ from the header compiled against).
std::string nccl_version_string();

// Throws std::runtime_error naming the call, file:line and NCCL's error string (and the
// communicator's last error when `comm` is given).
[[noreturn]] void throw_nccl_error(ncclResult_t r, const char* call, const char* file, int line);

// A communicator for ranks of `world`, on the current GPU: rank 0's ncclUniqueId reaches every
// rank through World::broadcast_bytes. Collective over the world; a failure on rank 0 reaches the
// others as an error instead of a hang.
ncclComm_t nccl_comm_from_world(World& world);

}  // namespace fb

#define FB_NCCL_CHECK(call)                                            \
  do {                                                                 \
    const ncclResult_t fb_nccl_res_ = (call);                          \
    if (fb_nccl_res_ != ncclSuccess)                                   \
      ::fb::throw_nccl_error(fb_nccl_res_, #call, __FILE__, __LINE__); \
  } while (0)

#endif  // FB_HAVE_NCCL
