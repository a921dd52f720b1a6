// NCCL helpers shared by --backend nccl and the NCCL transport of the own backend: errors as
// exceptions, type mapping, the library version, and one owned communicator (NCCL builds only).
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string>

#include "collectives/world.h"
#include "kernels/dtype.h"

namespace fb {

ncclDataType_t nccl_type(DType t);
// "2.28.9" of the library actually loaded (which may differ from the header compiled against).
std::string nccl_version_string();

// Throws std::runtime_error naming the call, file:line and NCCL's error string (and NCCL's last
// error when it has one).
[[noreturn]] void throw_nccl_error(ncclResult_t r, const char* call, const char* file, int line);

// An owned NCCL communicator and the stream its work is enqueued on (not owned; it must outlive
// the communicator). Destruction finishes in-flight work and destroys it, or aborts it when the
// stream failed; abort() after an error makes peers fail instead of waiting for this rank.
class NcclComm {
 public:
  NcclComm() = default;
  NcclComm(ncclComm_t comm, cudaStream_t stream) : comm_(comm), stream_(stream) {}
  ~NcclComm() { close(); }
  NcclComm(NcclComm&& o) noexcept : comm_(o.comm_), stream_(o.stream_) { o.comm_ = nullptr; }
  NcclComm& operator=(NcclComm&& o) noexcept;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  ncclComm_t get() const { return comm_; }
  cudaStream_t stream() const { return stream_; }
  explicit operator bool() const { return comm_ != nullptr; }
  // Synchronises the stream, then destroys the communicator (aborts it if the sync failed).
  void close();
  void abort();

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

// A communicator for ranks of `world`, on the current GPU, enqueuing on `stream`: rank 0's
// ncclUniqueId reaches every rank through World::broadcast_bytes. Collective over the world; a
// failure on rank 0 reaches the others as an error instead of a hang.
NcclComm nccl_comm_from_world(World& world, cudaStream_t stream);

}  // namespace fb

#define FB_NCCL_CHECK(call)                                            \
  do {                                                                 \
    const ncclResult_t fb_nccl_res_ = (call);                          \
    if (fb_nccl_res_ != ncclSuccess)                                   \
      ::fb::throw_nccl_error(fb_nccl_res_, #call, __FILE__, __LINE__); \
  } while (0)
