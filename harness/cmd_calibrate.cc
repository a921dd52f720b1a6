#include "harness/cmd_calibrate.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "fabric_model/errors.h"
#include "fabric_model/traffic.h"
#include "fb_config.h"
#include "harness/report.h"
#include "harness/sysinfo.h"

namespace fb {
namespace {

int fail(const std::string& msg, int code) {
  std::fprintf(stderr, "fabricbench calibrate: %s\n", msg.c_str());
  return code;
}

// A collective the model has no plan for is fitted with bus factor 1 (rooted and point-to-point
// ones move the data once); one whose registry factor differs (gather, scatter, alltoallv,
// hypercube) would get a wrong busbw, so its group is refused, saying why.
void refuse_unmodelled(model::GroupFit& g) {
  try {
    (void)model::collective_from_string(g.key.collective);
    return;
  } catch (const model::ModelError&) {
  }
  const CollectiveDef* def = find_collective(g.key.collective);
  if (def == nullptr || def->bus_bw_factor(g.key.nranks) == g.bus_factor) return;
  g.accepted = false;
  std::ostringstream why;
  why << "the model has no plan for " << g.key.collective << " (its bus factor on " << g.key.nranks
      << " ranks is " << def->bus_bw_factor(g.key.nranks) << ", not " << g.bus_factor << ")";
  g.refusal = why.str();
}

}  // namespace

model::Calibration calibrate_files(const std::vector<MeasuredFile>& files, const std::string& stat,
                                   long long* excluded_wrong) {
  if (stat != "min-median" && stat != "min" && stat != "median")
    throw std::runtime_error("--stat must be min-median, min or median, not '" + stat + "'");
  const bool row_min = stat != "median";
  const model::Combine combine = stat == "min" ? model::Combine::kMin : model::Combine::kMedian;
  std::map<model::CalibrationKey, std::vector<model::CalibrationSample>> samples;
  std::map<model::CalibrationKey, std::set<std::string>> inputs;
  std::map<model::CalibrationKey, model::RunScope> scopes;  // one machine: the first file's
  long long wrong = 0;
  for (const MeasuredFile& f : files) {
    for (const MeasuredRow& r : f.rows) {
      if (r.wrong > 0) {
        ++wrong;
        continue;
      }
      if (r.bytes == 0) continue;
      model::CalibrationKey k{f.backend, r.algo.empty() ? f.algorithm : r.algo,
                              f.device,  r.collective,
                              r.dtype,   r.op,
                              f.machine, f.nranks};
      // Interference on a shared host (descheduling, other jobs) only ever adds time, so within
      // a run the fastest iteration estimates the undisturbed cost best. Across repeats and
      // variants the default (min-median) takes the median of those minima: one run that was
      // lucky at one size (a timer or scheduling fluke) does not set that size alone, which
      // the min of all minima (min) lets it do. median: the median of each run's median, for a
      // quiet machine.
      samples[k].push_back(
          {static_cast<double>(r.bytes), row_min ? r.time_us_min : r.time_us_median});
      inputs[k].insert(f.path);
      if (scopes.count(k) == 0) scopes[k] = model::run_scope_from_meta(f.meta);
    }
  }
  if (excluded_wrong != nullptr) *excluded_wrong = wrong;
  model::Calibration cal;
  for (const auto& [key, s] : samples) {
    model::GroupFit g = model::calibrate_group(key, s, model::FitThresholds(), combine);
    refuse_unmodelled(g);
    g.inputs.assign(inputs[key].begin(), inputs[key].end());
    g.scope = scopes[key];
    cal.groups.push_back(std::move(g));
  }
  return cal;
}

int cmd_calibrate(int argc, char** argv) {
  CLI::App app{"Fit latency/bandwidth and an efficiency curve to measured results", "calibrate"};
  std::vector<std::string> paths;
  std::string out_path;
  bool force = false;
  std::string stat = "min-median";
  app.add_option("results", paths, "fabricbench.results/1 JSON or nccl-tests output files")
      ->required();
  app.add_option("--out,-o", out_path, "write fabricbench.calibration/1 JSON here")->required();
  app.add_flag("--force", force, "replace an existing output file");
  app.add_option("--stat", stat,
                 "time fitted per size: min-median (median over runs of each run's fastest "
                 "iteration), min (the fastest iteration of any run) or median (of the runs' "
                 "medians)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), 2);
  }
  std::vector<MeasuredFile> files;
  try {
    for (const auto& p : paths) files.push_back(read_measured_file(p));
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  if (!force) {
    const std::string why = check_output_path(out_path);
    if (!why.empty()) return fail(why + " (use --force to replace)", 2);
  }

  long long wrong = 0;
  model::Calibration cal;
  try {
    cal = calibrate_files(files, stat, &wrong);
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  if (cal.groups.empty()) return fail("no usable result rows in the inputs", 2);
  nlohmann::json in = nlohmann::json::array();
  for (const auto& f : files)
    in.push_back({{"path", f.path},
                  {"format", f.format},
                  {"backend", f.backend},
                  {"algorithm", f.algorithm},
                  {"device", f.device},
                  {"nranks", f.nranks},
                  {"machine", f.machine},
                  {"start_time", f.start_time},
                  {"producer_version", f.version},
                  {"producer_commit", f.git_commit},
                  {"rows", f.rows.size()}});
  std::vector<std::string> cmdline(argv, argv + argc);
  cal.provenance = {{"tool", "fabricbench calibrate"}, {"version", FB_VERSION},
                    {"git_commit", FB_GIT_COMMIT},     {"created", utc_now()},
                    {"command_line", cmdline},         {"inputs", in},
                    {"time_statistic", stat},          {"rows_excluded_wrong", wrong}};

  std::printf("# calibration: %zu group(s) from %zu file(s); fit t = alpha + beta*n, w = 1/t^2\n",
              cal.groups.size(), files.size());
  std::printf("# %-58s %9s %10s %10s %7s %8s %8s %8s  %s\n", "group", "alpha_us", "bw_GB/s",
              "busbw_GB/s", "R2", "worst%", "LOOmax%", "LOOmed%", "verdict");
  int refused = 0;
  for (const auto& g : cal.groups) {
    std::string label = g.key.label();
    if (label.size() > 60) label = label.substr(0, 57) + "...";
    std::printf("  %-58s %9.3f %10.3f %10.3f %7.4f %8.1f %8.1f %8.1f  %s\n", label.c_str(),
                g.fit.alpha_us, g.fit.bandwidth_gbps(), g.busbw_asymptote_gbps, g.quality.r2,
                100 * g.quality.worst_rel_residual, 100 * g.quality.loo_max_error,
                100 * g.quality.loo_median_error, g.accepted ? "accepted" : "REFUSED");
    if (!g.accepted) ++refused;
  }
  std::printf("# LOO = leave-one-size-out error over sizes >= %g KiB; worst = alpha-beta alone\n",
              model::FitThresholds().quality_min_bytes / 1024);
  if (wrong > 0) std::printf("# %lld row(s) with wrong elements left out\n", wrong);
  try {
    write_file_atomically(out_path, model::to_json(cal).dump(2) + "\n", force);
  } catch (const std::exception& e) {
    return fail(e.what(), 2);
  }
  std::printf("# wrote %s\n", out_path.c_str());
  for (const auto& g : cal.groups)
    if (!g.accepted)
      std::fprintf(stderr, "fabricbench calibrate: refused %s: %s\n", g.key.label().c_str(),
                   g.refusal.c_str());
  return refused > 0 ? 4 : 0;
}

}  // namespace fb
