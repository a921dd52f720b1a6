// What a sweep needs before it runs: its buffer sizes, whether they fit, and its steps in the
// runner's order.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "collectives/collective.h"
#include "harness/options.h"

namespace fb {

struct SweepPlan {
  std::size_t send_bytes = 0;  // largest send buffer over the sweep
  std::size_t recv_bytes = 0;  // largest receive buffer
  std::size_t host_bytes = 0;  // host memory the run needs in total on one rank
};

// Buffer sizes of the whole sweep, computed before anything is allocated.
SweepPlan plan_sweep(const RunOptions& opts, int nranks, bool device_buffers);

// Empty if the plan fits in `available_bytes` for `local_ranks` ranks on this host, else one
// line with the numbers.
std::string check_memory(const SweepPlan& plan, int local_ranks, std::size_t available_bytes);

// The same for device buffers: `ranks_per_gpu` ranks each need send + receive buffers on a GPU
// with `device_total_bytes` of memory (some is kept for the CUDA context and NCCL).
std::string check_device_memory(const SweepPlan& plan, int ranks_per_gpu,
                                std::size_t device_total_bytes);

// One step of the sweep: what one result row (both variants) measures. The order is the runner's:
// cycle, then dtype, then op, then size.
struct SweepStep {
  int cycle = 0;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  int root = 0;          // rooted collectives: -r, or with -r -1 each rank in turn
  std::size_t size = 0;  // the sweep's size (the -b/-e/-f value)
  CollCounts counts;     // for `nranks` ranks
};

// Calls `fn` for every step of the sweep in order until it returns false (-N 0 never ends). The
// order is nccl-tests': cycle, dtype, op, root (-r -1: 0 .. nranks-1), size.
void for_each_sweep_step(const RunOptions& opts, int nranks,
                         const std::function<bool(const SweepStep&)>& fn);

}  // namespace fb
