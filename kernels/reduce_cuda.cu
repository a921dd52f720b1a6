#include <cuda_runtime.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/cuda_launch.h"
#include "kernels/reduce_cuda.h"

namespace fb {
namespace {

struct ReduceArgs {
  const void* in[kMaxReduceInputs];
  void* out;
  int k;
  VecSplit split;
};

template <typename T>
union Vec {
  uint4 raw;
  T e[kVecBytes / sizeof(T)];
};

template <typename T, typename Op>
__device__ __forceinline__ T reduce_scalar(const ReduceArgs& a, std::size_t i, Op op) {
  T acc = static_cast<const T*>(a.in[0])[i];
  for (int j = 1; j < a.k; ++j) acc = combine(acc, static_cast<const T*>(a.in[j])[i], op);
  return acc;
}

// One grid-stride kernel for the whole range: the scalar head and tail (fewer than one vector
// each, or everything when the buffers cannot be aligned together) and the vectors between, with
// kReduceUnroll independent 16-byte loads in flight per thread and input.
template <typename T, typename Op>
__global__ void reduce_kernel(ReduceArgs a) {
  constexpr int kPer = static_cast<int>(kVecBytes / sizeof(T));
  const Op op{};
  const std::size_t tid = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  T* out = static_cast<T*>(a.out);

  for (std::size_t i = tid; i < a.split.head; i += stride) out[i] = reduce_scalar<T>(a, i, op);
  const std::size_t tail0 = a.split.head + a.split.vectors * kPer;
  for (std::size_t i = tid; i < a.split.tail; i += stride) {
    out[tail0 + i] = reduce_scalar<T>(a, tail0 + i, op);
  }

  const std::size_t nvec = a.split.vectors;
  const uint4* in0 = reinterpret_cast<const uint4*>(static_cast<const T*>(a.in[0]) + a.split.head);
  uint4* vout = reinterpret_cast<uint4*>(out + a.split.head);
  std::size_t v = tid;
  for (; v + (kReduceUnroll - 1) * stride < nvec; v += kReduceUnroll * stride) {
    Vec<T> acc[kReduceUnroll];
#pragma unroll
    for (int u = 0; u < kReduceUnroll; ++u) acc[u].raw = in0[v + u * stride];
    for (int j = 1; j < a.k; ++j) {
      const uint4* inj =
          reinterpret_cast<const uint4*>(static_cast<const T*>(a.in[j]) + a.split.head);
      Vec<T> x[kReduceUnroll];
#pragma unroll
      for (int u = 0; u < kReduceUnroll; ++u) x[u].raw = inj[v + u * stride];
#pragma unroll
      for (int u = 0; u < kReduceUnroll; ++u) {
#pragma unroll
        for (int e = 0; e < kPer; ++e) acc[u].e[e] = combine(acc[u].e[e], x[u].e[e], op);
      }
    }
#pragma unroll
    for (int u = 0; u < kReduceUnroll; ++u) vout[v + u * stride] = acc[u].raw;
  }
  for (; v < nvec; v += stride) {
    Vec<T> acc;
    acc.raw = in0[v];
    for (int j = 1; j < a.k; ++j) {
      Vec<T> x;
      x.raw = reinterpret_cast<const uint4*>(static_cast<const T*>(a.in[j]) + a.split.head)[v];
#pragma unroll
      for (int e = 0; e < kPer; ++e) acc.e[e] = combine(acc.e[e], x.e[e], op);
    }
    vout[v] = acc.raw;
  }
}

template <typename T>
__global__ void avg_finalize_kernel(T* buf, std::size_t count, int nranks) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += stride) {
    buf[i] = avg_finalize(buf[i], nranks);
  }
}

LaunchGeometry geometry_for(std::size_t items) {
  return grid_stride_geometry(items, current_sm_count(), kReduceThreads, kReduceBlocksPerSm);
}

}  // namespace

int current_sm_count() {
  static std::mutex mu;
  static std::vector<int> cache;
  int dev = 0;
  FB_CUDA_CHECK(cudaGetDevice(&dev));
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() <= static_cast<std::size_t>(dev)) cache.resize(dev + 1, 0);
  if (cache[dev] == 0) {
    FB_CUDA_CHECK(cudaDeviceGetAttribute(&cache[dev], cudaDevAttrMultiProcessorCount, dev));
  }
  return cache[dev];
}

void reduce_cuda(DType dtype, RedOp op, void* out, const void* const* in, int k, std::size_t count,
                 cudaStream_t stream) {
  if (k < 1) throw std::invalid_argument("reduce_cuda: needs at least one input");
  if (count == 0) return;
  const std::size_t es = dtype_size(dtype);
  // The first pass combines up to kMaxReduceInputs inputs into out; each later pass folds the
  // next kMaxReduceInputs - 1 inputs into out (element-wise, so out as an input is safe).
  int done = 0;
  while (done < k) {
    ReduceArgs a{};
    a.out = out;
    int n = 0;
    if (done > 0) a.in[n++] = out;
    while (n < kMaxReduceInputs && done < k) a.in[n++] = in[done++];
    a.k = n;
    std::uintptr_t addrs[kMaxReduceInputs + 1];
    for (int j = 0; j < n; ++j) addrs[j] = reinterpret_cast<std::uintptr_t>(a.in[j]);
    addrs[n] = reinterpret_cast<std::uintptr_t>(out);
    a.split = split_for_vectors(addrs, n + 1, es, count);
    const LaunchGeometry g = geometry_for(std::max({a.split.vectors, a.split.head, a.split.tail}));
    dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      dispatch_redop(op, [&](auto fn) {
        reduce_kernel<T, decltype(fn)><<<g.blocks, g.threads, 0, stream>>>(a);
      });
    });
    FB_CUDA_CHECK(cudaGetLastError());
  }
}

void avg_finalize_cuda(DType dtype, void* buf, std::size_t count, int nranks, cudaStream_t stream) {
  if (count == 0) return;
  const LaunchGeometry g = geometry_for(count);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    avg_finalize_kernel<T><<<g.blocks, g.threads, 0, stream>>>(static_cast<T*>(buf), count, nranks);
  });
  FB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace fb
