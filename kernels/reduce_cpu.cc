#include "kernels/reduce_cpu.h"

#include <stdexcept>
#include <string>

#include "kernels/cpu_kernels.h"

namespace fb {

namespace detail {

const CpuKernels& cpu_kernels(CpuIsa isa) {
  if (!cpu_isa_supported(isa)) {
    throw std::runtime_error(std::string("CPU kernels: instruction set ") + cpu_isa_name(isa) +
                             " is not supported on this CPU");
  }
  switch (isa) {
#if defined(__x86_64__) || defined(__i386__)
    case CpuIsa::kAvx2:
      return cpu_kernels_avx2();
    case CpuIsa::kAvx512:
      return cpu_kernels_avx512();
#endif
    default:
      break;
  }
  return cpu_kernels_generic();
}

}  // namespace detail

namespace {

const detail::CpuKernels& active() {
  static const detail::CpuKernels& kActive = detail::cpu_kernels(active_cpu_isa());
  return kActive;
}

void check_many(const void* const* in, int k) {
  if (k < 1 || in == nullptr) {
    throw std::runtime_error("reduce_many_cpu: needs at least one input, got " + std::to_string(k));
  }
}

}  // namespace

void reduce_cpu(DType dtype, RedOp op, void* out, const void* a, const void* b, std::size_t count) {
  active().reduce(dtype, op, out, a, b, count);
}

void avg_finalize_cpu(DType dtype, void* buf, std::size_t count, int nranks) {
  active().avg_finalize(dtype, buf, count, nranks);
}

void reduce_many_cpu(DType dtype, RedOp op, void* out, const void* const* in, int k,
                     std::size_t count) {
  check_many(in, k);
  active().reduce_many(dtype, op, out, in, k, count);
}

void reduce_cpu(CpuIsa isa, DType dtype, RedOp op, void* out, const void* a, const void* b,
                std::size_t count) {
  detail::cpu_kernels(isa).reduce(dtype, op, out, a, b, count);
}

void avg_finalize_cpu(CpuIsa isa, DType dtype, void* buf, std::size_t count, int nranks) {
  detail::cpu_kernels(isa).avg_finalize(dtype, buf, count, nranks);
}

void reduce_many_cpu(CpuIsa isa, DType dtype, RedOp op, void* out, const void* const* in, int k,
                     std::size_t count) {
  check_many(in, k);
  detail::cpu_kernels(isa).reduce_many(dtype, op, out, in, k, count);
}

}  // namespace fb
