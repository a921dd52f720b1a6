#include "harness/sweep_plan.h"

#include <algorithm>
#include <vector>

namespace fb {

SweepPlan plan_sweep(const RunOptions& opts, int nranks, bool device_buffers) {
  SweepPlan plan;
  for (DType t : opts.dtypes) {
    const CollCounts c = opts.collective->counts(opts.max_bytes, dtype_size(t), nranks);
    plan.send_bytes = std::max(plan.send_bytes, c.send_count * dtype_size(t));
    // In place, the receive buffer also holds the input (reduce_scatter's is the larger).
    plan.recv_bytes =
        std::max({plan.recv_bytes, c.recv_count * dtype_size(t), c.send_count * dtype_size(t)});
  }
  // Host: the input staging, the output copy and the expected result (the receive size each), and
  // the buffers themselves when they live on the host.
  // -u: the buffers start that many bytes into their allocation.
  plan.send_bytes += static_cast<std::size_t>(opts.unalign);
  plan.recv_bytes += static_cast<std::size_t>(opts.unalign);
  plan.host_bytes = std::max(plan.send_bytes, plan.recv_bytes) + 2 * plan.recv_bytes;
  if (!device_buffers) plan.host_bytes += plan.send_bytes + plan.recv_bytes;
  return plan;
}

std::string check_memory(const SweepPlan& plan, int local_ranks, std::size_t available_bytes) {
  const double need = static_cast<double>(plan.host_bytes) * local_ranks;
  if (available_bytes != 0 && need > 0.9 * static_cast<double>(available_bytes)) {
    return "sizes do not fit in host memory: " + std::to_string(local_ranks) + " ranks x " +
           std::to_string(plan.host_bytes) + " B needed, " + std::to_string(available_bytes) +
           " B available (lower -e/--maxbytes)";
  }
  return "";
}

std::string check_device_memory(const SweepPlan& plan, int ranks_per_gpu,
                                std::size_t device_total_bytes) {
  const std::size_t per_rank = plan.send_bytes + plan.recv_bytes;
  const double need = static_cast<double>(per_rank) * ranks_per_gpu;
  if (device_total_bytes != 0 && need > 0.9 * static_cast<double>(device_total_bytes)) {
    return "sizes do not fit in device memory: " + std::to_string(ranks_per_gpu) + " ranks x " +
           std::to_string(per_rank) + " B needed per GPU, " + std::to_string(device_total_bytes) +
           " B on the GPU (lower -e/--maxbytes)";
  }
  return "";
}

void for_each_sweep_step(const RunOptions& opts, int nranks,
                         const std::function<bool(const SweepStep&)>& fn) {
  const CollectiveDef& coll = *opts.collective;
  const std::vector<std::size_t> sizes =
      make_sweep(opts.min_bytes, opts.max_bytes, opts.step_bytes, opts.step_factor);
  const std::vector<RedOp> ops = coll.uses_op ? opts.ops : std::vector<RedOp>{RedOp::kSum};
  SweepStep step;
  for (step.cycle = 0; opts.run_cycles == 0 || step.cycle < opts.run_cycles; ++step.cycle) {
    for (DType dtype : opts.dtypes) {
      step.dtype = dtype;
      for (RedOp op : ops) {
        step.op = op;
        const bool every_root = coll.uses_root && opts.root < 0;
        const int first_root = every_root ? 0 : std::max(opts.root, 0);
        const int last_root = every_root ? nranks - 1 : first_root;
        for (step.root = first_root; step.root <= last_root; ++step.root) {
          for (std::size_t size : sizes) {
            step.size = size;
            step.counts = coll.counts(size, dtype_size(dtype), nranks);
            if (!fn(step)) return;
          }
        }
      }
    }
  }
}

}  // namespace fb
