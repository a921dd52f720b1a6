#include "collectives/nccl_util.h"

#include <stdexcept>
#include <string>

namespace fb {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::kInt8:
      return ncclInt8;
    case DType::kUint8:
      return ncclUint8;
    case DType::kInt32:
      return ncclInt32;
    case DType::kUint32:
      return ncclUint32;
    case DType::kInt64:
      return ncclInt64;
    case DType::kUint64:
      return ncclUint64;
    case DType::kHalf:
      return ncclFloat16;
    case DType::kFloat:
      return ncclFloat32;
    case DType::kDouble:
      return ncclFloat64;
    case DType::kBfloat16:
      break;
  }
  return ncclBfloat16;
}

std::string nccl_version_string() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // Codes since 2.9 are major * 10000 + minor * 100 + patch (older ones * 1000 + * 100).
  const bool modern = v >= 10000;
  const int major = modern ? v / 10000 : v / 1000;
  const int minor = modern ? v / 100 % 100 : v / 100 % 10;
  std::string out = std::to_string(major);
  out += '.';
  out += std::to_string(minor);
  out += '.';
  out += std::to_string(v % 100);
  return out;
}

void throw_nccl_error(ncclResult_t r, const char* call, const char* file, int line) {
  std::string msg = call;
  msg += " failed at ";
  msg += file;
  msg += ':';
  msg += std::to_string(line);
  msg += ": ";
  msg += ncclGetErrorString(r);
  const char* last = ncclGetLastError(nullptr);
  if (last != nullptr && last[0] != '\0') {
    msg += " (";
    msg += last;
    msg += ')';
  }
  throw std::runtime_error(msg);
}

NcclComm& NcclComm::operator=(NcclComm&& o) noexcept {
  if (this != &o) {
    close();
    comm_ = o.comm_;
    stream_ = o.stream_;
    o.comm_ = nullptr;
  }
  return *this;
}

void NcclComm::close() {
  if (comm_ == nullptr) return;
  // Finish in-flight work first; a failed stream means a failed call: abort instead.
  if (cudaStreamSynchronize(stream_) == cudaSuccess) {
    (void)ncclCommDestroy(comm_);
  } else {
    (void)ncclCommAbort(comm_);
  }
  comm_ = nullptr;
}

void NcclComm::abort() {
  if (comm_ == nullptr) return;
  (void)ncclCommAbort(comm_);
  comm_ = nullptr;
}

NcclComm nccl_comm_from_world(World& world, cudaStream_t stream) {
  // The id travels with a status, so a failure on rank 0 ends every rank with a message.
  struct {
    int ok;
    ncclUniqueId id;
  } msg{};
  std::string root_error;
  if (world.rank() == 0) {
    const ncclResult_t r = ncclGetUniqueId(&msg.id);
    msg.ok = r == ncclSuccess;
    if (!msg.ok) root_error = std::string("ncclGetUniqueId failed: ") + ncclGetErrorString(r);
  }
  world.broadcast_bytes(&msg, static_cast<int>(sizeof msg), 0);
  if (!msg.ok) {
    throw std::runtime_error(world.rank() == 0 ? root_error
                                               : "rank 0 could not create the NCCL unique id");
  }
  ncclComm_t comm = nullptr;
  FB_NCCL_CHECK(ncclCommInitRank(&comm, world.size(), msg.id, world.rank()));
  return NcclComm(comm, stream);
}

}  // namespace fb
