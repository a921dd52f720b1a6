// Command-line options of the collective subcommands, parsed by a pure function (no MPI, no
// output) so every error is unit-testable. Flags keep nccl-tests' names and meaning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectives/backend.h"
#include "collectives/collective.h"
#include "harness/sizes.h"
#include "harness/split.h"
#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

enum class DeviceChoice { kAuto, kCpu, kCuda };
enum class AverageMode { kRank0 = 0, kMean = 1, kMin = 2, kMax = 3 };

struct RunOptions {
  const CollectiveDef* collective = nullptr;
  std::size_t min_bytes = 32ull << 20;  // -b
  std::size_t max_bytes = 32ull << 20;  // -e
  std::size_t step_bytes = 1ull << 20;  // -i (used when the step factor is 1)
  double step_factor = 1.0;             // -f
  int iters = 20;                       // -n
  int warmup_iters = 5;                 // -w
  int check_iters = 1;                  // -c (0: no checking)
  std::vector<DType> dtypes = {DType::kFloat};
  std::vector<RedOp> ops = {RedOp::kSum};
  int root = 0;  // -r
  AverageMode average = AverageMode::kMean;
  int blocking = 0;            // -z
  int run_cycles = 1;          // -N (0: run forever)
  double timeout_s = 300.0;    // -T (0: no watchdog)
  double checkpoint_s = 10.0;  // --checkpoint: result files rewritten this often (0: only at end)
  std::string backend = "mpi";
  std::string algo = "auto";
  DeviceChoice device = DeviceChoice::kAuto;
  bool cuda_graph = false;   // -G
  int gpus_per_process = 1;  // -g: ranks run as threads of this process (one GPU each)
  std::string json_path;
  std::string nccl_json_path;  // -J: nccl-tests' JSON layout
  double min_bw_gbps = -1;     // NCCL_TESTS_MIN_BW (GB/s); < 0: not set
  int per_iter_timing = 0;     // -I 1: per-iteration summary columns, raw times in the JSON
  int per_iter_skip = 0;       // -K N: samples dropped from the per-iteration summary
  SplitRule split;             // NCCL_TESTS_SPLIT / NCCL_TESTS_SPLIT_MASK: groups (split.h)
  int first_device = -1;
  int agg_iters = 1;          // -m: collectives per timed iteration (its time / m per call)
  int unalign = 0;            // -u: byte offset of the send and receive buffers
  int report_cputime = 0;     // -C 1: the time column is the host time of the issuing loop
  int report_timestamps = 0;  // -S 1: a timestamp at the end of each row
  int stream_null = 0;        // -y 1: device backends enqueue on the default stream
  int memory_report = 0;      // -M 1: memory footer (host memory on the CPU path)
  int parallel_init = 0;      // -p 1: ranks initialise concurrently (they always do here)       //
                              // NCCL_TESTS_DEVICE: GPU of the first local rank; < 0: not set
  std::string csv_path;
  bool bind = true;        // --no-bind turns it off
  bool keep_heap = false;  // --keep-heap: freed host memory stays mapped (sysinfo.h)
  std::uint64_t seed = 0x5eed;
  bool quiet_header = false;      // --no-header: rows only (for scripts)
  std::string resume_path;        // --resume FILE: continue the interrupted run written there
  std::size_t resume_steps = 0;   // sweep steps already measured (set from resume_path)
  std::vector<std::string> argv;  // the command line as given, for the metadata
};

// -g above this is a typo (a thread and a GPU per rank).
constexpr int kMaxRankThreads = 1024;

struct ParseOutcome {
  std::optional<RunOptions> options;  // set on success
  int exit_code = 0;                  // 0 with output set: --help was asked for
  std::string output;                 // help text, or one error line
};

// argv[0] is the collective's name (the subcommand). Validates everything that can be validated
// without knowing the rank count (root and memory are checked by the runner).
ParseOutcome parse_run_options(const std::vector<std::string>& args);

// Sizes of the sweep, nccl-tests' rule: multiply by the factor when it is above 1, else add the
// step; always includes min, never exceeds max.
std::vector<std::size_t> make_sweep(std::size_t min_bytes, std::size_t max_bytes,
                                    std::size_t step_bytes, double step_factor);

// Number of sizes make_sweep would return, without building the list; stops counting just past
// kMaxSweepSizes. parse_run_options refuses longer sweeps: `-b 1 -e 1G -i 1` is a typo that would
// otherwise run for years and hold a billion-entry list.
constexpr std::size_t kMaxSweepSizes = 100000;
std::size_t sweep_length(std::size_t min_bytes, std::size_t max_bytes, std::size_t step_bytes,
                         double step_factor);

// Text of `fabricbench --help`: subcommands, collectives, backends, dtypes and ops from the
// registries.
std::string top_level_help();

}  // namespace fb
