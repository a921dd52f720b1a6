// `fabricbench <collective> [flags]`: measure one collective over a sweep of sizes.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/backend.h"
#include "collectives/cuda_device.h"
#include "collectives/world.h"
#include "fb_config.h"
#include "harness/commands.h"
#include "harness/options.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/sysinfo.h"
#include "harness/watchdog.h"

namespace fb {
namespace {

// Every rank learns whether any rank failed; the failing rank has printed its own line.
bool any_rank_failed(World& world, bool failed) {
  double f = failed ? 1.0 : 0.0;
  world.allreduce_max(&f, 1);
  return f > 0;
}

// Collective: true when any rank has an error. Rank 0 then prints each distinct message once,
// naming the ranks that had it unless all did ("fabricbench: ranks 1,2: ...").
bool report_rank_errors(World& world, const std::string& error) {
  if (!any_rank_failed(world, !error.empty())) return false;
  const std::vector<std::string> all = world.allgather_string(error);
  if (world.rank() != 0) return true;
  std::vector<std::pair<std::string, std::string>> distinct;  // message, ranks
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    auto it = std::find_if(distinct.begin(), distinct.end(),
                           [&](const auto& d) { return d.first == all[r]; });
    if (it == distinct.end()) it = distinct.insert(distinct.end(), {all[r], ""});
    if (!it->second.empty()) it->second += ',';
    it->second += std::to_string(r);
  }
  for (const auto& [message, ranks] : distinct) {
    const bool everywhere =
        std::count(all.begin(), all.end(), message) == static_cast<std::ptrdiff_t>(all.size());
    if (everywhere || all.size() == 1) {
      std::fprintf(stderr, "fabricbench: %s\n", message.c_str());
    } else {
      std::fprintf(stderr, "fabricbench: rank%s %s: %s\n",
                   ranks.find(',') == std::string::npos ? "" : "s", ranks.c_str(), message.c_str());
    }
  }
  return true;
}

struct DeviceDecision {
  DeviceKind kind = DeviceKind::kCpu;
  std::string reason;  // why this device
  std::string error;   // non-empty: cannot run
};

DeviceDecision choose_device(DeviceChoice choice) {
  DeviceDecision d;
  if (choice == DeviceChoice::kCpu) {
    d.reason = "CPU mode: --device cpu";
    return d;
  }
  const GpuProbe probe = probe_gpus();
  if (probe.count > 0) {
    d.kind = DeviceKind::kCuda;
    d.reason = "CUDA mode: " + std::to_string(probe.count) + " GPU(s) visible";
    return d;
  }
  if (choice == DeviceChoice::kCuda) {
    d.error = "--device cuda but no usable GPU: " + probe.reason;
    return d;
  }
  d.reason = "CPU mode: no usable GPU (" + probe.reason + "); host buffers, CPU reduction kernels";
  return d;
}

// SIGINT/SIGTERM (Ctrl-C, or mpirun passing on a job cancellation) only set a flag; a watcher
// thread flushes the rows measured so far as a valid document marked incomplete, then exits.
std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }
// SIGCONT: mpirun's first step when it ends a job (Ctrl-C on mpirun, a rank lost): SIGCONT, then
// SIGTERM 1 s later, then SIGKILL as soon as the other ranks are gone (often within milliseconds).
// So SIGCONT asks for a checkpoint of the files at once, while there is still a second.
std::atomic<bool> g_checkpoint_request{false};
extern "C" void on_cont_signal(int) { g_checkpoint_request.store(true); }

// Files get a checkpoint (the partial document, marked incomplete, written atomically) every
// --checkpoint seconds while rows come in, so even a SIGKILL without warning (out of memory, a
// scheduler's hard kill) loses at most that much of the run; but never more often than 20x the
// time the last checkpoint took (at most ~5% of the run spent writing, however large the files).
constexpr double kCheckpointCostFactor = 20.0;

