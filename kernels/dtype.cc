#include "kernels/dtype.h"

#include <stdexcept>

namespace fb {

const std::vector<DTypeInfo>& all_dtypes() {
  static const std::vector<DTypeInfo> kTypes = {
      {DType::kInt8, "int8", 1, false, 7},     {DType::kUint8, "uint8", 1, false, 8},
      {DType::kInt32, "int32", 4, false, 31},  {DType::kUint32, "uint32", 4, false, 32},
      {DType::kInt64, "int64", 8, false, 63},  {DType::kUint64, "uint64", 8, false, 64},
      {DType::kHalf, "half", 2, true, 11},     {DType::kFloat, "float", 4, true, 24},
      {DType::kDouble, "double", 8, true, 53}, {DType::kBfloat16, "bfloat16", 2, true, 8},
  };
  return kTypes;
}

const DTypeInfo& dtype_info(DType t) {
  for (const auto& info : all_dtypes()) {
    if (info.dtype == t) return info;
  }
  throw std::logic_error("dtype_info: unknown DType value");
}

std::optional<DType> parse_dtype(std::string_view name) {
  struct Alias {
    const char* name;
    DType dtype;
  };
  static const Alias kAliases[] = {
      {"char", DType::kInt8},     {"int", DType::kInt32},    {"uint", DType::kUint32},
      {"fp16", DType::kHalf},     {"float16", DType::kHalf}, {"fp32", DType::kFloat},
      {"float32", DType::kFloat}, {"fp64", DType::kDouble},  {"float64", DType::kDouble},
      {"bf16", DType::kBfloat16},
  };
  for (const auto& info : all_dtypes()) {
    if (name == info.name) return info.dtype;
  }
  for (const auto& a : kAliases) {
    if (name == a.name) return a.dtype;
  }
  return std::nullopt;
}

}  // namespace fb
