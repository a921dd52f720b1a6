// Console report in nccl-tests' layout (src/common.cu): '#' header lines, the three-line column
// header, one line per size with out-of-place and in-place columns, and the footer. Widths and
// number formats are nccl-tests' own so scripts that parse its output read ours unchanged.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "harness/report.h"
#include "harness/report_rows.h"

namespace fb {
namespace {

// nccl-tests keeps 7 characters for the time: whole microseconds from 10 ms up, one decimal from
// 100 us, two below.
std::string format_time_us(double us) {
  char buf[32];
  const char* fmt = us >= 10000.0 ? "%7.0f" : us >= 100.0 ? "%7.1f" : "%7.2f";
  std::snprintf(buf, sizeof buf, fmt, us);
  return buf;
}

}  // namespace

// nccl-tests' fixed-width number field (src/util.cu getFloatStr's rule): two decimals while the
// integer part leaves room for them, then one, then none, then exponent notation.
std::string float_field(double value, int width) {
  int digits = 0;
  for (double v = 1; value >= v && digits < 40; v *= 10) ++digits;
  char buf[64];
  if (digits < width - 2) {
    std::snprintf(buf, sizeof buf, "%*.2f", width, value);
  } else if (digits < width - 1) {
    std::snprintf(buf, sizeof buf, "%*.1f", width, value);
  } else if (digits < width + 1) {
    std::snprintf(buf, sizeof buf, "%*.0f", width, value);
  } else {
    std::snprintf(buf, sizeof buf, "%*.1e", width, value);
  }
  return buf;
}

namespace {

class ConsoleReporter final : public Reporter {
 public:
  ConsoleReporter(std::FILE* out, bool header) : out_(out), header_(header) {}

  void begin(const nlohmann::json& meta) override {
    const nlohmann::json sweep = get_or<nlohmann::json>(meta, "sweep", nlohmann::json::object());
    per_iter_ = get_or<bool>(sweep, "per_iter_timing", false);
    time_label_ = get_or<bool>(sweep, "report_cputime", false) ? "cputime" : "time";
    timestamps_ = get_or<bool>(sweep, "report_timestamps", false);
    ranks_ = get_or<nlohmann::json>(meta, "ranks", nlohmann::json::array());
    if (!header_) return;
    print_run_header(meta);
    if (per_iter_) {
      std::fprintf(out_,
                   "# Per-Iteration Report: host clock per iteration; i_* uses the max over ranks "
                   "of each iteration, the first %d samples skipped (-K)\n#\n",
                   get_or<int>(sweep, "per_iter_skip", 0));
    }
    print_column_header();
    std::fflush(out_);
  }

  void add(const SizeResult& row) override {
    std::fprintf(out_, "%12zu  %12zu  %8s  %6s  %6d", row.bytes, row.count, row.dtype.c_str(),
                 row.op.c_str(), row.root);
    print_variant(row.out_of_place);
    if (per_iter_) print_per_iter(row.out_of_place);
    print_variant(row.in_place);
    if (per_iter_) print_per_iter(row.in_place);
    if (!row.timestamp.empty()) std::fprintf(out_, "%21s", row.timestamp.c_str());
    std::fputc('\n', out_);
    std::fflush(out_);  // progress is visible as each size completes, as nccl-tests' line buffering
  }

  void finish(const RunSummary& s) override {
    std::fprintf(out_, "# Out of bounds values : %lld %s\n", s.out_of_bounds,
                 s.out_of_bounds != 0 ? "FAILED" : "OK");
    // nccl-tests prints "%g %s": an empty pass/fail word unless NCCL_TESTS_MIN_BW is set, then
    // FAILED below 0.9 x that value, else OK.
    std::fprintf(out_, "# Avg bus bandwidth    : %g %s\n", s.avg_busbw_gbps,
                 s.min_bw_gbps < 0                        ? ""
                 : s.avg_busbw_gbps < 0.9 * s.min_bw_gbps ? "FAILED"
                                                          : "OK");
    // Split runs: each group's own average (its byte counts and bus factor).
    for (const RunSummary::Group& g : s.groups) {
      std::fprintf(out_, "#  Group %2d avg busbw  : %g (%d ranks, %lld wrong)\n", g.color,
                   g.avg_busbw_gbps, g.nranks, g.wrong_total);
    }
    if (s.memory_buffers_bytes >= 0) {
      std::fprintf(
          out_, "# Host memory usage    : buffers %.0f B | peak resident %.0f B (per rank, max)\n",
          s.memory_buffers_bytes, s.memory_peak_rss_bytes);
    }
    if (s.peak_variant.empty()) {
      std::fprintf(out_, "# Peak bus bandwidth   : N/A\n");
    } else {
      std::fprintf(out_, "# Peak bus bandwidth   : %g GB/s at %zu B (%s)\n", s.peak_busbw_gbps,
                   s.peak_bytes, s.peak_variant.c_str());
    }
    if (s.slowest_rank >= 0 && s.slowest_ratio >= kSlowRankRatio) {
      std::fprintf(out_,
                   "# Slowest rank         : rank %d on %s: %.2fx the median rank time at %zu B "
                   "(%s)\n",
                   s.slowest_rank, host_of(s.slowest_rank).c_str(), s.slowest_ratio,
                   s.slowest_bytes, s.slowest_variant.c_str());
    }
    if (!s.complete) std::fprintf(out_, "# Incomplete run      : the sweep was interrupted\n");
    std::fprintf(out_, "#\n");
    std::fflush(out_);
  }

