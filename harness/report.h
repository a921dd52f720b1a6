// Results as the runner produces them and the reporters consume them. The runner never prints;
// reporters (console in nccl-tests' layout, JSON, CSV) get the run context once, then one
// SizeResult per (dtype, op, root, size), then the summary.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/nccl_tests_import.h"
#include "harness/stats.h"

namespace fb {

// One split group's share of a variant (NCCL_TESTS_SPLIT): its ranks' times combined as -a says,
// its own byte count and bus factor (the group's size), its wrong elements.
struct GroupTiming {
  int color = 0;  // nccl-tests' Group column
  int nranks = 0;
  std::size_t bytes = 0;
  double time_us = 0;
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  long long wrong = -1;  // -1: not checked
};

// One variant (out-of-place or in-place) of one size.
struct Timing {
  bool measured = false;  // false when the variant was not run (shown as "N/A")
  double time_us = 0;     // per-call time, combined across ranks as -a says
  double algbw_gbps = 0;  // bytes / time_us, GB/s = 1e9 B/s
  double busbw_gbps = 0;  // algbw * the collective's bus factor
  long long wrong = -1;   // wrong elements summed over ranks; -1 when not checked (-c 0)
  int iters = 0;
  // Across iterations of the per-iteration time of the slowest rank.
  double time_us_min = 0, time_us_median = 0, time_us_mean = 0, time_us_max = 0, time_us_p99 = 0;
  PerIterStats per_iter;  // -I only (present = false otherwise)
  // Each rank's own per-call time (us, mean over the timed iterations), rank order; the spread
  // says which rank is slow.
  std::vector<double> rank_time_us;
  // Split runs only: every group, in the order of their lowest rank. The columns above are then
  // nccl-tests' aggregate: times combined over every rank of the job, bytes and bus factor of
  // rank 0's group, wrong elements summed over all groups.
  std::vector<GroupTiming> groups;
};

struct SizeResult {
  std::string collective;
  std::size_t bytes = 0;  // the size column (nccl-tests' meaning)
  std::size_t count = 0;  // elements per call argument
  std::string dtype;
  std::string op;  // "none" for collectives without a reduction
  int root = -1;   // -1 for collectives without a root
  std::string algo;
  Timing out_of_place;
  Timing in_place;
  int cycle = 0;          // -N run cycle this row came from
  std::string timestamp;  // -S 1: local time when the row finished ("%Y-%m-%d %H:%M:%S")
};

struct RunSummary {
  double avg_busbw_gbps = 0;  // mean over rows and variants, as nccl-tests
  double peak_busbw_gbps = 0;
  std::size_t peak_bytes = 0;
  std::string peak_variant;  // "out-of-place" or "in-place"
  long long wrong_total = 0;
  long long out_of_bounds = 0;  // rows with wrong elements
  bool complete = true;         // false if the sweep was interrupted
  std::string end_time;
  double min_bw_gbps = -1;  // NCCL_TESTS_MIN_BW (GB/s): avg below 0.9 x this FAILS; < 0 unchecked
  // The variant whose slowest rank is furthest above the median rank time (slowest / median),
  // over the whole run; slowest_rank < 0 with fewer than two ranks.
  int slowest_rank = -1;
  double slowest_ratio = 0;
  std::size_t slowest_bytes = 0;
  std::string slowest_variant;
  // Split runs: each group's mean busbw over rows and variants (as avg_busbw_gbps).
  struct Group {
    int color = 0;
    int nranks = 0;
    double avg_busbw_gbps = 0;
    long long wrong_total = 0;
  };
  std::vector<Group> groups;
  // -M 1: host memory per rank, the maximum over ranks (< 0: not reported): the harness's
  // buffers (plan_sweep) and the peak resident set of the process (getrusage).
  double memory_buffers_bytes = -1;
  double memory_peak_rss_bytes = -1;
};

// A rank counts as slow (the footer names it) from this ratio of its time to the median rank
// time of one variant. A judgement, not a measurement of anything: the healthy 2-rank run on the
// 2-core development VM under a load of 6 peaked at 1.25 (all_reduce 8 B, arrival skew).
constexpr double kSlowRankRatio = 1.5;

class Reporter {
 public:
  virtual ~Reporter() = default;
  // `meta` is the full metadata object of the results schema (see harness/sysinfo.h).
  virtual void begin(const nlohmann::json& meta) = 0;
  virtual void add(const SizeResult& row) = 0;
  // The file reporters may be finished more than once: each call writes the document of the rows
  // so far (checkpoints during a run, marked incomplete; then the final one). The console's
  // finish() prints the footer and is called once.
  virtual void finish(const RunSummary& summary) = 0;
};

// Console report in nccl-tests' layout on `out` (stdout in the binary); `header` false prints the
// rows and footer only (--no-header). Reads these meta keys, each optional: version, git_commit,
// collective, backend, algorithm, device, nranks,
// sweep{minbytes, maxbytes, stepbytes, stepfactor, warmup_iters, iters, check_iters, cuda_graph,
//       gpus_per_process, average, blocking, run_cycles, timeout_s},
// ranks[{rank, host, pid, device ("cpu", "cuda"), device_index, device_bus_id, device_name,
//        cpuset}].
std::unique_ptr<Reporter> make_console_reporter(std::FILE* out, bool header = true);
// nccl-tests' fixed-width number (its getFloatStr rule): "%*.2f" while the integer digits leave
// room, then "%*.1f", "%*.0f", then "%*.1e". float_field(12.345, 7) = "  12.35".
std::string float_field(double value, int width);
// JSON document {"schema": "fabricbench.results/1", "meta": ..., "results": [...], "summary": ...}
// and CSV with the same rows; both written atomically (temp file + rename) at finish(), the first
// one refusing to overwrite an existing file (checked by check_output_path before the run), later
// ones replacing the reporter's own earlier document.
std::unique_ptr<Reporter> make_json_reporter(const std::string& path);
std::unique_ptr<Reporter> make_csv_reporter(const std::string& path);

// Empty string if `path` can be created (does not exist, directory writable), else the reason.
std::string check_output_path(const std::string& path);

// Writes `contents` to `path` atomically: a temp file in the same directory, fsync, rename.
// Throws std::runtime_error with the reason on failure; never leaves a partial file at `path`
// and removes its temp file. An existing `path` is an error unless `replace_existing`.
void write_file_atomically(const std::string& path, const std::string& contents,
                           bool replace_existing = false);

// Results schema names, so readers can check what they get (one constant, the importer's).
using model::kResultsSchema;

}  // namespace fb
