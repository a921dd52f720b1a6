#include "harness/result_sink.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "harness/exit_codes.h"
#include "harness/report_nccl_json.h"
#include "harness/sysinfo.h"

namespace fb {
namespace {

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

std::chrono::steady_clock::time_point after(double seconds) {
  using Clock = std::chrono::steady_clock;
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Writes every file reporter's document as it stands, marked incomplete, and returns the summary
// written. A file that fails is reported ("fabricbench: <what> failed: ...") and the others are
// still written. Caller holds the files' lock.
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
        if (world_.rank() == 0) flush_and_report(sig);
        std::_Exit(kExitSignalBase + sig);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void flush_and_report(int sig) {
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

}  // namespace

ResultSink::ResultSink(bool root_rank, const RunOptions& opts, const nlohmann::json& meta,
                       const std::vector<std::string>& header_lines)
    : root_rank_(root_rank), checkpoint_s_(opts.checkpoint_s), min_bw_gbps_(opts.min_bw_gbps) {
  if (root_rank_) {
    for (const auto& line : header_lines) std::fprintf(stdout, "# %s\n", line.c_str());
    console_ = make_console_reporter(stdout, !opts.quiet_header);
    if (!opts.json_path.empty()) files_.push_back(make_json_reporter(opts.json_path));
    if (!opts.csv_path.empty()) files_.push_back(make_csv_reporter(opts.csv_path));
    if (!opts.nccl_json_path.empty()) {
      files_.push_back(make_nccl_tests_json_reporter(opts.nccl_json_path,
                                                     NcclTestsJsonContext{process_environment()}));
    }
    console_->begin(meta);
    for (auto& r : files_) r->begin(meta);
  }
  next_checkpoint_ = after(checkpoint_s_);
}

void ResultSink::add(const SizeResult& row) {
  {
    std::lock_guard<std::mutex> lock(files_mu_);
    rows_so_far_.add(row);
    for (auto& r : files_) r->add(row);
    const Clock::time_point now = Clock::now();
    if (!files_.empty() && checkpoint_s_ > 0 && now >= next_checkpoint_) {
      // The run goes on after a failed checkpoint; the final write reports a lasting problem.
      write_partial(files_, rows_so_far_, "checkpoint of the results");
      const std::chrono::duration<double> took = Clock::now() - now;
      next_checkpoint_ = after(std::max(checkpoint_s_, kCheckpointCostFactor * took.count()));
    }
  }
  std::lock_guard<std::mutex> lock(console_mu_);
  if (console_) console_->add(row);
}

void ResultSink::replay(const std::vector<SizeResult>& rows, const std::string& from) {
  if (root_rank_ && !rows.empty()) {
    std::fprintf(stdout, "# resumed: %zu sizes from %s\n", rows.size(), from.c_str());
  }
  for (const SizeResult& row : rows) add(row);
}

void ResultSink::while_flushing_on_signals(World& world, bool install,
                                           const std::function<void()>& body) {
  std::optional<InterruptFlusher> flusher;
  if (install) flusher.emplace(world, files_mu_, files_, rows_so_far_, console_mu_, console_.get());
  body();
}

int ResultSink::finish(bool complete) {
  RunSummary summary = rows_so_far_.summary(complete);
  summary.end_time = utc_now();
  summary.min_bw_gbps = min_bw_gbps_;
  summary.memory_buffers_bytes = memory_buffers_bytes_;
  summary.memory_peak_rss_bytes = memory_peak_rss_bytes_;
  try {
    std::scoped_lock lock(files_mu_, console_mu_);
    if (console_) console_->finish(summary);
    for (auto& r : files_) r->finish(summary);
  } catch (const std::exception& e) {
    if (root_rank_) std::fprintf(stderr, "fabricbench: writing results failed: %s\n", e.what());
    return kExitRunFailed;
  }
  if (summary.wrong_total > 0) {
    if (root_rank_) {
      std::fprintf(stderr, "fabricbench: %lld wrong elements: results are not correct\n",
                   summary.wrong_total);
    }
    return kExitWrongResults;
  }
  if (min_bw_gbps_ >= 0 && summary.avg_busbw_gbps < 0.9 * min_bw_gbps_) {
    if (root_rank_) {
      std::fprintf(stderr,
                   "fabricbench: FAILED: average bus bandwidth %g GB/s is below 0.9 x "
                   "NCCL_TESTS_MIN_BW=%g GB/s\n",
                   summary.avg_busbw_gbps, min_bw_gbps_);
    }
    return kExitBelowMinBw;
  }
  return kExitOk;
}

}  // namespace fb
