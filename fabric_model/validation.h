#pragma once
// Validation against real clusters: every imported nccl-tests run (a fabricbench.results/1
// document with meta.imported and the run's hardware descriptor) is predicted by the model at
// each measured size, with the calibration of every OTHER input (leave one log out), and the
// predicted bus bandwidth is compared with the measured one.
//
//   error(size) = predicted busbw / measured busbw - 1
//
// Per log and over all logs: the median and worst |error| at sizes >= headline_min_bytes (the
// bandwidth regime the model is for). Logs whose poster reported a problem (the dev set's
// "#meta user_report: PROBLEM") are predicted and listed, and kept out of the headline and out of
// every other log's calibration (a degraded cluster is not what its hardware does). A run the
// model cannot describe (no preset for its servers, no profile for its fabric, an algorithm the
// model lacks) is listed with why and predicted with nothing else.
//
// Pure C++ like the rest of fabric_model: callers read and import the files.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/calibration.h"

namespace fb::model {

inline constexpr const char* kValidationSchema = "fabricbench.validation/1";

struct ValidationInput {
  std::string origin;  // the file, for messages and the table
  nlohmann::json doc;  // fabricbench.results/1, checked by the caller's results reader
};

enum class RunReport { kUnlabelled, kHealthy, kProblem };
std::string to_string(RunReport r);

struct ValidationPoint {
  double bytes = 0;
  double measured_busbw_gbps = 0;   // out-of-place (in-place when only that was printed)
  double predicted_busbw_gbps = 0;  // the model's, calibrated without this log
  double error = 0;                 // predicted / measured - 1
  std::string algo;                 // the model's algorithm at this size
};

struct ValidationLog {
  std::string origin, collective, gpu_model;
  RunReport report = RunReport::kUnlabelled;
  std::string report_text;  // the poster's words ("#meta user_report"), shortened
  int ranks = 0, servers = 0, gpus_per_server = 0;
  std::string topology, fabric;  // what it was predicted on ("" when not predicted)
  std::string algo;              // "auto" or the algorithm the log forced
  bool predicted = false;
  std::string status;                    // "predicted", or why not
  std::vector<std::string> calibrated;   // "scaleup_gbps = 3000 Gb/s per GPU ... (from FILE)"
  std::vector<std::string> adjustments;  // what the log's environment changed in the preset
  std::vector<ValidationPoint> points;
  int headline_points = 0;                           // points at sizes >= headline_min_bytes
  double median_abs_error = 0, worst_abs_error = 0;  // over those points (0 when none)
  double worst_bytes = 0;
};

struct ValidationSummary {
  int logs = 0, points = 0;
  double median_abs_error = 0, worst_abs_error = 0;
  std::string worst_origin;
  double worst_bytes = 0;
};

struct ValidationOptions {
  double headline_min_bytes = 64.0 * 1024 * 1024;
  bool analytic = false;  // closed form instead of max-min fair flows (faster at scale)
};

struct ValidationReport {
  std::vector<ValidationLog> logs;            // one per imported input, in input order
  std::vector<std::string> calibration_only;  // inputs that are not imported logs: their origins
  ValidationSummary headline;                 // predicted logs not reported as problems
  ValidationSummary all;                      // every predicted log
  ValidationOptions options;
};

// Throws ModelError (one line naming the input) for a document without results or meta.
ValidationReport validate_runs(const std::vector<ValidationInput>& inputs,
                               const ValidationOptions& options = {});

// The fit of one input's measurements, one group per (collective, dtype, op, algorithm), with
// the run's scope (calibration.h RunScope) for calibration_overrides_for.
std::vector<GroupFit> fit_input(const ValidationInput& input);

// results/tables/validation.md: headline, one row per log, one row per (log, size).
std::string validation_markdown(const ValidationReport& r);
nlohmann::json to_json(const ValidationReport& r);

}  // namespace fb::model
