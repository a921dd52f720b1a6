#include "kernels/reduce_cpu.h"

namespace fb {

void reduce_cpu(DType dtype, RedOp op, void* out, const void* a, const void* b, std::size_t count) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out);
    const T* x = static_cast<const T*>(a);
    const T* y = static_cast<const T*>(b);
    dispatch_redop(op, [&](auto fn) {
      for (std::size_t i = 0; i < count; ++i) o[i] = combine(x[i], y[i], fn);
    });
  });
}

void avg_finalize_cpu(DType dtype, void* buf, std::size_t count, int nranks) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(buf);
    for (std::size_t i = 0; i < count; ++i) p[i] = avg_finalize(p[i], nranks);
  });
}

}  // namespace fb
