#include "tests/gpu/gpu_checks.h"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/backend.h"
#include "collectives/collective.h"
#include "collectives/world.h"
#include "fb_config.h"
#include "kernels/cuda_check.h"
#include "kernels/datagen.h"
#include "kernels/datagen_cuda.h"
#include "kernels/probe_cuda.h"
#include "kernels/reduce_cuda.h"

#if FB_HAVE_NCCL
#include "collectives/backend_nccl.h"
#endif

namespace fb {
namespace {

constexpr std::uint64_t kSeed = 0x5eedull;

// Device allocation freed on scope exit.
class DevMem {
 public:
  explicit DevMem(std::size_t bytes) { FB_CUDA_CHECK(cudaMalloc(&p_, bytes == 0 ? 1 : bytes)); }
  ~DevMem() { (void)cudaFree(p_); }
  DevMem(const DevMem&) = delete;
  DevMem& operator=(const DevMem&) = delete;
  unsigned char* get() const { return static_cast<unsigned char*>(p_); }

 private:
  void* p_ = nullptr;
};

std::string where(DType t, RedOp op, std::size_t count, const std::string& what) {
  return std::string(dtype_name(t)) + " " + redop_name(op) + " count " + std::to_string(count) +
         ": " + what;
}

void to_host(void* host, const void* dev, std::size_t bytes) {
  if (bytes) FB_CUDA_CHECK(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost));
}
void to_device(void* dev, const void* host, std::size_t bytes) {
  if (bytes) FB_CUDA_CHECK(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice));
}

// One reduce case: k inputs (streams 0..k-1 of a k-rank job) at element offsets in_off[j] into
// their allocations, output at out_off (in place: the output is input 0).
void reduce_case(CheckReport& rep, DType t, RedOp op, int k, std::size_t count,
                 const std::vector<std::size_t>& in_off, std::size_t out_off, bool in_place) {
  const std::size_t es = dtype_size(t);
  const std::size_t first = 3;  // a non-zero logical start, as a chunk of a larger buffer
  std::vector<std::unique_ptr<DevMem>> mem;
  std::vector<const void*> in;
  std::vector<unsigned char> host((count + 1) * es);
  for (int j = 0; j < k; ++j) {
    const std::size_t off = in_off[static_cast<std::size_t>(j) % in_off.size()];
    mem.push_back(std::make_unique<DevMem>((count + off) * es));
    unsigned char* p = mem.back()->get() + off * es;
    generate(t, op, k, kSeed, j, first, host.data(), count);
    to_device(p, host.data(), count * es);
    in.push_back(p);
  }
  DevMem out_mem((count + out_off) * es);
  void* out = in_place ? const_cast<void*>(in[0]) : out_mem.get() + out_off * es;
  reduce_cuda(t, op, out, in.data(), k, count, nullptr);
  if (op == RedOp::kAvg) avg_finalize_cuda(t, out, count, k, nullptr);
  FB_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<unsigned char> got(count * es + 1), want(count * es + 1);
  to_host(got.data(), out, count * es);
  expected_reduction(t, op, k, kSeed, first, want.data(), count);
  ++rep.cases;
  const std::size_t wrong = count_mismatches(t, op, got.data(), want.data(), count);
  // Everything but float avg must be bit-identical to the CPU reference.
  const bool exact = op != RedOp::kAvg || !dtype_info(t).is_float;
  const bool bits_differ = count && std::memcmp(got.data(), want.data(), count * es) != 0;
  if (wrong != 0 || (exact && bits_differ)) {
    rep.failures.push_back(where(t, op, count,
                                 "k=" + std::to_string(k) + (in_place ? " in place" : "") +
                                     " offsets in " + std::to_string(in_off[0]) + " out " +
                                     std::to_string(out_off) + ": " + std::to_string(wrong) +
                                     " wrong elements"));
  }
}

}  // namespace

CheckReport check_reduce_kernels() {
  CheckReport rep;
  const std::vector<std::size_t> sizes = {0, 1, 7, 31, 4097, 65537};
  for (const DTypeInfo& info : all_dtypes()) {
    for (const RedOpInfo& op : all_redops()) {
      for (std::size_t n : sizes) {
        reduce_case(rep, info.dtype, op.op, 2, n, {0}, 0, false);    // aligned: vector path
        reduce_case(rep, info.dtype, op.op, 2, n, {1}, 1, false);    // same misalignment: head
        reduce_case(rep, info.dtype, op.op, 3, n, {0, 1}, 2, true);  // mutually misaligned
      }
      reduce_case(rep, info.dtype, op.op, 1, 4099, {0}, 0, false);   // k = 1 copies
      reduce_case(rep, info.dtype, op.op, 9, 70001, {0}, 0, false);  // two passes (k > 8)
      reduce_case(rep, info.dtype, op.op, 9, 1001, {2, 0, 1}, 3, true);
    }
  }
  return rep;
}

