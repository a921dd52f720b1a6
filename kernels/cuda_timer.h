// A move-only pair of CUDA events timing work enqueued on one stream, in seconds.
#pragma once

#include <cuda_runtime_api.h>

#include <utility>

#include "kernels/cuda_check.h"

namespace fb {

class CudaEventTimer {
 public:
  CudaEventTimer() {
    FB_CUDA_CHECK(cudaEventCreate(&start_));
    const cudaError_t e = cudaEventCreate(&stop_);
    if (e != cudaSuccess) {
      (void)cudaEventDestroy(start_);
      throw_cuda_error(e, "cudaEventCreate(&stop_)", __FILE__, __LINE__);
    }
  }
  ~CudaEventTimer() {
    if (start_) (void)cudaEventDestroy(start_);
    if (stop_) (void)cudaEventDestroy(stop_);
  }
  CudaEventTimer(CudaEventTimer&& o) noexcept
      : start_(std::exchange(o.start_, nullptr)), stop_(std::exchange(o.stop_, nullptr)) {}
  CudaEventTimer& operator=(CudaEventTimer&& o) noexcept {
    std::swap(start_, o.start_);
    std::swap(stop_, o.stop_);
    return *this;
  }
  CudaEventTimer(const CudaEventTimer&) = delete;
  CudaEventTimer& operator=(const CudaEventTimer&) = delete;

  void start(cudaStream_t s) { FB_CUDA_CHECK(cudaEventRecord(start_, s)); }
  void stop(cudaStream_t s) { FB_CUDA_CHECK(cudaEventRecord(stop_, s)); }
  // Waits for the stop event; seconds between start and stop.
  double seconds() const {
    FB_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    FB_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

}  // namespace fb
