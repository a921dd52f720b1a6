// Helpers shared by the kernel tests: random bit patterns and byte buffers with chosen alignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/half_types.h"

namespace fb::test {

// A byte buffer whose data() sits `offset` bytes past a 64-byte boundary, so kernels see both
// aligned and misaligned pointers.
class OffsetBuffer {
 public:
  OffsetBuffer(std::size_t bytes, std::size_t offset)
      : storage_(bytes + offset + 64), offset_(offset) {
    const auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
    start_ = static_cast<std::size_t>((64 - base % 64) % 64) + offset_;
  }
  unsigned char* data() { return storage_.data() + start_; }
  const unsigned char* data() const { return storage_.data() + start_; }

 private:
  std::vector<unsigned char> storage_;
  std::size_t offset_;
  std::size_t start_ = 0;
};

inline void fill_random_bytes(std::mt19937_64& rng, void* buf, std::size_t bytes) {
  auto* p = static_cast<unsigned char*>(buf);
  for (std::size_t i = 0; i < bytes; i += 8) {
    const std::uint64_t r = rng();
    std::memcpy(p + i, &r, std::min<std::size_t>(8, bytes - i));
  }
}

template <typename T>
bool is_nan_value(T v) {
  if constexpr (std::is_same_v<T, half_t>) {
    return (v.bits & 0x7fffu) > 0x7c00u;
  } else if constexpr (std::is_same_v<T, bfloat16_t>) {
    return (v.bits & 0x7fffu) > 0x7f80u;
  } else if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

}  // namespace fb::test
