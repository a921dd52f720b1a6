// GPU probing and device memory in a build without CUDA: no GPU, and a reason.
#include <stdexcept>
#include <string>

#include "kernels/cuda_device.h"

namespace fb {

GpuProbe probe_gpus() { return GpuProbe{0, "built without CUDA (WITH_CUDA=OFF)"}; }

GpuInfo gpu_info(int dev) {
  throw std::runtime_error("gpu_info(" + std::to_string(dev) + "): built without CUDA");
}

std::string cuda_runtime_version() { return "none"; }
std::string cuda_driver_version() { return "none"; }

void select_gpu(int dev) {
  throw std::runtime_error("select_gpu(" + std::to_string(dev) + "): built without CUDA");
}

void* device_alloc(std::size_t) { throw std::runtime_error("device_alloc: built without CUDA"); }
void device_free(void*) {}
void device_to_host(void*, const void*, std::size_t) {
  throw std::runtime_error("device_to_host: built without CUDA");
}
void host_to_device(void*, const void*, std::size_t) {
  throw std::runtime_error("host_to_device: built without CUDA");
}

}  // namespace fb
