// What a rank checks and sets up before it measures: flags that need the job's size, output
// paths, the heap mode, the device, host and device memory, the CPU binding, the backend, and
// --resume. Each check is agreed by all ranks (see rank_errors.h): on an error every rank returns.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectives/backend.h"
#include "collectives/world.h"
#include "harness/options.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/split.h"
#include "harness/sysinfo.h"

namespace fb {

struct DeviceDecision {
  DeviceKind kind = DeviceKind::kCpu;
  std::string reason;  // why this device
  std::string error;   // non-empty: cannot run
};

struct Preflight {
  DeviceDecision device;
  SweepPlan plan;
  bool device_buffers() const { return device.kind == DeviceKind::kCuda; }
};

// The checks before any buffer exists. Returns 0, or the exit code every rank returns. `layout`
// is the job's split groups (one group of every rank when not split): roots must be ranks of
// every group, buffers are planned for this rank's group.
int preflight(World& world, const RunOptions& opts, const SplitLayout& layout, Preflight* out);

// Binds this rank (in CUDA mode to the cores nearest its GPU) unless --no-bind.
BindResult bind_this_rank(World& world, const RunOptions& opts, bool device_buffers,
                          BindScope scope);

// The backend for this rank over `team` (its split group, or `world` itself); null (on every
// rank of `world`, errors printed) when any rank cannot make it.
std::unique_ptr<Backend> make_rank_backend(World& world, World& team, const RunOptions& opts,
                                           DeviceKind kind);

// --resume: rank 0 reads the interrupted run's rows; every rank sets opts.resume_steps to their
// count and meta gets "resumed_from". False (on every rank) when the file does not fit the run.
// `row_ranks`: the ranks of the group the rows describe (rank 0's).
bool load_resume(World& world, RunOptions& opts, nlohmann::json& meta, int row_ranks,
                 std::vector<SizeResult>* rows);

}  // namespace fb
