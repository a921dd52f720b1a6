// Error checking for CUDA runtime calls: a failure becomes std::runtime_error naming the call,
// file:line and CUDA's error string, so the harness can print one line and abort the job.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace fb {

[[noreturn]] inline void throw_cuda_error(cudaError_t e, const char* call, const char* file,
                                          int line) {
  throw std::runtime_error(std::string(call) + " failed at " + file + ":" + std::to_string(line) +
                           ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

}  // namespace fb

#define FB_CUDA_CHECK(call)                                            \
  do {                                                                 \
    const cudaError_t fb_cuda_err_ = (call);                           \
    if (fb_cuda_err_ != cudaSuccess)                                   \
      ::fb::throw_cuda_error(fb_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)
