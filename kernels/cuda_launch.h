// Host-side launch planning for the CUDA kernels, in plain C++ so the CPU tests cover it: grid
// geometry for grid-stride loops, and the split of a buffer range into a scalar head, 16-byte
// vectors and a scalar tail.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace fb {

constexpr std::size_t kVecBytes = 16;  // one 128-bit load or store per thread
constexpr int kReduceThreads = 512;    // threads per block of the reduce kernels
constexpr int kReduceBlocksPerSm = 4;  // 2048 resident threads per SM (sm_75 has 1024: the
                                       // runtime then queues the rest, still correct)
constexpr int kReduceUnroll = 4;       // vectors in flight per thread and input

struct LaunchGeometry {
  unsigned blocks = 0;  // 0: nothing to launch
  unsigned threads = 0;
};

// Enough blocks for one work item per thread, capped at the resident limit of the device: a
// grid-stride loop covers the rest, and more blocks than fit at once would only add scheduling.
inline LaunchGeometry grid_stride_geometry(std::size_t items, int sm_count, int threads,
                                           int blocks_per_sm) {
  LaunchGeometry g;
  if (items == 0 || threads <= 0) return g;
  const std::size_t t = static_cast<std::size_t>(threads);
  const std::size_t needed = (items + t - 1) / t;
  const std::size_t cap = static_cast<std::size_t>(std::max(sm_count, 1)) *
                          static_cast<std::size_t>(std::max(blocks_per_sm, 1));
  g.blocks = static_cast<unsigned>(std::min(needed, cap));
  g.threads = static_cast<unsigned>(threads);
  return g;
}

struct VecSplit {
  std::size_t head = 0;     // scalar elements before the first vector
  std::size_t vectors = 0;  // whole kVecBytes vectors after the head
  std::size_t tail = 0;     // scalar elements after the vectors
  std::size_t per_vector = 1;
};

// Splits `count` elements of `elem_size` bytes, at the same index in every buffer of `addrs`, so
// that the vector part is kVecBytes-aligned in all of them. Buffers whose addresses differ modulo
// kVecBytes can never be aligned together: everything is then head (scalar), still correct.
inline VecSplit split_for_vectors(const std::uintptr_t* addrs, int n, std::size_t elem_size,
                                  std::size_t count) {
  VecSplit s;
  s.per_vector = elem_size == 0 || elem_size > kVecBytes ? 1 : kVecBytes / elem_size;
  if (n <= 0 || elem_size == 0 || kVecBytes % elem_size != 0) {
    s.head = count;
    return s;
  }
  const std::size_t mis = addrs[0] % kVecBytes;
  for (int i = 1; i < n; ++i) {
    if (addrs[i] % kVecBytes != mis) {
      s.head = count;
      return s;
    }
  }
  if (mis % elem_size != 0) {  // element boundaries never meet a vector boundary
    s.head = count;
    return s;
  }
  s.head = std::min(count, (kVecBytes - mis) % kVecBytes / elem_size);
  const std::size_t rest = count - s.head;
  s.vectors = rest / s.per_vector;
  s.tail = rest - s.vectors * s.per_vector;
  return s;
}

}  // namespace fb
