#include "collectives/backend_own_cuda.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "collectives/backend_device.h"
#include "collectives/backend_own.h"
#include "collectives/engine_cuda.h"
#include "collectives/nccl_util.h"
#include "collectives/transport_nccl.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_device.h"

namespace fb {
namespace {

// Owns the stream the transport and engine share; destroyed after both (declared first).
class StreamOwner {
 public:
  StreamOwner() { FB_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~StreamOwner() { (void)cudaStreamDestroy(s_); }
  StreamOwner(const StreamOwner&) = delete;
  StreamOwner& operator=(const StreamOwner&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// The own backend on GPU buffers, holding the stream it enqueues on (destroyed after it).
class OwnCudaBackend final : public DeviceBufferBackend {
 public:
  OwnCudaBackend(std::unique_ptr<StreamOwner> stream, std::unique_ptr<Backend> inner)
      : stream_(std::move(stream)), inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::string algorithm(const CollArgs& a) const override { return inner_->algorithm(a); }
  bool supports(const CollectiveDef& c) const override { return inner_->supports(c); }
  void run(const CollArgs& a) override { inner_->run(a); }
  void sync() override { inner_->sync(); }
  std::vector<double> time_iterations(const CollArgs& a, int iters,
                                      CallObserver* observer) override {
    return inner_->time_iterations(a, iters, observer);
  }
  void describe(nlohmann::json& meta) const override {
    inner_->describe(meta);
    meta["nccl_version"] = nccl_version_string();
    meta["own_engine"] = "CUDA kernels (kernels/reduce_cuda.h) on the transport's stream";
  }

 private:
  std::unique_ptr<StreamOwner> stream_;  // destroyed last
  std::unique_ptr<Backend> inner_;
};

}  // namespace

std::unique_ptr<Backend> make_own_cuda_backend(World& world, const BackendOptions& opts) {
  const GpuProbe probe = probe_gpus();
  if (probe.count == 0) throw std::runtime_error("backend own --device cuda: " + probe.reason);
  const int dev = gpu_for_rank(world.local_rank(), probe.count, opts.first_device);
  if (dev < 0) {
    throw std::runtime_error("backend own: NCCL_TESTS_DEVICE=" + std::to_string(opts.first_device) +
                             " + local rank " + std::to_string(world.local_rank()) +
                             " is not a visible GPU");
  }
  select_gpu(dev);
  auto stream = std::make_unique<StreamOwner>();
  std::unique_ptr<Backend> own =
      make_own_backend_with(make_nccl_communicator(world, stream->get()),
                            make_cuda_engine(stream->get()), opts, "nccl p2p");
  return std::make_unique<OwnCudaBackend>(std::move(stream), std::move(own));
}

}  // namespace fb
