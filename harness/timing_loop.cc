#include "harness/timing_loop.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "fabric_model/units.h"
#include "harness/watchdog.h"

namespace fb {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool times_each_iteration(const RunOptions& opts, bool device_buffers) {
  return opts.per_iter_timing == 1 || (!device_buffers && opts.blocking == 3);
}

namespace {

// -z 3: each iteration timed on its own, its barrier outside (two clock reads an iteration).
TimedLoop host_loop_barrier_after_iteration(const RunOptions& opts, Backend& backend, World& world,
                                            const CollArgs& args, ClockFn now) {
  const int m = opts.agg_iters;
  TimedLoop out;
  out.iteration_s.reserve(static_cast<std::size_t>(opts.iters));
  double total = 0;
  for (int i = 0; i < opts.iters; ++i) {
    const double t0 = now();
    for (int a = 0; a < m; ++a) {
      backend.run(args);
      backend.sync();
    }
    const double t1 = now();
    world.barrier();
    total += t1 - t0;
    out.iteration_s.push_back((t1 - t0) / m);
  }
  out.per_call_s = total / (static_cast<double>(opts.iters) * m);
  return out;
}

// -I 1: one clock read per iteration, each iteration's end the next one's start.
template <bool kBarrierEachCall>
TimedLoop host_loop_per_iteration(const RunOptions& opts, Backend& backend, World& world,
                                  const CollArgs& args, ClockFn now) {
  const int m = opts.agg_iters;
  TimedLoop out;
  out.iteration_s.reserve(static_cast<std::size_t>(opts.iters));
  const double start = now();
  double prev = start;
  for (int i = 0; i < opts.iters; ++i) {
    for (int a = 0; a < m; ++a) {
      backend.run(args);
      backend.sync();
      if constexpr (kBarrierEachCall) world.barrier();
    }
    const double t = now();
    out.iteration_s.push_back((t - prev) / m);
    prev = t;
  }
  out.per_call_s = (prev - start) / (static_cast<double>(opts.iters) * m);
  return out;
}

// The default: the calls back to back between two clock reads.
template <bool kBarrierEachCall>
TimedLoop host_loop_whole(const RunOptions& opts, Backend& backend, World& world,
                          const CollArgs& args, ClockFn now) {
  const long long calls = static_cast<long long>(opts.iters) * opts.agg_iters;
  const double t0 = now();
  for (long long c = 0; c < calls; ++c) {
    backend.run(args);
    backend.sync();
    if constexpr (kBarrierEachCall) world.barrier();
  }
  const double t1 = now();
  TimedLoop out;
  out.per_call_s = (t1 - t0) / static_cast<double>(calls);
  return out;
}

}  // namespace

TimedLoop run_timed_loop(const RunOptions& opts, Backend& backend, World& world,
                         const CollArgs& args, CallObserver* watchdog, bool device_buffers,
                         ClockFn now) {
  WatchedCall armed(watchdog);  // once around the loop: -T bounds the whole timed region
  const bool each = times_each_iteration(opts, device_buffers);
  if (!device_buffers) {
    if (opts.blocking == 3)
      return host_loop_barrier_after_iteration(opts, backend, world, args, now);
    const bool barrier = opts.blocking == 1;
    if (each) {
      return barrier ? host_loop_per_iteration<true>(opts, backend, world, args, now)
                     : host_loop_per_iteration<false>(opts, backend, world, args, now);
    }
    return barrier ? host_loop_whole<true>(opts, backend, world, args, now)
                   : host_loop_whole<false>(opts, backend, world, args, now);
  }
  // Device buffers: the backend's own timer (CUDA events; -G one graph launch) for every call.
  const int m = opts.agg_iters;
  const std::vector<double> calls = backend.time_iterations(args, opts.iters * m, nullptr);
  TimedLoop out;
  double total = 0;
  for (double c : calls) total += c;
  out.per_call_s = calls.empty() ? 0.0 : total / static_cast<double>(calls.size());
  if (each) {
    for (int i = 0; i < opts.iters; ++i) {
      double sum = 0;
      for (int a = 0; a < m; ++a) {
        sum += calls[static_cast<std::size_t>(i) * static_cast<std::size_t>(m) +
                     static_cast<std::size_t>(a)];
      }
      out.iteration_s.push_back(sum / m);
    }
  }
  return out;
}

double clock_read_ns() {
  constexpr int kReads = 1 << 14;
  double best = std::numeric_limits<double>::infinity();
  volatile double sink = 0;
  for (int batch = 0; batch < 5; ++batch) {
    const auto t0 = std::chrono::steady_clock::now();
    double acc = 0;
    for (int i = 0; i < kReads; ++i) acc += steady_seconds();
    const auto t1 = std::chrono::steady_clock::now();
    sink = acc;
    const model::Nanos per_read =
        std::chrono::duration<double, std::nano>(t1 - t0).count() / kReads;
    best = std::min(best, per_read);
  }
  (void)sink;
  return best;
}

nlohmann::json timing_metadata(const RunOptions& opts, bool device_buffers) {
  const bool each = times_each_iteration(opts, device_buffers);
  nlohmann::json t;
  // Device buffers without -I: the backend's CUDA events around each call, summed.
  t["mode"] = each ? "per_iteration" : device_buffers ? "device_events" : "whole_loop";
  t["clock"] =
      device_buffers ? "the backend's (CUDA events per call)" : "std::chrono::steady_clock";
  t["per_iteration_samples"] = opts.per_iter_timing == 1;
  std::string timed;
  if (device_buffers) {
    timed =
        "each call timed by the backend (CUDA events; -G: one graph launch), time per call = "
        "their sum / calls";
  } else if (opts.blocking == 3) {
    timed =
        "each iteration between two clock reads, its barrier (-z 3) outside; time per call "
        "= the iterations' sum / calls";
  } else if (each) {
    timed =
        "one clock read per iteration inside the timed region (-I 1); time per call = "
        "total / calls";
  } else {
    timed =
        "the -n x -m calls between one clock read before and one after; time per call = "
        "total / calls";
  }
  t["timed"] = timed;
  if (opts.per_iter_timing != 1) {
    t["note"] =
        "no per-iteration samples: time_us_min/median/mean/max/p99 are the one sample "
        "(the slowest rank's time per call over the loop); -I 1 gives per_iter";
  }
  return t;
}

std::string timing_header_line(const nlohmann::json& timing, double clock_read_cost_ns) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.0f ns", clock_read_cost_ns);
  const std::string mode = timing.value("mode", "");
  if (mode == "whole_loop") {
    return "timing: whole loop (" + timing.value("timed", std::string()) + ")";
  }
  if (mode == "device_events") return "timing: " + timing.value("timed", std::string());
  return "timing: per iteration (" + timing.value("timed", std::string()) +
         "; a clock read costs " + buf + " here)";
}

std::string add_timing_metadata(nlohmann::json& meta, const RunOptions& opts, bool device_buffers) {
  meta["timing"] = timing_metadata(opts, device_buffers);
  const double ns = clock_read_ns();
  // A property of the machine, measured: beside its description (rank 0's meta has it).
  if (meta.contains("machine")) meta["machine"]["clock_read_ns"] = ns;
  return timing_header_line(meta["timing"], ns);
}

}  // namespace fb
