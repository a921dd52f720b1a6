#include <cuda_runtime.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>

#include "kernels/cuda_check.h"
#include "kernels/cuda_timer.h"
#include "kernels/probe_cuda.h"
#include "kernels/reduce_cuda.h"

namespace fb {
namespace {

// RAII device or pinned host buffer, so a failing probe frees what it took.
class Buffer {
 public:
  enum Kind { kDevice, kPinnedHost };
  explicit Buffer(std::size_t bytes, Kind kind = kDevice) : kind_(kind) {
    const std::size_t n = std::max<std::size_t>(bytes, 1);
    if (kind == kDevice) {
      FB_CUDA_CHECK(cudaMalloc(&p_, n));
    } else {
      FB_CUDA_CHECK(cudaMallocHost(&p_, n));
    }
  }
  ~Buffer() { (void)(kind_ == kDevice ? cudaFree(p_) : cudaFreeHost(p_)); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* get() const { return p_; }

 private:
  Kind kind_;
  void* p_ = nullptr;
};

class Stream {
 public:
  Stream() { FB_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { (void)cudaStreamDestroy(s_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// One warm-up, then `iters` timed calls of `op`, each between its own event pair.
ProbeResult time_probe(ProbeResult r, int iters, cudaStream_t s, const std::function<void()>& op) {
  if (iters < 1) throw std::invalid_argument("probe: iters must be >= 1");
  op();
  FB_CUDA_CHECK(cudaStreamSynchronize(s));
  std::vector<CudaEventTimer> timers(static_cast<std::size_t>(iters));
  for (auto& t : timers) {
    t.start(s);
    op();
    t.stop(s);
  }
  std::vector<double> us;
  for (auto& t : timers) us.push_back(t.seconds() * 1e6);
  std::sort(us.begin(), us.end());
  const std::size_t n = us.size();
  r.time_us_min = us.front();
  r.time_us_max = us.back();
  r.time_us_median = n % 2 ? us[n / 2] : 0.5 * (us[n / 2 - 1] + us[n / 2]);
  // counted bytes / (median us * 1e-6 s) / 1e9 = counted bytes / median us / 1e3.
  r.gbps = r.time_us_median > 0 ? static_cast<double>(r.counted_bytes) / r.time_us_median / 1e3 : 0;
  return r;
}

ProbeResult base(const char* name, int dev, std::size_t bytes, std::size_t counted_bytes,
                 const char* counted) {
  ProbeResult r;
  r.name = name;
  r.device = dev;
  r.bytes = bytes;
  r.counted_bytes = counted_bytes;
  r.counted = counted;
  return r;
}

}  // namespace

ProbeResult probe_d2d_copy(int dev, std::size_t bytes, int iters) {
  FB_CUDA_CHECK(cudaSetDevice(dev));
  Buffer src(bytes), dst(bytes);
  Stream s;
  FB_CUDA_CHECK(cudaMemsetAsync(src.get(), 1, bytes, s.get()));
  return time_probe(base("d2d_copy", dev, bytes, 2 * bytes, "read+write"), iters, s.get(), [&] {
    FB_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, s.get()));
  });
}

ProbeResult probe_h2d(int dev, std::size_t bytes, int iters) {
  FB_CUDA_CHECK(cudaSetDevice(dev));
  Buffer host(bytes, Buffer::kPinnedHost);
  Buffer d(bytes);
  Stream s;
  std::fill_n(static_cast<unsigned char*>(host.get()), bytes, static_cast<unsigned char>(1));
  return time_probe(base("h2d_pinned", dev, bytes, bytes, "transferred"), iters, s.get(), [&] {
    FB_CUDA_CHECK(cudaMemcpyAsync(d.get(), host.get(), bytes, cudaMemcpyHostToDevice, s.get()));
  });
}

ProbeResult probe_d2h(int dev, std::size_t bytes, int iters) {
  FB_CUDA_CHECK(cudaSetDevice(dev));
  Buffer host(bytes, Buffer::kPinnedHost);
  Buffer d(bytes);
  Stream s;
  FB_CUDA_CHECK(cudaMemsetAsync(d.get(), 1, bytes, s.get()));
  return time_probe(base("d2h_pinned", dev, bytes, bytes, "transferred"), iters, s.get(), [&] {
    FB_CUDA_CHECK(cudaMemcpyAsync(host.get(), d.get(), bytes, cudaMemcpyDeviceToHost, s.get()));
  });
}

ProbeResult probe_p2p(int src, int dst, std::size_t bytes, int iters) {
  int can = 0;
  FB_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, src, dst));
  FB_CUDA_CHECK(cudaSetDevice(dst));
  Buffer to(bytes);
  FB_CUDA_CHECK(cudaSetDevice(src));
  if (can) {
    const cudaError_t e = cudaDeviceEnablePeerAccess(dst, 0);
    if (e == cudaErrorPeerAccessAlreadyEnabled) {
      (void)cudaGetLastError();
    } else {
      FB_CUDA_CHECK(e);
    }
  }
  Buffer from(bytes);
  Stream s;
  FB_CUDA_CHECK(cudaMemsetAsync(from.get(), 1, bytes, s.get()));
  ProbeResult r = base(can ? "p2p_copy" : "p2p_copy_staged", src, bytes, bytes, "transferred");
  r.peer = dst;
  return time_probe(r, iters, s.get(), [&] {
    FB_CUDA_CHECK(cudaMemcpyPeerAsync(to.get(), dst, from.get(), src, bytes, s.get()));
  });
}

ProbeResult probe_reduce(int dev, DType dtype, RedOp op, int k, std::size_t bytes, int iters) {
  if (k < 1) throw std::invalid_argument("probe_reduce: k must be >= 1");
  FB_CUDA_CHECK(cudaSetDevice(dev));
  const std::size_t count = bytes / dtype_size(dtype);
  bytes = count * dtype_size(dtype);
  std::vector<std::unique_ptr<Buffer>> in;
  std::vector<const void*> ptrs;
  Stream s;
  for (int j = 0; j < k; ++j) {
    in.push_back(std::make_unique<Buffer>(bytes));
    // Zero bytes are a valid value of every type (and keep prod/min/max away from NaN paths).
    FB_CUDA_CHECK(cudaMemsetAsync(in.back()->get(), 0, bytes, s.get()));
    ptrs.push_back(in.back()->get());
  }
  Buffer out(bytes);
  const std::string name =
      "reduce_" + std::to_string(k) + "to1_" + dtype_name(dtype) + "_" + redop_name(op);
  ProbeResult r = base("", dev, bytes, static_cast<std::size_t>(k + 1) * bytes, "read+write");
  r.name = name;
  return time_probe(r, iters, s.get(),
                    [&] { reduce_cuda(dtype, op, out.get(), ptrs.data(), k, count, s.get()); });
}

std::vector<ProbeResult> run_bandwidth_probes(std::size_t bytes, int iters) {
  int n = 0;
  FB_CUDA_CHECK(cudaGetDeviceCount(&n));
  std::vector<ProbeResult> out;
  for (int d = 0; d < n; ++d) {
    out.push_back(probe_d2d_copy(d, bytes, iters));
    out.push_back(probe_h2d(d, bytes, iters));
    out.push_back(probe_d2h(d, bytes, iters));
  }
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a != b) out.push_back(probe_p2p(a, b, bytes, iters));
    }
  }
  return out;
}

}  // namespace fb
