// The timed region of one variant: by default the -n x -m calls timed as a whole (one clock read
// before and one after, time per call = total / calls, as nccl-tests and IMB do), so nothing the
// harness does per call is measured; -I 1 and -z 3 time each iteration instead.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectives/backend.h"
#include "collectives/world.h"
#include "harness/options.h"

namespace fb {

// Seconds on a monotonic clock; injectable so tests can give the loop a fake clock.
using ClockFn = double (*)();
double steady_seconds();

// True when the timed loop reads the clock every iteration: -I 1, or -z 3 on the host path (its
// barrier after each iteration is not timed).
bool times_each_iteration(const RunOptions& opts, bool device_buffers);

struct TimedLoop {
  double per_call_s = 0;  // total time / calls
  // Per iteration, seconds per call (the iteration's time / -m): only when times_each_iteration.
  std::vector<double> iteration_s;
};

// Runs the -n x -m timed calls (-z 1: a barrier on `world` after each call, timed; -z 3: after
// each iteration, not timed; host path only). `watchdog` is armed once around the whole loop, so
// -T bounds the loop. Host buffers, and -I on device buffers, time with `now`; device backends
// time the whole loop with their own timer (CUDA events).
TimedLoop run_timed_loop(const RunOptions& opts, Backend& backend, World& world,
                         const CollArgs& args, CallObserver* watchdog, bool device_buffers,
                         ClockFn now = steady_seconds);

// Cost of one steady_clock read on this machine (ns, the best of a few batches).
double clock_read_ns();

// The results' "timing" object: mode ("whole_loop"; "per_iteration" with -I 1 or -z 3;
// "device_events" on device buffers without -I), what is timed, whether per-iteration samples
// exist; and its one-line description for the console header with a clock read's cost.
nlohmann::json timing_metadata(const RunOptions& opts, bool device_buffers);
std::string timing_header_line(const nlohmann::json& timing, double clock_read_cost_ns);
// Sets meta["timing"] and, measured, meta["machine"]["clock_read_ns"] (when meta has "machine");
// returns the header line.
std::string add_timing_metadata(nlohmann::json& meta, const RunOptions& opts, bool device_buffers);

}  // namespace fb
