#include "collectives/backend_mpi_cuda.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>
#include <utility>

#include "collectives/backend_device.h"
#include "fb_config.h"
#include "kernels/cuda_check.h"

#if FB_HAVE_MPI
#include <mpi.h>
#if defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif
#endif
#endif

namespace fb {
namespace {

class CudaStagingBackend final : public DeviceBufferBackend {
 public:
  CudaStagingBackend(std::unique_ptr<Backend> host, std::string note)
      : host_(std::move(host)), note_(std::move(note)) {}

  ~CudaStagingBackend() override {
    for (auto& kv : allocs_) {
      device_free(kv.first);
      (void)cudaFreeHost(kv.second.host);
    }
  }

  std::string name() const override { return host_->name(); }
  std::string algorithm(const CollArgs& a) const override {
    return host_->algorithm(a) + "+host-staging";
  }
  bool supports(const CollectiveDef& coll) const override { return host_->supports(coll); }

  void run(const CollArgs& a) override {
    const std::size_t es = dtype_size(a.dtype);
    // The input is send_count elements at a.send (inside the receive buffer when in place);
    // in place, results may land anywhere in the input's span (reduce_scatter: the own chunk).
    const std::size_t in_bytes = a.counts.send_count * es;
    const std::size_t out_bytes =
        (a.in_place ? std::max(a.counts.send_count, a.counts.recv_count) : a.counts.recv_count) *
        es;
    CollArgs h = a;
    h.send = shadow(a.send, in_bytes);
    h.recv = shadow(a.recv, out_bytes);
    if (in_bytes) {
      FB_CUDA_CHECK(
          cudaMemcpy(const_cast<void*>(h.send), a.send, in_bytes, cudaMemcpyDeviceToHost));
    }
    host_->run(h);
    host_->sync();
    if (out_bytes) FB_CUDA_CHECK(cudaMemcpy(a.recv, h.recv, out_bytes, cudaMemcpyHostToDevice));
  }

  void* alloc(std::size_t bytes) override {
    void* dev = device_alloc(bytes);
    void* host = nullptr;
    const cudaError_t e = cudaMallocHost(&host, bytes == 0 ? 1 : bytes);
    if (e != cudaSuccess) {
      device_free(dev);
      throw_cuda_error(e, "cudaMallocHost (staging buffer)", __FILE__, __LINE__);
    }
    allocs_[dev] = Shadow{host, bytes};
    return dev;
  }
  void free(void* p) override {
    auto it = allocs_.find(p);
    if (it == allocs_.end()) return;
    (void)cudaFreeHost(it->second.host);
    device_free(p);
    allocs_.erase(it);
  }

  void describe(nlohmann::json& meta) const override {
    host_->describe(meta);
    meta["staging"] = note_;
  }

 private:
  struct Shadow {
    void* host;
    std::size_t bytes;
  };

  // The host address mirroring device address p (which may point inside an allocation).
  void* shadow(const void* p, std::size_t bytes) {
    const auto* c = static_cast<const unsigned char*>(p);
    auto it = allocs_.upper_bound(const_cast<void*>(p));
    if (it != allocs_.begin()) {
      --it;
      const auto* base = static_cast<const unsigned char*>(it->first);
      const auto off = static_cast<std::size_t>(c - base);
      if (c >= base && off + bytes <= std::max<std::size_t>(it->second.bytes, 1)) {
        return static_cast<unsigned char*>(it->second.host) + off;
      }
    }
    throw std::runtime_error("host staging: buffer was not allocated by this backend");
  }

  std::unique_ptr<Backend> host_;
  std::string note_;
  std::map<void*, Shadow> allocs_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_staging_backend(std::unique_ptr<Backend> host,
                                                   const std::string& note) {
  return std::make_unique<CudaStagingBackend>(std::move(host), note);
}

#if FB_HAVE_MPI
std::string mpi_cuda_awareness() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() ? "yes (MPIX_Query_cuda_support)"
                                   : "no (MPIX_Query_cuda_support: disabled at run time)";
#elif defined(MPIX_CUDA_AWARE_SUPPORT)
  return "no (the MPI library was built without CUDA support)";
#else
  return "unknown (mpi-ext.h has no MPIX_CUDA_AWARE_SUPPORT)";
#endif
}

std::unique_ptr<Backend> make_mpi_cuda_backend(std::unique_ptr<Backend> mpi_host_backend) {
  return make_cuda_staging_backend(
      std::move(mpi_host_backend),
      "GPU buffers staged through pinned host memory (device->host, MPI on host buffers, "
      "host->device), inside the timed call; MPI CUDA-aware: " +
          mpi_cuda_awareness());
}
#endif

}  // namespace fb
