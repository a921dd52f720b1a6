// Reduction operators as host/device functors. The CPU kernels (reduce_cpu.cc) and the CUDA
// kernels (*.cu) instantiate the same templates, so both compute bit-identical results.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/half_types.h"
#include "kernels/host_device.h"

namespace fb {

enum class RedOp : int { kSum, kProd, kMin, kMax, kAvg };

struct RedOpInfo {
  RedOp op;
  const char* name;
};
const std::vector<RedOpInfo>& all_redops();
const char* redop_name(RedOp op);
std::optional<RedOp> parse_redop(std::string_view name);

// Integer sums and products wrap modulo 2^bits (computed unsigned: no signed-overflow UB), so the
// result is the same whatever order ranks are combined in.
template <typename A>
FB_HD A wrap_add(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}
template <typename A>
FB_HD A wrap_mul(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    // Promote to at least unsigned int so uint8 * uint8 never becomes a signed int product.
    using W = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;
    return static_cast<A>(static_cast<U>(static_cast<W>(static_cast<U>(a)) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}

// Functors combine values of the arithmetic type A (float for half/bfloat16).
struct OpSum {
  template <typename A>
  FB_HD A operator()(A a, A b) const {
    return wrap_add(a, b);
  }
};
struct OpProd {
  template <typename A>
  FB_HD A operator()(A a, A b) const {
    return wrap_mul(a, b);
  }
};
struct OpMin {
  template <typename A>
  FB_HD A operator()(A a, A b) const {
    return b < a ? b : a;
  }
};
struct OpMax {
  template <typename A>
  FB_HD A operator()(A a, A b) const {
    return a < b ? b : a;
  }
};
// avg reduces with sum; avg_finalize divides by the rank count once at the end.
using OpAvg = OpSum;

// One element of the final avg: truncating division for integers, true division for floats.
template <typename T>
FB_HD T avg_finalize(T v, int nranks) {
  using A = typename Arith<T>::type;
  const A a = Arith<T>::load(v);
  if constexpr (std::is_integral_v<A>) {
    return Arith<T>::store(static_cast<A>(a / static_cast<A>(nranks)));
  } else {
    return Arith<T>::store(a / static_cast<A>(nranks));
  }
}

// Combine two stored elements with op functor Op.
template <typename T, typename Op>
FB_HD T combine(T a, T b, Op op) {
  return Arith<T>::store(op(Arith<T>::load(a), Arith<T>::load(b)));
}

// Calls f(Op{}) with the functor for `op` (avg -> OpSum).
template <typename F>
decltype(auto) dispatch_redop(RedOp op, F&& f) {
  switch (op) {
    case RedOp::kProd:
      return f(OpProd{});
    case RedOp::kMin:
      return f(OpMin{});
    case RedOp::kMax:
      return f(OpMax{});
    case RedOp::kSum:
    case RedOp::kAvg:
      break;
  }
  return f(OpSum{});
}

}  // namespace fb
