// Base of the GPU backends: their buffers are device memory on the current GPU
// (kernels/cuda_device.h).
#pragma once

#include <cstddef>

#include "collectives/backend.h"
#include "kernels/cuda_device.h"

namespace fb {

class DeviceBufferBackend : public Backend {
 public:
  void* alloc(std::size_t bytes) override { return device_alloc(bytes); }
  void free(void* p) override { device_free(p); }
  void copy_to_host(void* host, const void* buf, std::size_t bytes) override {
    device_to_host(host, buf, bytes);
  }
  void copy_from_host(void* buf, const void* host, std::size_t bytes) override {
    host_to_device(buf, host, bytes);
  }
};

}  // namespace fb
