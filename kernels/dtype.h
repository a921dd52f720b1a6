// Element types: one table drives names, sizes and dispatch to typed code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/half_types.h"

namespace fb {

enum class DType : int {
  kInt8,
  kUint8,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kHalf,
  kFloat,
  kDouble,
  kBfloat16,
};

struct DTypeInfo {
  DType dtype;
  const char* name;     // nccl-tests spelling, used on the command line and in results
  std::size_t size;     // bytes per element
  bool is_float;        // floating point (including half and bfloat16)
  int mantissa_digits;  // exact integers up to 2^mantissa_digits (integers: value bits)
};

// All types, in the order `-d all` runs them.
const std::vector<DTypeInfo>& all_dtypes();
const DTypeInfo& dtype_info(DType t);
inline const char* dtype_name(DType t) { return dtype_info(t).name; }
inline std::size_t dtype_size(DType t) { return dtype_info(t).size; }
// Accepts the canonical names plus the aliases nccl-tests accepts (e.g. "fp32", "bf16").
std::optional<DType> parse_dtype(std::string_view name);

// Calls f(T{}) with T the C++ type of `t`.
template <typename F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
  switch (t) {
    case DType::kInt8:
      return f(std::int8_t{});
    case DType::kUint8:
      return f(std::uint8_t{});
    case DType::kInt32:
      return f(std::int32_t{});
    case DType::kUint32:
      return f(std::uint32_t{});
    case DType::kInt64:
      return f(std::int64_t{});
    case DType::kUint64:
      return f(std::uint64_t{});
    case DType::kHalf:
      return f(half_t{});
    case DType::kFloat:
      return f(float{});
    case DType::kDouble:
      return f(double{});
    case DType::kBfloat16:
      break;
  }
  return f(bfloat16_t{});
}

}  // namespace fb
