// The measurement loop: for every cycle, dtype, op and size, time the out-of-place and in-place
// variants and check them. It never prints: rows go to a callback.
#pragma once

#include <functional>
#include <string>

#include "collectives/backend.h"
#include "collectives/world.h"
#include "harness/options.h"
#include "harness/report.h"
#include "harness/split.h"

namespace fb {

struct SweepPlan {
  std::size_t send_bytes = 0;  // largest send buffer over the sweep
  std::size_t recv_bytes = 0;  // largest receive buffer
  std::size_t host_bytes = 0;  // host memory the run needs in total on one rank
};

// Buffer sizes of the whole sweep, computed before anything is allocated.
SweepPlan plan_sweep(const RunOptions& opts, int nranks, bool device_buffers);

// One time per timed iteration (seconds per call): -m calls each, -z 1/3 barriers on `world` on
// the host path (-z 1 after each call, timed; -z 3 after each iteration, not timed).
std::vector<double> time_timed_iterations(const RunOptions& opts, Backend& backend, World& world,
                                          const CollArgs& args, CallObserver* watchdog,
                                          bool device_buffers);

// Empty if the plan fits in `available_bytes` for `local_ranks` ranks on this host, else one
// line with the numbers.
std::string check_memory(const SweepPlan& plan, int local_ranks, std::size_t available_bytes);

// The same for device buffers: `ranks_per_gpu` ranks each need send + receive buffers on a GPU
// with `device_total_bytes` of memory (some is kept for the CUDA context and NCCL).
std::string check_device_memory(const SweepPlan& plan, int ranks_per_gpu,
                                std::size_t device_total_bytes);

// Per-rank mean times combined across ranks as -a says.
double combine_rank_times(World& world, double mine, AverageMode mode);

// The summary of the rows seen so far (also for a sweep cut short by a signal).
class SummaryBuilder {
 public:
  void add(const SizeResult& row);
  RunSummary summary(bool complete) const;

 private:
  RunSummary s_;
  double busbw_sum_ = 0;
  int busbw_n_ = 0;
  std::vector<double> group_busbw_sum_;
};

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

// --resume: the rows of an interrupted run's JSON document (`path`), checked to be a prefix of
// this sweep (same steps in the same order) measured the same way (meta's collective, backend,
// algorithm, device, nranks and sweep equal to `meta`'s). Throws std::runtime_error with one
// line naming the file and what differs. The runner skips as many steps as rows come back.
std::vector<SizeResult> load_resume_rows(const std::string& path, const nlohmann::json& meta,
                                         const RunOptions& opts, int nranks);

// Split groups: this rank's group (the collective runs on it; made by World::split) and the
// job's layout. Empty: one group, the whole world.
struct SweepGroups {
  World* group = nullptr;
  const SplitLayout* layout = nullptr;
};

// Runs the sweep on every rank; `on_row` gets each finished row (on every rank, identical). With
// groups, every group runs each step at once on its own communicator; `world` (the whole job)
// keeps the barriers and the combined times, and rows carry each group's timing (report.h).
RunSummary run_sweep(const RunOptions& opts, Backend& backend, World& world, CallObserver* watchdog,
                     bool device_buffers, const std::function<void(const SizeResult&)>& on_row,
                     const SweepGroups& groups = {});

}  // namespace fb
