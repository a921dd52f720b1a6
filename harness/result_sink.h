// Where a run's rows go on rank 0: the console (nccl-tests' layout) and the --json/--csv files,
// with checkpoints of the files while rows come in and a flush of the rows so far when the run is
// interrupted (SIGINT, SIGTERM; SIGCONT asks for a checkpoint). Other ranks hold no reporter: they
// only keep the summary.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "collectives/world.h"
#include "harness/options.h"
#include "harness/report.h"
#include "harness/runner.h"

namespace fb {

class ResultSink {
 public:
  // Rank 0 (`root_rank`) prints `header_lines` ("# ..." lines) to stdout, then opens the console
  // and the file reporters and gives them `meta`.
  ResultSink(bool root_rank, const RunOptions& opts, const nlohmann::json& meta,
             const std::vector<std::string>& header_lines);
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  // Files first (with a checkpoint now and then), then (under its own lock) the console.
  void add(const SizeResult& row);
  // Rows of an earlier interrupted run (--resume), announced on the console first.
  void replay(const std::vector<SizeResult>& rows, const std::string& from);
  // Runs `body` with the signal handlers that flush partial results installed when `install`
  // (they are the process's: installed once, by the rank that owns it).
  void while_flushing_on_signals(World& world, bool install, const std::function<void()>& body);
  // The summary over every row (resumed ones included), written to the console and files.
  // Returns 0, 1 when elements were wrong, 3 when a file cannot be written, 5 when the average
  // busbw is below 0.9 x NCCL_TESTS_MIN_BW (message printed).
  int finish(bool complete);
  // -M 1: the memory footer's numbers (bytes per rank, maxima over ranks).
  void set_memory(double buffers_bytes, double peak_rss_bytes) {
    memory_buffers_bytes_ = buffers_bytes;
    memory_peak_rss_bytes_ = peak_rss_bytes;
  }

 private:
  using Clock = std::chrono::steady_clock;
  const bool root_rank_;
  const double checkpoint_s_;
  const double min_bw_gbps_;  // NCCL_TESTS_MIN_BW; < 0: not set
  // Kept apart: a console write can block (mpirun stops reading stdout while shutting down) and
  // the files must not wait for it.
  std::mutex files_mu_, console_mu_;
  std::unique_ptr<Reporter> console_;
  std::vector<std::unique_ptr<Reporter>> files_;
  SummaryBuilder rows_so_far_;
  Clock::time_point next_checkpoint_;
  double memory_buffers_bytes_ = -1, memory_peak_rss_bytes_ = -1;
};

}  // namespace fb
