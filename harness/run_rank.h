// One rank's run of `fabricbench <collective>`, and the -g N mode that runs N ranks as threads
// of one process.
#pragma once

#include <string>

#include "collectives/world.h"
#include "harness/options.h"
#include "harness/sysinfo.h"
#include "harness/watchdog.h"

namespace fb {

// What a rank shares with the other ranks of its process. A rank per process (mpirun, or one
// rank alone) owns the process; with -g N only rank 0's thread does.
struct RankContext {
  bool owns_process = true;  // installs the signal handlers that flush partial results
  BindScope bind_scope = BindScope::kProcess;
  WatchdogGroup* watchdogs = nullptr;  // set when the ranks are threads of one process
};

// Checks, backend, sweep, reports (rank 0); returns the exit code. Every early return is agreed
// by all ranks, so none is left waiting in a control-plane call.
int run_rank(World& world, RunOptions opts, const RankContext& ctx);

// Whether -g N can run here: one process (no mpirun), and a GPU per rank when the ranks use GPUs.
// Empty when it can, else the one-line reason.
std::string check_rank_threads(const World& process, const RunOptions& opts);

// -g N: ranks 0..N-1 as threads of this process, rank 0 on the calling thread (the one that set
// up MPI, if the build has it). Returns the first non-zero exit code of any rank.
int run_rank_threads(World& process, const RunOptions& opts);

}  // namespace fb
