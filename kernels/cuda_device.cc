// The CUDA build's GPU probing and device memory (cuda_device_none.cc without CUDA).
#include "kernels/cuda_device.h"

#include <cuda_runtime_api.h>

#include <stdexcept>

namespace fb {
namespace {

std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace

GpuProbe probe_gpus() {
  GpuProbe p;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    switch (e) {
      case cudaErrorInsufficientDriver:
        p.reason = "no CUDA driver, or one older than this build's runtime (";
        break;
      case cudaErrorStubLibrary:
        p.reason = "the CUDA driver is only a stub library (";
        break;
      case cudaErrorNoDevice:
        p.reason = "no CUDA device (";
        break;
      default:
        p.reason = "CUDA unavailable (";
        break;
    }
    p.reason += error_text(e) + ")";
    (void)cudaGetLastError();  // leave no error behind for later calls
    return p;
  }
  if (n <= 0) {
    p.reason = "no CUDA device visible (CUDA_VISIBLE_DEVICES?)";
    return p;
  }
  p.count = n;
  return p;
}

GpuInfo gpu_info(int dev) {
  cudaDeviceProp prop{};
  cudaError_t e = cudaGetDeviceProperties(&prop, dev);
  if (e != cudaSuccess) {
    throw std::runtime_error("cudaGetDeviceProperties(" + std::to_string(dev) +
                             ") failed: " + error_text(e));
  }
  GpuInfo info;
  info.index = dev;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.sm_count = prop.multiProcessorCount;
  info.memory_bytes = prop.totalGlobalMem;
  char bus[32] = {};
  e = cudaDeviceGetPCIBusId(bus, static_cast<int>(sizeof bus), dev);
  if (e != cudaSuccess) {
    throw std::runtime_error("cudaDeviceGetPCIBusId(" + std::to_string(dev) +
                             ") failed: " + error_text(e));
  }
  info.pci_bus_id = bus;
  return info;
}

std::string cuda_runtime_version() {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) return "none";
  return version_text(v);
}

std::string cuda_driver_version() {
  int v = 0;
  if (cudaDriverGetVersion(&v) != cudaSuccess || v == 0) return "none";
  return version_text(v);
}

void select_gpu(int dev) {
  const cudaError_t e = cudaSetDevice(dev);
  if (e != cudaSuccess) {
    throw std::runtime_error("cudaSetDevice(" + std::to_string(dev) + ") failed: " + error_text(e));
  }
}

void* device_alloc(std::size_t bytes) {
  void* p = nullptr;
  // cudaMalloc aligns to at least 256 bytes, so vector loads stay aligned for every dtype.
  const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
  if (e != cudaSuccess) {
    throw std::runtime_error("cudaMalloc(" + std::to_string(bytes) +
                             " B) failed: " + error_text(e));
  }
  return p;
}

void device_free(void* p) {
  if (p) (void)cudaFree(p);  // never throws: called from destructors
}

void device_to_host(void* host, const void* dev, std::size_t bytes) {
  if (bytes == 0) return;
  const cudaError_t e = cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) throw std::runtime_error("cudaMemcpy D2H failed: " + error_text(e));
}

void host_to_device(void* dev, const void* host, std::size_t bytes) {
  if (bytes == 0) return;
  const cudaError_t e = cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) throw std::runtime_error("cudaMemcpy H2D failed: " + error_text(e));
}

}  // namespace fb
