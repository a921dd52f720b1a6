#include "collectives/transport_host.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/reduce_cpu.h"

namespace fb {
namespace {

class HostEngine final : public Engine {
 public:
  ~HostEngine() override { std::free(scratch_); }

  void reduce(DType dtype, RedOp op, void* out, const void* a, const void* b,
              std::size_t count) override {
    if (count) reduce_cpu(dtype, op, out, a, b, count);
  }
  void avg_finalize(DType dtype, void* buf, std::size_t count, int nranks) override {
    if (count && nranks > 1) avg_finalize_cpu(dtype, buf, count, nranks);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    if (bytes && dst != src) std::memcpy(dst, src, bytes);
  }
  void* scratch(std::size_t bytes) override {
    if (bytes > scratch_bytes_) {
      std::free(scratch_);
      scratch_ = nullptr;
      // Page-aligned and rounded up so vector loads stay aligned for every dtype.
      const std::size_t rounded = (bytes + 4095) / 4096 * 4096;
      scratch_ = std::aligned_alloc(4096, rounded);
      if (scratch_ == nullptr) throw std::bad_alloc();
      scratch_bytes_ = rounded;
    }
    return scratch_;
  }

 private:
  void* scratch_ = nullptr;
  std::size_t scratch_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Engine> make_host_engine() { return std::make_unique<HostEngine>(); }

}  // namespace fb