 private:
  void print_run_header(const nlohmann::json& meta) {
    const std::string version = get_or<std::string>(meta, "version", "unknown");
    const std::string commit = get_or<std::string>(meta, "git_commit", "unknown");
    std::fprintf(out_, "# fabricbench %s (commit %s) backend %s algorithm %s device %s\n",
                 version.c_str(), commit.c_str(), get_or<std::string>(meta, "backend", "?").c_str(),
                 get_or<std::string>(meta, "algorithm", "?").c_str(),
                 get_or<std::string>(meta, "device", "?").c_str());
    std::fprintf(out_, "# Collective test starting: %s\n",
                 get_or<std::string>(meta, "collective", "?").c_str());

    const nlohmann::json sweep = get_or<nlohmann::json>(meta, "sweep", nlohmann::json::object());
    const double factor = get_or<double>(sweep, "stepfactor", 1.0);
    char step[64];
    if (factor > 1.0) {
      std::snprintf(step, sizeof step, "%g(factor)", factor);
    } else {
      std::snprintf(step, sizeof step, "%zu(bytes)", get_or<std::size_t>(sweep, "stepbytes", 0));
    }
    // nccl-tests' parameter line, same keys; -g N (N rank-threads, a GPU each) prints nGpus N
    // as nccl-tests does for its -g.
    std::fprintf(
        out_,
        "# nThread 1 nGpus %d minBytes %zu maxBytes %zu step: %s warmup iters: %d "
        "iters: %d agg iters: %d validation: %d graph: %d",
        get_or<int>(sweep, "gpus_per_process", 1), get_or<std::size_t>(sweep, "minbytes", 0),
        get_or<std::size_t>(sweep, "maxbytes", 0), step, get_or<int>(sweep, "warmup_iters", 0),
        get_or<int>(sweep, "iters", 0), get_or<int>(sweep, "agg_iters", 1),
        get_or<int>(sweep, "check_iters", 0), get_or<int>(sweep, "cuda_graph", 0));
    // nccl-tests' newer line ends with the -u offset; printed only when set.
    if (const int unalign = get_or<int>(sweep, "unalign", 0); unalign != 0) {
      std::fprintf(out_, " unalign: %d", unalign);
    }
    std::fputc('\n', out_);
    switch (get_or<int>(sweep, "blocking", 0)) {
      case 1:
        std::fprintf(out_,
                     "# Blocking Enabled: wait and barrier after each inner iteration (-m)\n");
        break;
      case 2:
        std::fprintf(out_,
                     "# Blocking Enabled: wait after each inner iteration (-m), no barrier\n");
        break;
      case 3:
        std::fprintf(out_,
                     "# Blocking Enabled: wait and barrier after each outer iteration (-n); time "
                     "excludes barrier\n");
        break;
      default:
        break;
    }
    if (get_or<bool>(sweep, "parallel_init", false)) {
      std::fprintf(out_,
                   "# Parallel Init Enabled: ranks initialise concurrently (a process or a thread "
                   "each, as always here)\n");
    }
    std::fprintf(out_, "# nRanks %d average %d blocking %d cycles %d timeout %g s\n",
                 get_or<int>(meta, "nranks", 0), get_or<int>(sweep, "average", 1),
                 get_or<int>(sweep, "blocking", 0), get_or<int>(sweep, "run_cycles", 1),
                 get_or<double>(sweep, "timeout_s", 0.0));
    if (get_or<bool>(sweep, "keep_heap", false)) {
      std::fprintf(out_, "# Host allocator: freed memory kept mapped (--keep-heap)\n");
    }
    std::fprintf(out_, "#\n# Using devices\n");
    const nlohmann::json ranks = get_or<nlohmann::json>(meta, "ranks", nlohmann::json::array());
    for (const auto& r : ranks) print_rank(r);
    std::fprintf(out_, "#\n");
  }

