#include "harness/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "harness/exit_codes.h"

namespace fb {

namespace {

// The size after `s` in the sweep, or 0 when `s` is the last one.
std::size_t next_sweep_size(std::size_t s, std::size_t max_bytes, std::size_t step_bytes,
                            double step_factor) {
  std::size_t next;
  if (step_factor > 1.0) {
    const double n = std::floor(static_cast<double>(s) * step_factor);
    next = n >= static_cast<double>(max_bytes) + 1.0 ? max_bytes + 1 : static_cast<std::size_t>(n);
    if (next <= s) next = s + 1;  // tiny sizes with factors close to 1 still advance
  } else {
    if (step_bytes == 0 || s > max_bytes - step_bytes) return 0;
    next = s + step_bytes;
  }
  return next > max_bytes ? 0 : next;
}

}  // namespace

std::vector<std::size_t> make_sweep(std::size_t min_bytes, std::size_t max_bytes,
                                    std::size_t step_bytes, double step_factor) {
  std::vector<std::size_t> sizes;
  if (min_bytes > max_bytes) return sizes;
  std::size_t s = min_bytes;
  do {
    sizes.push_back(s);
    s = next_sweep_size(s, max_bytes, step_bytes, step_factor);
  } while (s != 0);
  return sizes;
}

std::size_t sweep_length(std::size_t min_bytes, std::size_t max_bytes, std::size_t step_bytes,
                         double step_factor) {
  if (min_bytes == 0 || min_bytes > max_bytes) return 0;
  // A constant step: min, min + step, ... up to max, i.e. floor((max - min) / step) + 1 sizes.
  if (!(step_factor > 1.0)) {
    return step_bytes == 0 ? 1 : (max_bytes - min_bytes) / step_bytes + 1;
  }
  // A factor: walk it, stopping just past the limit (at most kMaxSweepSizes + 1 steps).
  std::size_t n = 0;
  for (std::size_t s = min_bytes; s != 0 && n <= kMaxSweepSizes;
       s = next_sweep_size(s, max_bytes, step_bytes, step_factor)) {
    ++n;
  }
  return n;
}

namespace {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::vector<std::string> dtype_names() {
  std::vector<std::string> out;
  for (const auto& d : all_dtypes()) out.emplace_back(d.name);
  return out;
}
std::vector<std::string> redop_names() {
  std::vector<std::string> out;
  for (const auto& o : all_redops()) out.emplace_back(o.name);
  return out;
}
std::vector<std::string> collective_names() {
  std::vector<std::string> out;
  for (const auto* c : all_collectives()) out.emplace_back(c->name);
  return out;
}
std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const auto& b : all_backends()) out.emplace_back(b.name);
  return out;
}

ParseOutcome fail(const std::string& line) {
  ParseOutcome r;
  r.exit_code = kExitUsage;
  r.output = line;
  return r;
}

}  // namespace

std::string top_level_help() {
  std::ostringstream os;
  os << "fabricbench: collective communication benchmarks and fabric model\n\n"
     << "usage: mpirun -np N fabricbench <collective> [flags]   (see fabricbench <collective> "
        "--help)\n"
     << "       fabricbench model|topo-size|calibrate|publish [flags]\n\n"
     << "collectives: " << join_names(collective_names()) << "\n"
     << "backends:\n";
  for (const auto& b : all_backends()) {
    os << "  " << b.name << ": " << b.summary;
    if (b.make == nullptr) os << " [unavailable: " << b.unavailable << "]";
    os << "\n";
  }
  os << "dtypes: " << join_names(dtype_names()) << " all\n"
     << "ops: " << join_names(redop_names()) << " all\n";
  return os.str();
}

