// Bandwidth probes: the rooflines GPU results are compared against ("% of peak"). Each probe
// times `iters` back-to-back transfers with CUDA events after one warm-up and reports the median.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

struct ProbeResult {
  std::string name;       // "d2d_copy", "h2d_pinned", "d2h_pinned", "p2p_copy", "reduce_2to1_float"
  int device = 0;         // the device the work ran on (source for p2p)
  int peer = -1;          // destination device for p2p
  std::size_t bytes = 0;  // bytes of one buffer
  std::size_t counted_bytes = 0;  // bytes the bandwidth counts (see `counted`)
  std::string counted;            // "read+write" (device memory traffic) or "transferred"
  double time_us_median = 0, time_us_min = 0, time_us_max = 0;
  double gbps = 0;  // counted_bytes / median time, GB/s = 1e9 B/s
};

// cudaMemcpyAsync device -> device on `dev`; counts bytes read + written (2 * bytes), the same
// accounting as the reduce probe so the two are directly comparable.
ProbeResult probe_d2d_copy(int dev, std::size_t bytes, int iters);
// Pinned host <-> device; counts bytes transferred.
ProbeResult probe_h2d(int dev, std::size_t bytes, int iters);
ProbeResult probe_d2h(int dev, std::size_t bytes, int iters);
// cudaMemcpyPeerAsync src -> dst with peer access enabled when the pair supports it (the result
// says "p2p_copy" or "p2p_copy_staged" when the driver routes it through the host).
ProbeResult probe_p2p(int src, int dst, std::size_t bytes, int iters);
// k -> 1 reduce kernel on `dev` over `bytes` per buffer; counts (k + 1) * bytes (k reads, 1 write).
ProbeResult probe_reduce(int dev, DType dtype, RedOp op, int k, std::size_t bytes, int iters);

// Every probe on every visible device (and every ordered pair for p2p).
std::vector<ProbeResult> run_bandwidth_probes(std::size_t bytes, int iters);

}  // namespace fb
