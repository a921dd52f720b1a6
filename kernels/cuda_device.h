// GPU detection, description and device memory, safe to call before any other CUDA call and in
// binaries built without CUDA (cuda_device_none.cc: CMake picks one of the two). The harness asks
// probe_gpus() first to choose between CPU and CUDA mode: with the static CUDA runtime, a machine
// without a driver or device answers here with a reason instead of failing later.
#pragma once

#include <cstddef>
#include <string>

namespace fb {

struct GpuProbe {
  int count = 0;       // usable CUDA devices visible to this process
  std::string reason;  // why count is 0 ("built without CUDA", "no CUDA driver ...", ...)
};

// cudaGetDeviceCount, with every failure (no driver, stub library, no device) mapped to count 0
// and a one-line reason. Never throws.
GpuProbe probe_gpus();

struct GpuInfo {
  int index = -1;
  std::string name;        // "NVIDIA H100 80GB HBM3"
  std::string pci_bus_id;  // "0000:3B:00.0"
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  std::size_t memory_bytes = 0;
};

// Description of device `dev`; throws std::runtime_error if it cannot be queried.
GpuInfo gpu_info(int dev);
inline std::string gpu_pci_bus_id(int dev) { return gpu_info(dev).pci_bus_id; }

// "13.0" style versions; "none" when absent (driver missing or built without CUDA).
std::string cuda_runtime_version();
std::string cuda_driver_version();

// The device a rank uses: its local rank modulo the devices visible, so `mpirun -np 8` on an
// 8-GPU node, or `-g 8` (ranks as threads of one process), gives each rank its own GPU.
inline int gpu_for_local_rank(int local_rank, int device_count) {
  if (device_count <= 0) return -1;
  return local_rank % device_count;
}

// nccl-tests' NCCL_TESTS_DEVICE: with `first_device` >= 0, local rank i uses GPU first_device + i
// (-1 when that is not a visible device); otherwise gpu_for_local_rank.
inline int gpu_for_rank(int local_rank, int device_count, int first_device) {
  if (first_device < 0) return gpu_for_local_rank(local_rank, device_count);
  const int dev = first_device + local_rank;
  return dev < device_count ? dev : -1;
}

// cudaSetDevice(dev); throws std::runtime_error with the CUDA error on failure.
void select_gpu(int dev);

// Device memory on the current GPU (the GPU backends' buffers: collectives/backend_device.h).
// Synchronous; throw std::runtime_error with the CUDA error (or "built without CUDA").
void* device_alloc(std::size_t bytes);
void device_free(void* p);
void device_to_host(void* host, const void* dev, std::size_t bytes);
void host_to_device(void* dev, const void* host, std::size_t bytes);

}  // namespace fb