ParseOutcome parse_run_options(const std::vector<std::string>& args) {
  if (args.empty()) return fail("missing collective name");
  RunOptions o;
  o.argv = args;
  o.collective = find_collective(args[0]);
  if (o.collective == nullptr) {
    return fail("unknown collective " + quote_arg(args[0]) +
                " (known: " + join_names(collective_names()) + ")");
  }

  std::string minb = "32M", maxb = "32M", stepb = "1M", dtype = "float", op = "sum";
  std::string device = "auto";
  int average = 1;
  CLI::App app{std::string("fabricbench ") + o.collective->name +
               ": measure the collective over a sweep of sizes.\n"
               "collectives: " +
               join_names(collective_names()) + "\nbackends: " + join_names(backend_names()) +
               "\ndtypes: " + join_names(dtype_names()) +
               " all\nops: " + join_names(redop_names()) + " all"};
  app.name(std::string("fabricbench ") + o.collective->name);
  app.add_option("-b,--minbytes", minb, "smallest size (K/M/G/T binary suffixes)");
  app.add_option("-e,--maxbytes", maxb, "largest size");
  app.add_option("-i,--stepbytes", stepb, "size increment when the step factor is 1");
  app.add_option("-f,--stepfactor", o.step_factor, "size multiplier between steps");
  app.add_option("-n,--iters", o.iters, "timed iterations per size");
  app.add_option("-w,--warmup_iters", o.warmup_iters, "untimed warm-up iterations per size");
  app.add_option("-c,--check", o.check_iters, "checked iterations per size (0: no checking)");
  app.add_option("-d,--datatype", dtype, "element type, or all");
  app.add_option("-o,--op", op, "reduction operator, or all");
  app.add_option("-r,--root", o.root,
                 "root rank for broadcast and reduce (-1: every rank in turn)");
  app.add_option("-a,--average", average, "combine per-rank times: 0 rank 0, 1 mean, 2 min, 3 max");
  app.add_option("-z,--blocking", o.blocking,
                 "nccl-tests' -z: 1 wait and barrier after each call (-m), 2 wait after each call, "
                 "3 wait and barrier after each timed iteration (barrier not timed); host calls "
                 "always complete before they return; barriers on the host path only");
  app.add_option("-N,--run_cycles", o.run_cycles, "repeat the sweep N times (0: forever)");
  app.add_option("-T,--timeout", o.timeout_s,
                 "seconds before a collective counts as hung (0: no watchdog)");
  app.add_option("-G,--cudagraph", o.cuda_graph, "capture the timed loop in a CUDA graph (0/1)");
  app.add_option("-g,--ngpus", o.gpus_per_process,
                 "ranks in this one process, a thread and a GPU each (nccl, own; no mpirun)");
  app.add_option("--backend", o.backend, "mpi, nccl or own");
  app.add_option("--algo", o.algo, "algorithm for --backend own (auto, list, or a name)");
  app.add_option("--device", device, "auto, cpu or cuda");
  app.add_option("--json", o.json_path, "write results as JSON to this new file");
  app.add_option("--csv", o.csv_path, "write results as CSV to this new file");
  app.add_option(
      "-J,--output_file", o.nccl_json_path,
      "write results as nccl-tests' JSON (-J layout) to this file (FILE.N if it exists)");
  app.add_option("-I,--per_iter_timing", o.per_iter_timing,
                 "1: per-iteration min/max/p99/cv% columns; raw per-iteration and per-rank times "
                 "in --json and -J");
  app.add_option("-m,--agg_iters", o.agg_iters,
                 "collectives per timed iteration, back to back (time per call = its time / m)");
  app.add_option("-u,--unalign", o.unalign, "byte offset of the send and receive buffers");
  app.add_option("-C,--report_cputime", o.report_cputime,
                 "1: report the host time of the issuing loop (equals the time on host backends)");
  app.add_option("-S,--report_timestamps", o.report_timestamps,
                 "1: a timestamp (local time) at the end of each row");
  app.add_option("-y,--stream_null", o.stream_null,
                 "1: the nccl backend enqueues on the default stream (recorded on the CPU path)");
  app.add_option("-M,--memory", o.memory_report,
                 "1: memory report in the footer (host buffers and peak resident memory)");
  app.add_option("-p,--parallel_init", o.parallel_init,
                 "1: ranks initialise concurrently (always so here: a process or thread per rank)");
  app.add_option("-K,--per_iter_skip", o.per_iter_skip,
                 "samples dropped from the start of the -I summary (kept in the raw times)");
  app.add_option("--seed", o.seed, "seed of the generated data");
  app.add_option("--checkpoint", o.checkpoint_s,
                 "seconds between checkpoints of the --json/--csv files during the run, so a kill "
                 "without warning loses at most that much (0: write them only at the end)");
  app.add_option("--resume", o.resume_path,
                 "continue the interrupted run whose --json file this is (same flags; write the "
                 "completed results to a new --json/--csv file)");
  bool no_bind = false, no_header = false;
  app.add_flag("--no-bind", no_bind, "do not bind ranks to cores");
  app.add_flag("--no-header", no_header, "print result rows only");
  app.add_flag("--keep-heap", o.keep_heap,
               "keep freed host memory mapped (glibc), so a library's per-call temporary buffers "
               "are not page-faulted on every call (Open MPI all_reduce >= 32 MiB)");

  std::vector<std::string> rest(args.begin() + 1, args.end());
  std::reverse(rest.begin(), rest.end());  // CLI11 parses a reversed vector
  try {
    app.parse(rest);
  } catch (const CLI::CallForHelp&) {
    ParseOutcome r;
    r.output = app.help();
    return r;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    return fail(msg);
  }
  o.bind = !no_bind;
  o.quiet_header = no_header;

  try {
    o.min_bytes = parse_size(minb);
    o.max_bytes = parse_size(maxb);
    o.step_bytes = parse_size(stepb);
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  if (o.min_bytes == 0) return fail("-b/--minbytes must be positive");
  if (o.min_bytes > o.max_bytes) {
    return fail("-b/--minbytes (" + minb + ") is larger than -e/--maxbytes (" + maxb + ")");
  }
  if (!(o.step_factor >= 1.0) || !std::isfinite(o.step_factor)) {
    return fail("-f/--stepfactor must be at least 1");
  }
  if (o.step_factor == 1.0 && o.step_bytes == 0 && o.min_bytes != o.max_bytes) {
    return fail("-i/--stepbytes must be positive when -f/--stepfactor is 1");
  }
  const std::size_t nsizes = sweep_length(o.min_bytes, o.max_bytes, o.step_bytes, o.step_factor);
  if (nsizes > kMaxSweepSizes) {
    return fail("the sweep has more than " + std::to_string(kMaxSweepSizes) +
                " sizes (raise -i/--stepbytes or -f/--stepfactor)");
  }
  if (o.iters < 1) return fail("-n/--iters must be at least 1");
  if (o.warmup_iters < 0) return fail("-w/--warmup_iters must not be negative");
  if (o.check_iters < 0) return fail("-c/--check must not be negative");
  if (o.run_cycles < 0) return fail("-N/--run_cycles must not be negative");
  if (!(o.timeout_s >= 0.0) || !std::isfinite(o.timeout_s)) {
    return fail("-T/--timeout must be a non-negative number of seconds");
  }
  if (!(o.checkpoint_s >= 0.0) || !std::isfinite(o.checkpoint_s)) {
    return fail("--checkpoint must be a non-negative number of seconds");
  }
  if (o.root < -1) return fail("-r/--root must be a rank, or -1 for every rank in turn");
  if (average < 0 || average > 3) return fail("-a/--average must be 0, 1, 2 or 3");
  o.average = static_cast<AverageMode>(average);
  if (o.blocking < 0 || o.blocking > 3) return fail("-z/--blocking must be 0, 1, 2 or 3");
  if (o.gpus_per_process < 1) return fail("-g/--ngpus must be at least 1");
  if (o.per_iter_timing != 0 && o.per_iter_timing != 1) {
    return fail("-I/--per_iter_timing must be 0 or 1");
  }
  if (o.per_iter_skip < 0) return fail("-K/--per_iter_skip must not be negative");
  if (o.agg_iters < 1) return fail("-m/--agg_iters must be at least 1");
  if (static_cast<long long>(o.iters) * o.agg_iters > (1LL << 30)) {
    return fail("-n/--iters x -m/--agg_iters must be at most 2^30 calls per size");
  }
  if (o.unalign < 0) return fail("-u/--unalign must not be negative");
  if (o.unalign > 4096) return fail("-u/--unalign must be at most 4096 bytes");
  for (const auto& [value, name] :
       {std::pair<int, const char*>{o.report_cputime, "-C/--report_cputime"},
        {o.report_timestamps, "-S/--report_timestamps"},
        {o.stream_null, "-y/--stream_null"},
        {o.memory_report, "-M/--memory"},
        {o.parallel_init, "-p/--parallel_init"}}) {
    if (value != 0 && value != 1) return fail(std::string(name) + " must be 0 or 1");
  }
  if (o.per_iter_timing == 1 && o.per_iter_skip >= o.iters) {
    return fail("-K/--per_iter_skip (" + std::to_string(o.per_iter_skip) +
                ") must be smaller than -n/--iters (" + std::to_string(o.iters) + ")");
  }
  // nccl-tests' health gate: the footer says FAILED below 0.9 x this busbw and the exit code is
  // non-zero.
  if (const char* min_bw = std::getenv("NCCL_TESTS_MIN_BW"); min_bw != nullptr && *min_bw != 0) {
    char* end = nullptr;
    const double v = std::strtod(min_bw, &end);
    if (end == min_bw || *end != 0 || !std::isfinite(v) || v < 0) {
      return fail("NCCL_TESTS_MIN_BW=" + quote_arg(min_bw) +
                  " is not a non-negative bus bandwidth in GB/s");
    }
    o.min_bw_gbps = v;
  }
  try {
    o.split =
        parse_split_env(std::getenv("NCCL_TESTS_SPLIT_MASK"), std::getenv("NCCL_TESTS_SPLIT"));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  // nccl-tests' first device index: rank i of a host uses GPU NCCL_TESTS_DEVICE + i.
  if (const char* dev = std::getenv("NCCL_TESTS_DEVICE"); dev != nullptr && *dev != 0) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(dev, &end, 10);
    if (end == dev || *end != 0 || errno == ERANGE || v < 0 || v > kMaxRankThreads) {
      return fail("NCCL_TESTS_DEVICE=" + quote_arg(dev) + " is not a device index (0 to " +
                  std::to_string(kMaxRankThreads) + ")");
    }
    o.first_device = static_cast<int>(v);
  }

  if (dtype == "all") {
    o.dtypes.clear();
    for (const auto& d : all_dtypes()) o.dtypes.push_back(d.dtype);
  } else if (auto d = parse_dtype(dtype)) {
    o.dtypes = {*d};
  } else {
    return fail("unknown datatype " + quote_arg(dtype) + " (known: " + join_names(dtype_names()) +
                " all)");
  }
  // Host reduction kernels load whole elements: a buffer offset that is not a multiple of the
  // element size would be a misaligned access (undefined behaviour), so it is refused.
  for (const DType t : o.dtypes) {
    if (o.unalign % static_cast<int>(dtype_size(t)) != 0) {
      return fail("-u/--unalign must be a multiple of the element size (" +
                  std::to_string(dtype_size(t)) + " B for " + dtype_info(t).name + ")");
    }
  }
  if (op == "all") {
    o.ops.clear();
    for (const auto& r : all_redops()) o.ops.push_back(r.op);
  } else if (auto r = parse_redop(op)) {
    o.ops = {*r};
  } else {
    return fail("unknown op " + quote_arg(op) + " (known: " + join_names(redop_names()) + " all)");
  }
  if (device == "auto") {
    o.device = DeviceChoice::kAuto;
  } else if (device == "cpu") {
    o.device = DeviceChoice::kCpu;
  } else if (device == "cuda") {
    o.device = DeviceChoice::kCuda;
  } else {
    return fail("unknown device " + quote_arg(device) + " (known: auto cpu cuda)");
  }
  const BackendDef* backend = find_backend(o.backend);
  if (backend == nullptr) {
    return fail("unknown backend " + quote_arg(o.backend) +
                " (known: " + join_names(backend_names()) + ")");
  }
  if (backend->make == nullptr) {
    return fail("backend " + quote_arg(o.backend) + " is not available: " + backend->unavailable);
  }
  if (o.gpus_per_process > 1 && o.backend == "mpi") {
    return fail("-g/--ngpus " + std::to_string(o.gpus_per_process) +
                " runs ranks as threads of one process, for --backend nccl or own; MPI ranks are "
                "processes (mpirun -np N)");
  }
  if (o.gpus_per_process > 1 && o.backend == "nccl" && o.device == DeviceChoice::kCpu) {
    return fail("-g/--ngpus " + std::to_string(o.gpus_per_process) +
                " with --backend nccl needs GPUs, not --device cpu");
  }
  if (o.gpus_per_process > kMaxRankThreads) {
    return fail("-g/--ngpus must be at most " + std::to_string(kMaxRankThreads));
  }
  if (o.algo != "auto" && o.backend != "own" && o.algo != "list") {
    return fail("--algo applies to --backend own only");
  }
  if (!o.json_path.empty() && o.json_path == o.csv_path) {
    return fail("--json and --csv name the same file " + quote_arg(o.json_path));
  }
  if (!o.resume_path.empty() && (o.resume_path == o.json_path || o.resume_path == o.csv_path)) {
    return fail("--resume " + o.resume_path + " is also an output: name a new --json/--csv file");
  }
  ParseOutcome r;
  r.options = std::move(o);
  return r;
}

}  // namespace fb
