// `fabricbench <collective> [flags]`: measure one collective over a sweep of sizes.
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/backend.h"
#include "collectives/world.h"
#include "harness/commands.h"
#include "harness/exit_codes.h"
#include "harness/options.h"
#include "harness/preflight.h"
#include "harness/result_sink.h"
#include "harness/run_metadata.h"
#include "harness/run_rank.h"
#include "harness/runner.h"
#include "harness/sizes.h"
#include "harness/split.h"
#include "harness/timing_loop.h"
#include "harness/watchdog.h"

namespace fb {

int run_rank(World& world, RunOptions opts, const RankContext& ctx) {
  // Split groups: every rank computes the whole layout from the rule (colors depend on the job
  // rank alone).
  const SplitLayout layout = split_layout(opts.split, world.size());
  Preflight pre;
  if (const int code = preflight(world, opts, layout, &pre); code != 0) return code;
  const bool device_buffers = pre.device_buffers();
  const BindResult bind = bind_this_rank(world, opts, device_buffers, ctx.bind_scope);
  // Each group's collectives run on a communicator of its own (MPI_Comm_split, per-group thread
  // rendezvous, and so per-group NCCL communicators).
  std::unique_ptr<World> group;
  if (opts.split.active()) {
    group = world.split(layout.color_of_rank[static_cast<std::size_t>(world.rank())]);
  }
  World& team = group ? *group : world;
  const std::unique_ptr<Backend> backend = make_rank_backend(world, team, opts, pre.device.kind);
  if (backend == nullptr) return kExitUsage;
  nlohmann::json meta = run_metadata(world, opts, *backend, pre.device, bind, layout);
  std::vector<SizeResult> resumed;
  const int row_ranks = static_cast<int>(layout.groups.front().ranks.size());
  if (!load_resume(world, opts, meta, row_ranks, &resumed)) return kExitUsage;

  std::vector<std::string> header{pre.device.reason,
                                  add_timing_metadata(meta, opts, device_buffers)};
  if (opts.split.active()) {
    std::string line = opts.split.env + "=" + quote_arg(opts.split.text) + ": " +
                       std::to_string(layout.groups.size()) + " groups (" + opts.split.describe() +
                       "), each its own communicator";
    header.push_back(line);
    if (!opts.split.note.empty()) header.push_back(opts.split.note);
  }
  if (opts.first_device >= 0) {
    header.push_back("NCCL_TESTS_DEVICE=" + std::to_string(opts.first_device) +
                     (device_buffers
                          ? ": local rank i uses GPU " + std::to_string(opts.first_device) + " + i"
                          : ": recorded (CPU mode: no GPU is used)"));
  }
  if (opts.stream_null == 1) {
    header.push_back(opts.backend == "nccl" && device_buffers
                         ? "-y 1: NCCL calls on the default stream"
                         : "-y 1: recorded (only the nccl backend on GPUs has a stream to choose)");
  }
  if (opts.report_cputime == 1) {
    header.push_back(device_buffers ? "-C 1: not measured on device backends: the time column is "
                                      "the completion time"
                                    : "-C 1: host time of the issuing loop; host calls complete "
                                      "before they return, so it is the time");
  }
  if (opts.gpus_per_process > 1) {
    header.push_back("-g " + std::to_string(opts.gpus_per_process) + ": " +
                     std::to_string(opts.gpus_per_process) + " ranks as threads of this process" +
                     (device_buffers ? ", one GPU each" : " (host buffers)"));
  }
  ResultSink sink(world.rank() == 0, opts, meta, header);
  WatchdogOptions wopts;
  wopts.timeout_s = opts.timeout_s;
  wopts.group = ctx.watchdogs;
  wopts.on_timeout = [&world](const std::string& message) {
    std::fprintf(stderr, "fabricbench: %s\n", message.c_str());
    std::fflush(stderr);
    world.abort(kExitTimeout);
  };
  Watchdog watchdog(world, wopts);
  sink.replay(resumed, opts.resume_path);
  resumed = {};  // the rows are the reporters' now

  bool complete = true;
  std::string run_error;
  sink.while_flushing_on_signals(world, ctx.owns_process, [&] {
    try {
      complete =
          run_sweep(
              opts, *backend, world, &watchdog, device_buffers,
              [&](const SizeResult& row) { sink.add(row); }, SweepGroups{group.get(), &layout})
              .complete;
    } catch (const std::exception& e) {
      run_error = e.what();
    }
  });
  if (opts.memory_report == 1 && run_error.empty()) {
    // -M: host memory per rank, the maximum over ranks (ru_maxrss is in KiB on Linux).
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double mem[2] = {static_cast<double>(pre.plan.host_bytes),
                     static_cast<double>(ru.ru_maxrss) * 1024.0};
    world.allreduce_max(mem, 2);
    sink.set_memory(mem[0], mem[1]);
  }
  if (!run_error.empty()) {
    // A rank that fails mid-sweep cannot rejoin the others' collectives: end the job.
    std::fprintf(stderr, "fabricbench: rank %d: %s\n", world.rank(), run_error.c_str());
    world.abort(kExitRunFailed);
  }
  return sink.finish(complete);
}

int cmd_collective(int argc, char** argv) {
  std::unique_ptr<World> world = make_world(&argc, &argv);
  const bool root_rank = world->rank() == 0;
  auto say = [&](const std::string& line) {
    if (root_rank) std::fprintf(stderr, "fabricbench: %s\n", line.c_str());
  };

  std::vector<std::string> args(argv, argv + argc);
  ParseOutcome parsed = parse_run_options(args);
  if (!parsed.options) {
    if (parsed.exit_code == 0) {
      if (root_rank) std::fputs(parsed.output.c_str(), stdout);
      return kExitOk;
    }
    say(parsed.output);
    return parsed.exit_code;
  }
  RunOptions opts = std::move(*parsed.options);
  if (opts.algo == "list") {
    if (root_rank) std::fputs(format_algorithm_list().c_str(), stdout);
    return kExitOk;
  }
  if (opts.gpus_per_process > 1) {
    const std::string error = check_rank_threads(*world, opts);
    if (!error.empty()) {
      say(error);
      return kExitUsage;
    }
    return run_rank_threads(*world, opts);
  }
  return run_rank(*world, std::move(opts), RankContext{});
}

}  // namespace fb
