// CPU reduction kernels against memcpy, measured in the same binary and interleaved in the same
// loop, so the ratio holds even on a noisy VM.
//
// Bytes counted: reduce out = op(a, b) moves 3 n (2 reads + 1 write), memcpy moves 2 n (1 read
// + 1 write). Both are limited by the same memory system, so "vs_memcpy" = reduce GB/s / memcpy
// GB/s is the fraction of the memcpy-bound roofline the kernel reaches (1.0 = as fast per byte as
// memcpy). Run with e.g.
//   bench_reduce_cpu --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// FB_CPU_ISA=generic|avx2|avx512 changes the level reduce_cpu() uses; the IsaLevels benchmark
// compares them directly.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/reduce_cpu.h"

namespace {

using fb::CpuIsa;
using fb::DType;
using fb::RedOp;

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
// Largest buffer: far beyond any L3 this runs on; 3 buffers of it are resident at once.
constexpr std::size_t kMaxBytes = 1024 * kMiB;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Three page-aligned buffers of kMaxBytes, allocated and touched once for every benchmark (the
// first touch would otherwise time page faults).
class Buffers {
 public:
  static Buffers& get() {
    static Buffers buffers;
    return buffers;
  }
  unsigned char* a() { return a_.get(); }
  unsigned char* b() { return b_.get(); }
  unsigned char* out() { return out_.get(); }

 private:
  Buffers() : a_(alloc(1)), b_(alloc(2)), out_(alloc(3)) {}
  static std::unique_ptr<unsigned char, FreeDeleter> alloc(int fill) {
    auto* p = static_cast<unsigned char*>(std::aligned_alloc(4096, kMaxBytes));
    if (p == nullptr) throw std::bad_alloc();
    // Small float/int values: no denormals or NaNs that could slow any path.
    std::memset(p, fill, kMaxBytes);
    return std::unique_ptr<unsigned char, FreeDeleter>(p);
  }
  std::unique_ptr<unsigned char, FreeDeleter> a_, b_, out_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One iteration = one memcpy of n bytes, then one reduce of n bytes per input; only the reduce is
// the benchmark's (manual) time, the memcpy gives the memcpy_GBps counter.
void run_vs_memcpy(benchmark::State& state, CpuIsa isa, DType dtype, RedOp op, bool in_place) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const std::size_t count = bytes / fb::dtype_size(dtype);
  auto& buf = Buffers::get();
  void* out = in_place ? static_cast<void*>(buf.a()) : buf.out();
  double memcpy_s = 0, reduce_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(buf.out(), buf.b(), bytes);
    benchmark::ClobberMemory();
    memcpy_s += seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    fb::reduce_cpu(isa, dtype, op, out, buf.a(), buf.b(), count);
    benchmark::ClobberMemory();
    const double dt = seconds_since(t0);
    reduce_s += dt;
    state.SetIterationTime(dt);
  }
  const auto iters = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(3 * bytes));
  const double memcpy_gbps = 2.0 * static_cast<double>(bytes) * iters / memcpy_s / 1e9;
  state.counters["memcpy_GBps"] = memcpy_gbps;
  // Reduce GB/s over memcpy GB/s: the benchmark's own rate is 3 n per manual-time iteration.
  state.counters["vs_memcpy"] =
      3.0 * static_cast<double>(bytes) * iters / reduce_s / 1e9 / memcpy_gbps;
  state.SetLabel(std::string(fb::cpu_isa_name(isa)) + " " + fb::dtype_name(dtype) + " " +
                 fb::redop_name(op) + (in_place ? " in-place" : " out-of-place"));
}

void add_sizes(benchmark::internal::Benchmark* b) {
  // 64 KiB: L2-resident; 1-16 MiB: around the streaming-store threshold; 256 MiB and 1 GiB:
  // DRAM (far larger than L3).
  for (std::size_t s : {64 * kKiB, 1 * kMiB, 4 * kMiB, 16 * kMiB, 256 * kMiB, kMaxBytes}) {
    b->Arg(static_cast<std::int64_t>(s));
  }
  b->UseManualTime()->Unit(benchmark::kMillisecond);
}

void register_all() {
  const CpuIsa best = fb::active_cpu_isa();
  struct Case {
    DType dtype;
    RedOp op;
  };
  const Case kCases[] = {{DType::kFloat, RedOp::kSum},   {DType::kFloat, RedOp::kMax},
                         {DType::kDouble, RedOp::kSum},  {DType::kInt8, RedOp::kProd},
                         {DType::kInt64, RedOp::kProd},  {DType::kHalf, RedOp::kSum},
                         {DType::kBfloat16, RedOp::kSum}};
  for (const auto& c : kCases) {
    for (bool in_place : {false, true}) {
      const std::string name = std::string("Reduce/") + fb::dtype_name(c.dtype) + "/" +
                               fb::redop_name(c.op) + (in_place ? "/in_place" : "/out_of_place");
      add_sizes(
          benchmark::RegisterBenchmark(name.c_str(), run_vs_memcpy, best, c.dtype, c.op, in_place));
    }
  }
  // Every instruction-set level on float and half sum: what the vector code buys over the
  // portable loop.
  for (CpuIsa isa : fb::supported_cpu_isas()) {
    for (DType dtype : {DType::kFloat, DType::kHalf}) {
      const std::string name =
          std::string("IsaLevels/") + fb::cpu_isa_name(isa) + "/" + fb::dtype_name(dtype) + "/sum";
      add_sizes(benchmark::RegisterBenchmark(name.c_str(), run_vs_memcpy, isa, dtype, RedOp::kSum,
                                             false));
    }
  }
}

const bool kRegistered = (register_all(), true);

}  // namespace