  void print_rank(const nlohmann::json& r) {
    const std::string bus_id = get_or<std::string>(r, "device_bus_id", "");
    const std::string where = bus_id.empty() ? get_or<std::string>(r, "device", "cpu") : bus_id;
    const std::string name = get_or<std::string>(r, "device_name", "");
    std::fprintf(out_, "#  Rank %2d Group %2d Pid %6lld on %10s device %2d [%s]%s%s cpuset %s\n",
                 get_or<int>(r, "rank", 0), get_or<int>(r, "group", 0),
                 get_or<long long>(r, "pid", 0), get_or<std::string>(r, "host", "?").c_str(),
                 get_or<int>(r, "device_index", 0), where.c_str(), name.empty() ? "" : " ",
                 name.c_str(), get_or<std::string>(r, "cpuset", "?").c_str());
  }

  void print_column_header() {
    if (per_iter_) {
      print_per_iter_column_header();
      return;
    }
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s           out-of-place                       "
                 "in-place          \n",
                 "", "", "", "", "");
    std::fprintf(out_, "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s%s\n",
                 "size", "count", "type", "redop", "root", time_label_, "algbw", "busbw", "#wrong",
                 time_label_, "algbw", "busbw", "#wrong",
                 timestamps_ ? "            timestamp" : "");
    std::fprintf(out_, "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s%s\n",
                 "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)",
                 "(GB/s)", "", timestamps_ ? "    %Y-%m-%d %H:%M:%S" : "");
  }

  void print_variant(const Timing& t) {
    if (!t.measured) {
      std::fprintf(out_, "  %7s  %6s  %6s  %5s", "N/A", "N/A", "N/A", "N/A");
      return;
    }
    const std::string time = format_time_us(t.time_us);
    std::fprintf(out_, "  %7s  %6.2f  %6.2f", time.c_str(), t.algbw_gbps, t.busbw_gbps);
    if (t.wrong < 0) {
      std::fprintf(out_, "  %5s", "N/A");
    } else {
      std::fprintf(out_, "  %5lld", t.wrong);
    }
  }

  // nccl-tests' -I header: each variant's four columns followed by i_min i_max i_p99 i_cv%.
  void print_per_iter_column_header() {
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s              out-of-place (+ per-iteration)        "
                 "                        in-place (+ per-iteration)\n",
                 "", "", "", "", "");
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %7s  %7s  %7s  %7s  %6s  "
                 "%6s  %6s  %7s  %7s  %7s  %7s\n",
                 "size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong",
                 "i_min", "i_max", "i_p99", "i_cv%", "time", "algbw", "busbw", "#wrong", "i_min",
                 "i_max", "i_p99", "i_cv%");
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %7s  %7s  %7s  %7s  %6s  "
                 "%6s  %6s  %7s  %7s  %7s  %7s\n",
                 "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(us)",
                 "(us)", "(%)", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(us)", "(us)", "(%)");
  }

  void print_per_iter(const Timing& t) {
    if (!t.measured || !t.per_iter.present) {
      std::fprintf(out_, "  %7s  %7s  %7s  %7s", "N/A", "N/A", "N/A", "N/A");
      return;
    }
    const PerIterStats& p = t.per_iter;
    std::fprintf(out_, "  %s  %s  %s  %s", float_field(p.min_us, 7).c_str(),
                 float_field(p.max_us, 7).c_str(), float_field(p.p99_us, 7).c_str(),
                 float_field(p.cv_pct, 7).c_str());
  }

  std::FILE* out_;
  bool header_;
  bool per_iter_ = false;
  const char* time_label_ = "time";  // -C 1: "cputime", as nccl-tests
  bool timestamps_ = false;          // -S 1: a timestamp column
  nlohmann::json ranks_;             // meta's ranks: the host of the slowest rank

  std::string host_of(int rank) const {
    for (const auto& r : ranks_)
      if (get_or<int>(r, "rank", -1) == rank) return get_or<std::string>(r, "host", "?");
    return "?";
  }
};

}  // namespace

std::unique_ptr<Reporter> make_console_reporter(std::FILE* out, bool header) {
  return std::make_unique<ConsoleReporter>(out, header);
}

}  // namespace fb
