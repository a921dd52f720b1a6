#include "harness/cmd_publish.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "harness/exit_codes.h"
#include "harness/publish_index.h"
#include "harness/publish_plot.h"

namespace fb {

namespace fs = std::filesystem;
using pub::have_gnuplot;
using pub::list_json;

int cmd_publish(int argc, char** argv) {
  CLI::App app{"Tables and plots from results files", "publish"};
  PublishOptions opt;
  std::string results_dir = "results";
  bool no_plots = false, no_calibration = false;
  app.add_option("--results-dir", results_dir, "where the default inputs live (default results)");
  app.add_option("--raw", opt.raw, "measured results files (default RESULTS_DIR/raw/*.json)");
  app.add_option("--model", opt.model,
                 "fabricbench.model/1 files (default RESULTS_DIR/model/*.json)");
  app.add_option("--calibration", opt.calibration,
                 "fabricbench.calibration/1 (default RESULTS_DIR/calibration.json if present)");
  app.add_flag("--no-calibration", no_calibration, "ignore the default calibration file");
  app.add_option("--out-dir", opt.out_dir, "tables/ and plots/ go here (default RESULTS_DIR)");
  app.add_flag("--no-plots", no_plots, "skip gnuplot");
  app.add_option("--gnuplot", opt.gnuplot, "gnuplot binary");
  opt.out_dir.clear();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "fabricbench publish: %s\n", e.what());
    return kExitUsage;
  }
  if (app.count("--results-dir") > 0 && !fs::is_directory(results_dir)) {
    std::fprintf(stderr, "fabricbench publish: --results-dir '%s' is not a directory\n",
                 results_dir.c_str());
    return kExitUsage;
  }
  if (opt.out_dir.empty()) opt.out_dir = results_dir;
  if (opt.raw.empty()) opt.raw = list_json(results_dir + "/raw");
  if (opt.model.empty()) opt.model = list_json(results_dir + "/model");
  if (opt.calibration.empty() && !no_calibration && fs::exists(results_dir + "/calibration.json"))
    opt.calibration = results_dir + "/calibration.json";
  opt.plots = !no_plots;
  if (opt.raw.empty() && opt.model.empty() && opt.calibration.empty()) {
    std::fprintf(stderr,
                 "fabricbench publish: nothing to publish: no results in %s/raw, no models in "
                 "%s/model, no calibration\n",
                 results_dir.c_str(), results_dir.c_str());
    return kExitUsage;
  }
  if (opt.plots && app.count("--gnuplot") > 0 && !have_gnuplot(opt.gnuplot)) {
    std::fprintf(stderr,
                 "fabricbench publish: --gnuplot '%s' does not run with the pngcairo terminal\n",
                 opt.gnuplot.c_str());
    return kExitUsage;
  }
  try {
    const PublishReport rep = publish(opt);
    for (const auto& w : rep.written) std::printf("wrote %s\n", w.c_str());
    for (const auto& n : rep.notes) std::printf("note: %s\n", n.c_str());
    for (const auto& h : rep.headline) std::printf("headline: %s\n", h.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench publish: %s\n", e.what());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace fb
