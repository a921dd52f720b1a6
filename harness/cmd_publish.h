// `fabricbench publish`: the tables and plots of the main job, from files under results/:
//   tables/measured.md           size vs busbw per machine and configuration, spread over repeats
//   tables/model_vs_measured.md  the calibrated model against sizes it did not fit (leave-one-out)
//   tables/fabric_comparison.md  IB vs RoCEv2 ECMP vs adaptive from fabricbench.model/1 files,
//                                with each cluster's bill of materials
//   plots/measured_busbw.{png,svg}, plots/model_time_vs_gpus_<size>.{png,svg} (gnuplot)
// Every table starts with its provenance. Tables are written atomically (replacing old ones).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/calibration.h"
#include "harness/results_io.h"

namespace fb {

struct PublishOptions {
  std::vector<std::string> raw;    // results files (default: results/raw/*.json)
  std::vector<std::string> model;  // fabricbench.model/1 files (default: results/model/*.json)
  std::string calibration;         // default: results/calibration.json when present
  std::string out_dir = "results";
  bool plots = true;
  std::string gnuplot = "gnuplot";
};

struct PublishReport {
  std::vector<std::string> written;   // files written
  std::vector<std::string> notes;     // e.g. "plots skipped: gnuplot not found"
  std::vector<std::string> headline;  // lines for the end of the main job
};

// A fabricbench.model/1 document, validated (schema, a results array).
struct ModelDoc {
  std::string path;
  nlohmann::json doc;
};
ModelDoc read_model_doc(const std::string& path);

// Renders the tables; `provenance` is the common header (tool, commit, time).
std::string render_measured(const std::vector<MeasuredFile>& files, const std::string& provenance);
std::string render_model_vs_measured(const model::Calibration& cal, const std::string& provenance);
// With `cal` (may be null), adds the calibrated view: the same points through the model's
// analytic path with the measured overrides, next to the profile-only analytic numbers.
std::string render_fabric_comparison(const std::vector<ModelDoc>& docs,
                                     const std::string& provenance,
                                     std::vector<std::string>* headline = nullptr,
                                     const model::Calibration* cal = nullptr);

// Reads the inputs, writes tables (and plots unless disabled or gnuplot is missing). Throws
// std::runtime_error naming the file at fault.
PublishReport publish(const PublishOptions& options);

int cmd_publish(int argc, char** argv);

}  // namespace fb
