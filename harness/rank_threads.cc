#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "harness/exit_codes.h"
#include "harness/run_rank.h"
#include "kernels/cuda_device.h"

namespace fb {

// Whether -g N can run here: one process (no mpirun), and a GPU per rank when the ranks use GPUs.
// Empty when it can, else the one-line reason.
std::string check_rank_threads(const World& process, const RunOptions& opts) {
  const int n = opts.gpus_per_process;
  const std::string g = "-g " + std::to_string(n);
  if (process.size() > 1) {
    return g +
           " > 1 runs without mpirun (one process, a thread per rank); use mpirun -np P with "
           "-g 1";
  }
  if (opts.device == DeviceChoice::kCpu) return "";  // own backend on host buffers
  const GpuProbe probe = probe_gpus();
  if (probe.count >= n) return "";
  if (probe.count == 0 && opts.device == DeviceChoice::kAuto && opts.backend != "nccl") return "";
  const std::string have = probe.count == 0 ? "none usable (" + probe.reason + ")"
                                            : std::to_string(probe.count) + " visible";
  return g + " needs " + std::to_string(n) + " GPUs (one per rank); this machine has " + have;
}

// -g N: ranks 0..N-1 as threads of this process, rank 0 on the calling thread (the one that set
// up MPI, if the build has it). Returns the first non-zero exit code of any rank.
int run_rank_threads(World& process, const RunOptions& opts) {
  const int n = opts.gpus_per_process;
  std::vector<std::unique_ptr<World>> worlds = make_thread_worlds(n, process);
  WatchdogGroup watchdogs(n);
  std::vector<int> codes(static_cast<std::size_t>(n), 0);
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  auto run = [&](int r) {
    const auto i = static_cast<std::size_t>(r);
    RankContext ctx;
    ctx.owns_process = r == 0;
    ctx.bind_scope = BindScope::kThread;
    ctx.watchdogs = &watchdogs;
    try {
      codes[i] = run_rank(*worlds[i], opts, ctx);
    } catch (const std::exception& e) {
      errors[i] = e.what();
      codes[i] = kExitRunFailed;
    }
    worlds[i].reset();  // ranks still waiting on this one fail instead of hanging
  };
  std::vector<std::thread> threads;
  for (int r = 1; r < n; ++r) threads.emplace_back(run, r);
  run(0);
  for (auto& t : threads) t.join();
  // The cause, not the other ranks' echo of a rank that left.
  std::string first, echo;
  for (int r = 0; r < n; ++r) {
    const std::string& e = errors[static_cast<std::size_t>(r)];
    if (e.empty()) continue;
    const std::string line = "rank " + std::to_string(r) + ": " + e;
    if (e.find("left the job") == std::string::npos) {
      if (first.empty()) first = line;
    } else if (echo.empty()) {
      echo = line;
    }
  }
  if (!first.empty() || !echo.empty()) {
    std::fprintf(stderr, "fabricbench: %s\n", (first.empty() ? echo : first).c_str());
  }
  for (int c : codes) {
    if (c != 0) return c;
  }
  return kExitOk;
}

}  // namespace fb
