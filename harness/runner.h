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
#include "harness/summary_builder.h"
#include "harness/sweep_plan.h"

namespace fb {

// Per-rank mean times combined across ranks as -a says.
double combine_rank_times(World& world, double mine, AverageMode mode);

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
