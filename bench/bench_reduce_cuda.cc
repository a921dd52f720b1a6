// CUDA reduction kernel against the device-to-device copy, in the same binary, with CUDA-event
// timing reported through Google Benchmark's manual time.
//
// Bytes counted: a k -> 1 reduce moves (k + 1) n (k reads + 1 write), the copy 2 n (1 read + 1
// write), so both report device-memory traffic and "GB/s" of the two is directly comparable; the
// issue-5 target is reduce 2 -> 1 (float, bfloat16, >= 256 MiB) >= 90% of the copy. Without a GPU
// (or without CUDA in the build) every benchmark is skipped with the reason.
//   bench_reduce_cuda --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "fb_config.h"
#include "kernels/cuda_device.h"
#include "kernels/dtype.h"

#if FB_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <vector>

#include "kernels/cuda_check.h"
#include "kernels/cuda_timer.h"
#include "kernels/reduce_cuda.h"
#endif

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Empty when a GPU is usable, else why not (checked before any other CUDA call).
const std::string& no_gpu_reason() {
  static const std::string reason = [] {
    const fb::GpuProbe p = fb::probe_gpus();
    return p.count > 0 ? std::string() : "no usable GPU: " + p.reason;
  }();
  return reason;
}

#if FB_HAVE_CUDA

// Buffers of the largest size, allocated once: k inputs and one output.
struct Buffers {
  static constexpr int kInputs = 4;
  std::size_t bytes = 0;
  std::vector<void*> p;
  cudaStream_t stream = nullptr;
  explicit Buffers(std::size_t b) : bytes(b) {
    FB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    for (int i = 0; i <= kInputs; ++i) {
      void* q = nullptr;
      FB_CUDA_CHECK(cudaMalloc(&q, bytes));
      FB_CUDA_CHECK(cudaMemset(q, 0, bytes));  // zero is a value of every type
      p.push_back(q);
    }
  }
};

Buffers& buffers() {
  static Buffers b(1024 * kMiB);
  return b;
}

// Times `op` with CUDA events once per benchmark iteration.
template <typename F>
void run_timed(benchmark::State& state, std::size_t counted_bytes, F&& op) {
  Buffers& b = buffers();
  op(b);  // warm-up
  fb::CudaEventTimer t;
  for (auto _ : state) {
    t.start(b.stream);
    op(b);
    t.stop(b.stream);
    state.SetIterationTime(t.seconds());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(counted_bytes));
}

void BM_D2DCopy(benchmark::State& state) {
  if (!no_gpu_reason().empty()) return state.SkipWithError(no_gpu_reason().c_str());
  const auto bytes = static_cast<std::size_t>(state.range(0));
  run_timed(state, 2 * bytes, [&](Buffers& b) {
    FB_CUDA_CHECK(cudaMemcpyAsync(b.p[1], b.p[0], bytes, cudaMemcpyDeviceToDevice, b.stream));
  });
}

void BM_Reduce(benchmark::State& state, fb::DType dtype) {
  if (!no_gpu_reason().empty()) return state.SkipWithError(no_gpu_reason().c_str());
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const int k = static_cast<int>(state.range(1));
  const std::size_t count = bytes / fb::dtype_size(dtype);
  run_timed(state, static_cast<std::size_t>(k + 1) * bytes, [&](Buffers& b) {
    std::vector<const void*> in(b.p.begin() + 1, b.p.begin() + 1 + k);
    fb::reduce_cuda(dtype, fb::RedOp::kSum, b.p[0], in.data(), k, count, b.stream);
  });
}

#else

void BM_D2DCopy(benchmark::State& state) { state.SkipWithError(no_gpu_reason().c_str()); }
void BM_Reduce(benchmark::State& state, fb::DType) { state.SkipWithError(no_gpu_reason().c_str()); }

#endif

void sizes(benchmark::internal::Benchmark* b, bool with_k) {
  for (std::size_t mib : {1, 16, 256, 1024}) {
    const auto bytes = static_cast<std::int64_t>(mib * kMiB);
    if (with_k) {
      for (int k : {2, 4}) b->Args({bytes, k});
    } else {
      b->Args({bytes});
    }
  }
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_D2DCopy)->Apply([](benchmark::internal::Benchmark* b) { sizes(b, false); });
BENCHMARK_CAPTURE(BM_Reduce, float, fb::DType::kFloat)->Apply([](auto* b) { sizes(b, true); });
BENCHMARK_CAPTURE(BM_Reduce, bfloat16, fb::DType::kBfloat16)->Apply([](auto* b) {
  sizes(b, true);
});
BENCHMARK_CAPTURE(BM_Reduce, half, fb::DType::kHalf)->Apply([](auto* b) { sizes(b, true); });

}  // namespace