CheckReport check_datagen_kernels() {
  CheckReport rep;
  const std::size_t count = 100003;
  const int nranks = 5;
  for (const DTypeInfo& info : all_dtypes()) {
    const DType t = info.dtype;
    const std::size_t es = info.size;
    for (const RedOpInfo& opi : all_redops()) {
      const RedOp op = opi.op;
      DevMem buf(count * es);
      std::vector<unsigned char> dev_host(count * es), ref(count * es);
      generate_cuda(t, op, nranks, kSeed, 2, 11, buf.get(), count, nullptr);
      FB_CUDA_CHECK(cudaDeviceSynchronize());
      to_host(dev_host.data(), buf.get(), count * es);
      generate(t, op, nranks, kSeed, 2, 11, ref.data(), count);
      ++rep.cases;
      if (std::memcmp(dev_host.data(), ref.data(), count * es) != 0) {
        rep.failures.push_back(where(t, op, count, "generate_cuda differs from generate"));
      }
      // Stream check: 0 on the data, 3 after corrupting three elements.
      std::size_t wrong = check_stream_cuda(t, op, nranks, kSeed, 2, 11, buf.get(), count, nullptr);
      ++rep.cases;
      if (wrong != 0) {
        rep.failures.push_back(where(t, op, count, "check_stream_cuda: " + std::to_string(wrong)));
      }
      // Reduction check on the CPU-computed expected result.
      expected_reduction(t, op, nranks, kSeed, 11, ref.data(), count);
      to_device(buf.get(), ref.data(), count * es);
      wrong = check_reduction_cuda(t, op, nranks, kSeed, 11, buf.get(), count, nullptr);
      ++rep.cases;
      if (wrong != 0) {
        rep.failures.push_back(
            where(t, op, count, "check_reduction_cuda on the reference: " + std::to_string(wrong)));
      }
      // Flip the top bit of one byte in three elements (first, middle, last).
      for (std::size_t i : {std::size_t{0}, count / 2, count - 1}) {
        unsigned char b = 0;
        to_host(&b, buf.get() + i * es + es - 1, 1);
        b = static_cast<unsigned char>(b ^ 0x40u);
        to_device(buf.get() + i * es + es - 1, &b, 1);
      }
      wrong = check_reduction_cuda(t, op, nranks, kSeed, 11, buf.get(), count, nullptr);
      ++rep.cases;
      if (wrong != 3) {
        rep.failures.push_back(where(
            t, op, count, "check_reduction_cuda after 3 corruptions: " + std::to_string(wrong)));
      }
      DevMem ref_dev(count * es);
      to_device(ref_dev.get(), ref.data(), count * es);
      wrong = count_mismatches_cuda(t, op, buf.get(), ref_dev.get(), count, nullptr);
      ++rep.cases;
      if (wrong != 3) {
        rep.failures.push_back(where(
            t, op, count, "count_mismatches_cuda after 3 corruptions: " + std::to_string(wrong)));
      }
    }
  }
  return rep;
}

CheckReport check_probes() {
  CheckReport rep;
  for (const ProbeResult& r : run_bandwidth_probes(1 << 20, 3)) {
    ++rep.cases;
    if (!(r.gbps > 0) || r.counted_bytes == 0) rep.failures.push_back(r.name + ": no bandwidth");
  }
  for (DType t : {DType::kFloat, DType::kBfloat16}) {
    const ProbeResult r = probe_reduce(0, t, RedOp::kSum, 2, 1 << 20, 3);
    ++rep.cases;
    if (!(r.gbps > 0) || r.counted_bytes != 3u << 20) {
      rep.failures.push_back(r.name + ": bad accounting");
    }
  }
  return rep;
}

CheckReport check_nccl_single_rank() {
  CheckReport rep;
#if FB_HAVE_NCCL
  std::unique_ptr<World> world = make_single_world();
  BackendOptions opts;
  opts.device = DeviceKind::kCuda;
  std::unique_ptr<Backend> backend = make_nccl_backend(*world, opts);
  const std::size_t count = 4099;  // odd: no vector-friendly size
  for (const CollectiveDef* coll : all_collectives()) {
    for (DType t : {DType::kFloat, DType::kBfloat16, DType::kInt8, DType::kUint64}) {
      for (RedOp op : {RedOp::kSum, RedOp::kAvg, RedOp::kMin}) {
        if (!coll->uses_op && op != RedOp::kSum) continue;
        for (bool in_place : {false, true}) {
          const std::size_t es = dtype_size(t);
          DataContext ctx;
          ctx.dtype = t;
          ctx.op = data_op(*coll, op);
          ctx.nranks = 1;
          ctx.seed = kSeed;
          ctx.counts = coll->counts(count * es, es, 1);
          ctx.in_place = in_place;
          const std::size_t send_b = ctx.counts.send_count * es;
          const std::size_t recv_b = std::max(ctx.counts.recv_count, ctx.counts.send_count) * es;
          std::vector<unsigned char> in(send_b + 1), out(recv_b + 1), want(recv_b + 1);
          coll->fill_input(ctx, in.data());
          void* send = backend->alloc(send_b);
          void* recv = backend->alloc(recv_b);
          CollArgs a;
          a.coll = coll;
          a.dtype = t;
          a.op = op;
          a.counts = ctx.counts;
          a.in_place = in_place;
          a.recv = recv;
          a.send = in_place
                       ? static_cast<unsigned char*>(recv) + coll->in_place_input_offset(ctx) * es
                       : send;
          backend->copy_from_host(const_cast<void*>(a.send), in.data(), send_b);
          backend->run(a);
          backend->sync();
          const CheckRegion region = coll->expected(ctx, want.data());
          backend->copy_to_host(out.data(), static_cast<unsigned char*>(recv) + region.first * es,
                                region.count * es);
          backend->free(send);
          backend->free(recv);
          ++rep.cases;
          const std::size_t wrong =
              count_mismatches(t, ctx.op, out.data(), want.data(), region.count);
          if (wrong != 0) {
            rep.failures.push_back(std::string("nccl ") + coll->name + " " +
                                   where(t, op, count,
                                         (in_place ? "in place: " : "out of place: ") +
                                             std::to_string(wrong) + " wrong"));
          }
        }
      }
    }
  }
#endif
  return rep;
}

}  // namespace fb
