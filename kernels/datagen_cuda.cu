#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cuda_check.h"
#include "kernels/cuda_launch.h"
#include "kernels/datagen.h"
#include "kernels/datagen_cuda.h"
#include "kernels/reduce_cuda.h"

namespace fb {
namespace {

constexpr int kThreads = 256;
constexpr int kBlocksPerSm = 8;

#define FB_GRID_STRIDE(i, n)                                                                     \
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)

// The rule of count_mismatches(): exact, except avg on floats within 2 ulp of the expected value
// (`tol` = 2 ulp relative, 0 when exact).
template <typename T>
__device__ __forceinline__ bool element_wrong(T got, T expected, double tol) {
  using A = typename Arith<T>::type;
  if constexpr (std::is_integral_v<A>) {
    return got != expected;
  } else {
    const double g = static_cast<double>(Arith<T>::load(got));
    const double e = static_cast<double>(Arith<T>::load(expected));
    if (g == e) return false;
    return !(fabs(g - e) <= tol * fabs(e));  // NaN in got counts as wrong
  }
}

// One atomic per block: warp sums, then the first thread of each warp.
__device__ __forceinline__ void add_count(unsigned long long local, unsigned long long* total) {
  for (int off = 16; off > 0; off /= 2) local += __shfl_down_sync(0xffffffffu, local, off);
  if ((threadIdx.x & 31) == 0 && local) atomicAdd(total, local);
}

template <typename T>
__global__ void generate_kernel(RedOp op, int nranks, std::uint64_t seed, int stream,
                                std::size_t first, T* buf, std::size_t count) {
  FB_GRID_STRIDE(i, count) { buf[i] = generate_element<T>(op, nranks, seed, stream, first + i); }
}

template <typename T>
__global__ void check_stream_kernel(RedOp op, int nranks, std::uint64_t seed, int stream,
                                    std::size_t first, const T* got, std::size_t count,
                                    unsigned long long* wrong) {
  unsigned long long local = 0;
  FB_GRID_STRIDE(i, count) {
    local += element_wrong(got[i], generate_element<T>(op, nranks, seed, stream, first + i), 0.0);
  }
  add_count(local, wrong);
}

template <typename T, typename Op>
__global__ void check_reduction_kernel(RedOp op, int nranks, std::uint64_t seed, std::size_t first,
                                       const T* got, std::size_t count, double tol,
                                       unsigned long long* wrong) {
  const Op fn{};
  unsigned long long local = 0;
  FB_GRID_STRIDE(i, count) {
    // Same order and rounding as expected_reduction() on the host.
    T acc = generate_element<T>(op, nranks, seed, 0, first + i);
    for (int r = 1; r < nranks; ++r) {
      acc = combine(acc, generate_element<T>(op, nranks, seed, r, first + i), fn);
    }
    if (op == RedOp::kAvg) acc = avg_finalize(acc, nranks);
    local += element_wrong(got[i], acc, tol);
  }
  add_count(local, wrong);
}

template <typename T>
__global__ void mismatch_kernel(const T* got, const T* expected, std::size_t count, double tol,
                                unsigned long long* wrong) {
  unsigned long long local = 0;
  FB_GRID_STRIDE(i, count) { local += element_wrong(got[i], expected[i], tol); }
  add_count(local, wrong);
}

LaunchGeometry geometry_for(std::size_t count) {
  return grid_stride_geometry(count, current_sm_count(), kThreads, kBlocksPerSm);
}

double tolerance(DType dtype, RedOp op) {
  if (op != RedOp::kAvg || !dtype_info(dtype).is_float) return 0.0;
  return 2.0 * std::ldexp(1.0, 1 - dtype_info(dtype).mantissa_digits);
}

// Runs `launch(counter)` and returns the counter's final value.
template <typename F>
std::size_t count_on_device(cudaStream_t stream, F&& launch) {
  unsigned long long* counter = nullptr;
  FB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&counter), sizeof *counter, stream));
  unsigned long long host = 0;
  try {
    FB_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof *counter, stream));
    launch(counter);
    FB_CUDA_CHECK(cudaGetLastError());
    FB_CUDA_CHECK(cudaMemcpyAsync(&host, counter, sizeof host, cudaMemcpyDeviceToHost, stream));
    FB_CUDA_CHECK(cudaFreeAsync(counter, stream));
    FB_CUDA_CHECK(cudaStreamSynchronize(stream));
  } catch (...) {
    (void)cudaFreeAsync(counter, stream);
    throw;
  }
  return static_cast<std::size_t>(host);
}

}  // namespace

void generate_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream,
                   std::size_t first, void* buf, std::size_t count, cudaStream_t cuda_stream) {
  if (count == 0) return;
  const LaunchGeometry g = geometry_for(count);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    generate_kernel<T><<<g.blocks, g.threads, 0, cuda_stream>>>(op, nranks, seed, stream, first,
                                                                static_cast<T*>(buf), count);
  });
  FB_CUDA_CHECK(cudaGetLastError());
}

std::size_t check_stream_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed, int stream,
                              std::size_t first, const void* got, std::size_t count,
                              cudaStream_t cuda_stream) {
  if (count == 0) return 0;
  const LaunchGeometry g = geometry_for(count);
  return count_on_device(cuda_stream, [&](unsigned long long* wrong) {
    dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      check_stream_kernel<T><<<g.blocks, g.threads, 0, cuda_stream>>>(
          op, nranks, seed, stream, first, static_cast<const T*>(got), count, wrong);
    });
  });
}

std::size_t check_reduction_cuda(DType dtype, RedOp op, int nranks, std::uint64_t seed,
                                 std::size_t first, const void* got, std::size_t count,
                                 cudaStream_t cuda_stream) {
  if (count == 0) return 0;
  const LaunchGeometry g = geometry_for(count);
  const double tol = tolerance(dtype, op);
  return count_on_device(cuda_stream, [&](unsigned long long* wrong) {
    dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      dispatch_redop(op, [&](auto fn) {
        check_reduction_kernel<T, decltype(fn)><<<g.blocks, g.threads, 0, cuda_stream>>>(
            op, nranks, seed, first, static_cast<const T*>(got), count, tol, wrong);
      });
    });
  });
}

std::size_t count_mismatches_cuda(DType dtype, RedOp op, const void* got, const void* expected,
                                  std::size_t count, cudaStream_t cuda_stream) {
  if (count == 0) return 0;
  const LaunchGeometry g = geometry_for(count);
  const double tol = tolerance(dtype, op);
  return count_on_device(cuda_stream, [&](unsigned long long* wrong) {
    dispatch_dtype(dtype, [&](auto tag) {
      using T = decltype(tag);
      mismatch_kernel<T><<<g.blocks, g.threads, 0, cuda_stream>>>(
          static_cast<const T*>(got), static_cast<const T*>(expected), count, tol, wrong);
    });
  });
}

}  // namespace fb
