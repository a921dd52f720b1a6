#include "collectives/engine_cuda.h"

#include <utility>

#include "kernels/cuda_check.h"
#include "kernels/reduce_cuda.h"

namespace fb {
namespace {

class CudaEngine final : public Engine {
 public:
  explicit CudaEngine(cudaStream_t stream) : stream_(stream) {}
  ~CudaEngine() override {
    if (scratch_ != nullptr) {
      (void)cudaStreamSynchronize(stream_);
      (void)cudaFree(scratch_);
    }
  }

  void reduce(DType dtype, RedOp op, void* out, const void* a, const void* b,
              std::size_t count) override {
    reduce2_cuda(dtype, op, out, a, b, count, stream_);
  }
  void avg_finalize(DType dtype, void* buf, std::size_t count, int nranks) override {
    avg_finalize_cuda(dtype, buf, count, nranks, stream_);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    if (bytes == 0 || dst == src) return;
    FB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream_));
  }
  void* scratch(std::size_t bytes) override {
    if (bytes > scratch_bytes_) {
      // Queued work may still read the old scratch: wait before freeing it.
      if (scratch_ != nullptr) {
        FB_CUDA_CHECK(cudaStreamSynchronize(stream_));
        FB_CUDA_CHECK(cudaFree(scratch_));
        scratch_ = nullptr;
        scratch_bytes_ = 0;
      }
      FB_CUDA_CHECK(cudaMalloc(&scratch_, bytes));
      scratch_bytes_ = bytes;
    }
    return scratch_;
  }
  void sync() override { FB_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_;
  void* scratch_ = nullptr;
  std::size_t scratch_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_cuda_engine(cudaStream_t stream) {
  return std::make_unique<CudaEngine>(stream);
}

}  // namespace fb