// Writes every file reporter's document as it stands, marked incomplete, and returns the summary
// written. A file that fails is reported ("fabricbench: <what> failed: ...") and the others are
// still written. Caller holds files_mu.
RunSummary write_partial(std::vector<std::unique_ptr<Reporter>>& files, const SummaryBuilder& rows,
                         const char* what) {
  RunSummary s = rows.summary(false);
  s.end_time = utc_now();
  for (auto& r : files) {
    try {
      r->finish(s);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fabricbench: %s failed: %s\n", what, e.what());
    }
  }
  return s;
}

class InterruptFlusher {
 public:
  // files_mu guards `files` and `rows`; console_mu guards `console` (null on ranks other than 0).
  // They are separate because a console write can block: when mpirun is shutting down it stops
  // reading the ranks' stdout, and a row printed then waits on a full pipe. The files must not
  // wait for it (mpirun sends SIGKILL 1 s after SIGTERM).
  InterruptFlusher(World& world, std::mutex& files_mu,
                   std::vector<std::unique_ptr<Reporter>>& files, SummaryBuilder& rows,
                   std::mutex& console_mu, Reporter* console)
      : world_(world),
        files_mu_(files_mu),
        files_(files),
        rows_(rows),
        console_mu_(console_mu),
        console_(console) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    struct sigaction cont {};
    cont.sa_handler = on_cont_signal;
    sigemptyset(&cont.sa_mask);
    cont.sa_flags = SA_RESTART;
    sigaction(SIGCONT, &cont, &old_cont_);
    thread_ = std::thread([this] { loop(); });
  }
  ~InterruptFlusher() {
    done_.store(true);
    thread_.join();
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGCONT, &old_cont_, nullptr);
  }
  InterruptFlusher(const InterruptFlusher&) = delete;
  InterruptFlusher& operator=(const InterruptFlusher&) = delete;

 private:
  void loop() {
    while (!done_.load()) {
      if (g_checkpoint_request.exchange(false) && world_.rank() == 0) {
        std::lock_guard<std::mutex> lock(files_mu_);
        write_partial(files_, rows_, "checkpoint of the results");
      }
      const int sig = g_stop_signal.load();
      if (sig != 0) {
        if (world_.rank() == 0) {
          RunSummary s;
          {
            std::lock_guard<std::mutex> lock(files_mu_);
            s = write_partial(files_, rows_, "writing partial results");
          }
          std::fprintf(stderr,
                       "fabricbench: interrupted by signal %d: rows measured so far were written, "
                       "marked incomplete\n",
                       sig);
          std::fflush(stderr);
          // The console footer only if no row is being printed (that print may be stuck).
          std::unique_lock<std::mutex> lock(console_mu_, std::try_to_lock);
          if (lock.owns_lock() && console_ != nullptr) {
            try {
              console_->finish(s);
            } catch (const std::exception&) {
              // The files are written; a console that cannot take the footer changes nothing.
            }
            std::fflush(stdout);
          }
        }
        std::_Exit(128 + sig);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  World& world_;
  std::mutex& files_mu_;
  std::vector<std::unique_ptr<Reporter>>& files_;
  SummaryBuilder& rows_;
  std::mutex& console_mu_;
  Reporter* console_;
  std::atomic<bool> done_{false};
  struct sigaction old_int_ {
  }, old_term_{}, old_cont_{};
  std::thread thread_;
};

// What a rank shares with the other ranks of its process. A rank per process (mpirun, or one
// rank alone) owns the process; with -g N only rank 0's thread does.
struct RankContext {
  bool owns_process = true;  // installs the signal handlers that flush partial results
  BindScope bind_scope = BindScope::kProcess;
  WatchdogGroup* watchdogs = nullptr;  // set when the ranks are threads of one process
};

// One rank's run: checks, backend, sweep, reports (rank 0). Every early return is agreed by all
// ranks, so none is left waiting in a control-plane call.
int run_rank(World& world, RunOptions opts, const RankContext& ctx) {
  const bool root_rank = world.rank() == 0;
  auto say = [&](const std::string& line) {
    if (root_rank) std::fprintf(stderr, "fabricbench: %s\n", line.c_str());
  };
  if (opts.root >= world.size()) {
    say("-r/--root " + std::to_string(opts.root) + " is not a rank (the job has " +
        std::to_string(world.size()) + " ranks)");
    return 2;
  }

  // Output files are checked before anything runs, so a typo costs nothing.
  std::string path_error;
  if (root_rank) {
    for (const std::string* p : {&opts.json_path, &opts.csv_path}) {
      if (!p->empty() && path_error.empty()) path_error = check_output_path(*p);
    }
  }
  if (report_rank_errors(world, path_error)) return 2;

  // Before any buffer is allocated (process-wide; ranks that are threads set it alike).
  const std::string heap_error = opts.keep_heap ? keep_freed_heap() : std::string();
  if (report_rank_errors(world, heap_error)) return 2;

  const DeviceDecision device = choose_device(opts.device);
  if (report_rank_errors(world, device.error)) return 2;
  const bool device_buffers = device.kind == DeviceKind::kCuda;

  const SweepPlan plan = plan_sweep(opts, world.size(), device_buffers);
  const std::string mem_error = check_memory(plan, world.local_size(), available_memory_bytes());
  if (report_rank_errors(world, mem_error)) return 2;
  // Device buffers: refused before cudaMalloc, with the numbers, like host memory above.
  std::string dev_mem_error;
  if (device_buffers) {
    try {
      const int count = probe_gpus().count;
      const int dev = gpu_for_local_rank(world.local_rank(), count);
      const int per_gpu = (world.local_size() + count - 1) / count;
      dev_mem_error = check_device_memory(plan, per_gpu, gpu_info(dev).memory_bytes);
    } catch (const std::exception& e) {
      dev_mem_error = e.what();
    }
  }
  if (report_rank_errors(world, dev_mem_error)) return 2;

  BindResult bind;
  if (opts.bind) {
    // In CUDA mode a rank runs on the cores nearest its GPU.
    std::string gpu_bus;
    if (device_buffers) {
      try {
        const int dev = gpu_for_local_rank(world.local_rank(), probe_gpus().count);
        if (dev >= 0) gpu_bus = gpu_pci_bus_id(dev);
      } catch (const std::exception&) {
        gpu_bus.clear();  // bind to a core instead; bind_rank says why in the metadata
      }
    }
    bind = bind_rank(world.local_rank(), world.local_size(), gpu_bus, ctx.bind_scope);
  } else {
    bind.description = "not bound (--no-bind)";
  }

  BackendOptions bopts;
  bopts.device = device.kind;
  bopts.algo = opts.algo;
  bopts.blocking = opts.blocking;
  bopts.cuda_graph = opts.cuda_graph;
  std::unique_ptr<Backend> backend;
  std::string backend_error;
  try {
    backend = find_backend(opts.backend)->make(world, bopts);
    if (!backend->supports(*opts.collective)) {
      backend_error = "backend " + opts.backend + " does not support " + opts.collective->name;
    }
  } catch (const std::exception& e) {
    backend_error = e.what();
  }
  if (report_rank_errors(world, backend_error)) return 2;

  // Metadata: what ran, where, with what.
  nlohmann::json meta;
  meta["tool"] = "fabricbench";
  meta["version"] = FB_VERSION;
  meta["git_commit"] = FB_GIT_COMMIT;
  meta["build_type"] = FB_BUILD_TYPE;
  meta["command_line"] = opts.argv;
  meta["start_time"] = utc_now();
  meta["collective"] = opts.collective->name;
  meta["backend"] = backend->name();
  meta["algorithm"] = opts.backend == "own" ? opts.algo : "library";
  meta["device"] = device_buffers ? "cuda" : "cpu";
  meta["device_reason"] = device.reason;
  meta["nranks"] = world.size();
  meta["sweep"] = {{"minbytes", opts.min_bytes},
                   {"maxbytes", opts.max_bytes},
                   {"stepbytes", opts.step_bytes},
                   {"stepfactor", opts.step_factor},
                   {"iters", opts.iters},
                   {"warmup_iters", opts.warmup_iters},
                   {"check_iters", opts.check_iters},
                   {"average", static_cast<int>(opts.average)},
                   {"run_cycles", opts.run_cycles},
                   {"timeout_s", opts.timeout_s},
                   {"seed", opts.seed}};
  // What else shapes the rows, so --resume can tell a matching run from another one.
  std::vector<std::string> dtype_list, op_list;
  for (DType d : opts.dtypes) dtype_list.emplace_back(dtype_name(d));
  for (RedOp o : opts.ops) op_list.emplace_back(redop_name(o));
  meta["sweep"]["dtypes"] = dtype_list;
  meta["sweep"]["ops"] = op_list;
  meta["sweep"]["root"] = opts.root;
  // Only with -g, so --resume still matches files written before -g existed.
  if (opts.gpus_per_process > 1) meta["sweep"]["gpus_per_process"] = opts.gpus_per_process;
  // Likewise only when set: the host allocator keeps freed memory (--keep-heap).
  if (opts.keep_heap) meta["sweep"]["keep_heap"] = true;
  meta["mpi_library"] = world.library_version();
  meta["cuda_runtime"] = cuda_runtime_version();
  meta["cuda_driver"] = cuda_driver_version();
  nlohmann::json backend_meta = nlohmann::json::object();
  backend->describe(backend_meta);
  meta["backend_info"] = backend_meta;
  const std::string device_name = device_buffers ? "cuda" : "cpu";
  const std::vector<std::string> hosts = world.allgather_string(hostname());
  const std::vector<std::string> cpusets = world.allgather_string(current_cpuset());
  const std::vector<std::string> binds = world.allgather_string(bind.description);
  const std::vector<std::string> pids = world.allgather_string(std::to_string(getpid()));
  // Each rank's GPU ("index|bus id|name"), so a -g run's table shows one GPU per rank.
  std::string my_gpu;
  if (device_buffers) {
    try {
      const GpuInfo info = gpu_info(gpu_for_local_rank(world.local_rank(), probe_gpus().count));
      my_gpu = std::to_string(info.index) + "|" + info.pci_bus_id + "|" + info.name;
    } catch (const std::exception&) {
      my_gpu.clear();  // the backend ran on it, so this is unlikely; the row just lacks the GPU
    }
  }
  const std::vector<std::string> gpus = world.allgather_string(my_gpu);
  nlohmann::json ranks = nlohmann::json::array();
  for (int r = 0; r < world.size(); ++r) {
    const auto i = static_cast<std::size_t>(r);
    nlohmann::json row = {{"rank", r},
                          {"host", hosts[i]},
                          {"pid", std::stoll(pids[i])},
                          {"device", device_name},
                          {"cpuset", cpusets[i]},
                          {"binding", binds[i]}};
    if (const std::string& g = gpus[i]; !g.empty()) {
      const std::size_t p1 = g.find('|');
      const std::size_t p2 = g.find('|', p1 + 1);
      row["device_index"] = std::stoi(g.substr(0, p1));
      row["device_bus_id"] = g.substr(p1 + 1, p2 - p1 - 1);
      row["device_name"] = g.substr(p2 + 1);
    }
    ranks.push_back(std::move(row));
  }
  meta["ranks"] = ranks;
  if (root_rank) meta["machine"] = machine_summary();

  // --resume: rank 0 reads the interrupted run's rows; every rank skips that many steps.
  std::vector<SizeResult> resumed;
  if (!opts.resume_path.empty()) {
    std::string resume_error;
    if (root_rank) {
      try {
        resumed = load_resume_rows(opts.resume_path, meta, opts, world.size());
      } catch (const std::exception& e) {
        resume_error = e.what();
      }
    }
    if (report_rank_errors(world, resume_error)) return 2;
    double steps = static_cast<double>(resumed.size());
    world.allreduce_max(&steps, 1);
    opts.resume_steps = static_cast<std::size_t>(steps);
    meta["resumed_from"] = {{"file", opts.resume_path}, {"sizes", opts.resume_steps}};
  }

  // Rank 0 reports: the console, and the files (kept apart, see InterruptFlusher).
  std::unique_ptr<Reporter> console;
  std::vector<std::unique_ptr<Reporter>> files;
  if (root_rank) {
    std::fprintf(stdout, "# %s\n", device.reason.c_str());
    if (opts.gpus_per_process > 1) {
      std::fprintf(stdout, "# -g %d: %d ranks as threads of this process%s\n",
                   opts.gpus_per_process, opts.gpus_per_process,
                   device_buffers ? ", one GPU each" : " (host buffers)");
    }
    console = make_console_reporter(stdout, !opts.quiet_header);
    if (!opts.json_path.empty()) files.push_back(make_json_reporter(opts.json_path));
    if (!opts.csv_path.empty()) files.push_back(make_csv_reporter(opts.csv_path));
    console->begin(meta);
    for (auto& r : files) r->begin(meta);
  }

  WatchdogOptions wopts;
  wopts.timeout_s = opts.timeout_s;
  wopts.group = ctx.watchdogs;
  Watchdog watchdog(world, wopts);
  RunSummary summary;
  std::string run_error;
  std::mutex files_mu, console_mu;
  SummaryBuilder rows_so_far;
  // Rows go to the files first (with a checkpoint now and then, see kCheckpointCostFactor), then
  // (under its own lock) to the console.
  using Clock = std::chrono::steady_clock;
  const auto after = [](double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  Clock::time_point next_checkpoint = after(opts.checkpoint_s);
  const auto report_row = [&](const SizeResult& row) {
    {
      std::lock_guard<std::mutex> lock(files_mu);
      rows_so_far.add(row);
      for (auto& r : files) r->add(row);
      const Clock::time_point now = Clock::now();
      if (!files.empty() && opts.checkpoint_s > 0 && now >= next_checkpoint) {
        // The run goes on after a failed checkpoint; the final write reports a lasting problem.
        write_partial(files, rows_so_far, "checkpoint of the results");
        const std::chrono::duration<double> took = Clock::now() - now;
        next_checkpoint = after(std::max(opts.checkpoint_s, kCheckpointCostFactor * took.count()));
      }
    }
    std::lock_guard<std::mutex> lock(console_mu);
    if (console) console->add(row);
  };
  if (root_rank && !resumed.empty()) {
    std::fprintf(stdout, "# resumed: %zu sizes from %s\n", resumed.size(),
                 opts.resume_path.c_str());
  }
  for (const SizeResult& row : resumed) report_row(row);
  resumed.clear();
  resumed.shrink_to_fit();
  {
    // Signal handlers are the process's: installed once, by the rank that owns it.
    std::optional<InterruptFlusher> flusher;
    if (ctx.owns_process) {
      flusher.emplace(world, files_mu, files, rows_so_far, console_mu, console.get());
    }
    try {
      summary = run_sweep(opts, *backend, world, &watchdog, device_buffers, report_row);
    } catch (const std::exception& e) {
      run_error = e.what();
    }
  }
  if (!run_error.empty()) {
    // A rank that fails mid-sweep cannot rejoin the others' collectives: end the job.
    std::fprintf(stderr, "fabricbench: rank %d: %s\n", world.rank(), run_error.c_str());
    world.abort(3);
  }
  // Over every row, resumed ones included.
  summary = rows_so_far.summary(summary.complete);
  summary.end_time = utc_now();
  try {
    std::scoped_lock lock(files_mu, console_mu);
    if (console) console->finish(summary);
    for (auto& r : files) r->finish(summary);
  } catch (const std::exception& e) {
    say(std::string("writing results failed: ") + e.what());
    return 3;
  }
  if (summary.wrong_total > 0) {
    say(std::to_string(summary.wrong_total) + " wrong elements: results are not correct");
    return 1;
  }
  return 0;
}

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
      codes[i] = 3;
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
  return 0;
}

}  // namespace

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
      return 0;
    }
    say(parsed.output);
    return parsed.exit_code;
  }
  RunOptions opts = std::move(*parsed.options);
  if (opts.algo == "list") {
    if (root_rank) std::fputs(format_algorithm_list().c_str(), stdout);
    return 0;
  }
  if (opts.gpus_per_process > 1) {
    const std::string error = check_rank_threads(*world, opts);
    if (!error.empty()) {
      say(error);
      return 2;
    }
    return run_rank_threads(*world, opts);
  }
  return run_rank(*world, std::move(opts), RankContext{});
}

}  // namespace fb
