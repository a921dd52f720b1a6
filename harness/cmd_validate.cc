#include "harness/cmd_validate.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "harness/cmd_import.h"
#include "harness/exit_codes.h"
#include "harness/publish_plot.h"
#include "harness/report.h"
#include "harness/results_io.h"

namespace fb {
namespace {

namespace fs = std::filesystem;
namespace fm = fb::model;

int fail(const std::string& msg, int code) {
  std::fprintf(stderr, "fabricbench validate: %s\n", msg.c_str());
  return code;
}

// Measured and predicted busbw of every predicted log: two series per log.
pub::Plot validation_plot(const fm::ValidationReport& r) {
  pub::Plot p;
  p.name = "validation_busbw";
  p.title = "nccl-tests logs: measured vs predicted busbw (leave-one-log-out calibration)";
  p.xlabel = "message size";
  p.ylabel = "busbw (GB/s)";
  p.bytes_x = true;
  for (const auto& l : r.logs) {
    if (!l.predicted) continue;
    const std::string name = fs::path(l.origin).stem().string();
    pub::Series m{name + " measured", {}}, pr{name + " predicted", {}};
    for (const auto& pt : l.points) {
      m.xy.emplace_back(pt.bytes, pt.measured_busbw_gbps);
      pr.xy.emplace_back(pt.bytes, pt.predicted_busbw_gbps);
    }
    p.series.push_back(std::move(m));
    p.series.push_back(std::move(pr));
  }
  return p;
}

}  // namespace

std::vector<fm::ValidationInput> read_validation_inputs(const std::vector<std::string>& files,
                                                        const fm::ImportDescriptor& flags,
                                                        const std::string& descriptor_path) {
  std::vector<fm::ValidationInput> out;
  for (const auto& f : files) {
    const std::string text = read_text(f);
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
      nlohmann::json doc = parse_json_text(text, f);
      if (doc.is_object() && doc.contains("schema") && doc["schema"] == kResultsSchema) {
        (void)parse_results_json(doc, f);  // the reader calibrate uses: one-line errors
        out.push_back({f, std::move(doc)});
        continue;
      }
    }
    out.push_back({f, import_nccl_tests_file(f, flags, descriptor_path)});
  }
  return out;
}

int cmd_validate(int argc, char** argv) {
  CLI::App app{"Predict each nccl-tests log with the model calibrated without it, and compare",
               "validate"};
  std::vector<std::string> files;
  std::string out_dir, markdown, json_path, descriptor, topology, fabric, gnuplot = "gnuplot";
  bool analytic = false, no_plots = false;
  app.add_option("files", files, "nccl-tests logs (text or -J JSON) or fabricbench.results/1")
      ->required();
  app.add_option("--descriptor", descriptor,
                 "hardware descriptor JSON for every log (default: LOG.descriptor.json beside "
                 "each log)");
  app.add_option("--topology", topology, "topology preset of every log (e.g. hgx_h100)");
  app.add_option("--fabric", fabric, "fabric profile of every log (e.g. infiniband_ndr)");
  app.add_option("--out", out_dir, "write DIR/tables/validation.{md,json} and DIR/plots/");
  app.add_option("--markdown", markdown, "write the table here (default with no --out: stdout)");
  app.add_option("--json", json_path, "write fabricbench.validation/1 JSON here");
  app.add_flag("--analytic", analytic, "closed-form model instead of max-min fair flows");
  app.add_flag("--no-plots", no_plots, "with --out: tables only");
  app.add_option("--gnuplot", gnuplot, "gnuplot executable for the plot");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), kExitUsage);
  }
  std::error_code ec;
  if (!out_dir.empty() && !fs::is_directory(out_dir, ec))
    return fail("--out '" + out_dir + "' is not a directory", kExitUsage);
  fm::ImportDescriptor flags;
  flags.topology_preset = topology;
  flags.fabric_profile = fabric;
  fm::ValidationReport rep;
  try {
    const std::vector<fm::ValidationInput> inputs =
        read_validation_inputs(files, flags, descriptor);
    fm::ValidationOptions opt;
    opt.analytic = analytic;
    rep = fm::validate_runs(inputs, opt);
  } catch (const std::exception& e) {
    return fail(e.what(), kExitUsage);
  }
  if (rep.logs.empty())
    return fail("no imported nccl-tests log among the inputs: nothing to validate", kExitUsage);
  const std::string md = fm::validation_markdown(rep);
  const std::string js = fm::to_json(rep).dump(2) + "\n";
  try {
    if (!out_dir.empty()) {
      const std::string tables = out_dir + "/tables", plots = out_dir + "/plots";
      fs::create_directories(tables);
      write_file_atomically(tables + "/validation.md", md, true);
      write_file_atomically(tables + "/validation.json", js, true);
      std::printf("# wrote %s/validation.md and validation.json\n", tables.c_str());
      if (!no_plots) {
        if (!pub::have_gnuplot(gnuplot)) {
          std::printf("# plot skipped: '%s' with pngcairo not found\n", gnuplot.c_str());
        } else {
          fs::create_directories(plots);
          PublishReport pr;
          pub::render_plot(validation_plot(rep), plots, gnuplot, pr);
          for (const auto& w : pr.written) std::printf("# wrote %s\n", w.c_str());
        }
      }
    }
    if (!markdown.empty()) write_file_atomically(markdown, md, true);
    if (!json_path.empty()) write_file_atomically(json_path, js, true);
  } catch (const std::exception& e) {
    return fail(e.what(), kExitRunFailed);
  }
  if (out_dir.empty() && markdown.empty()) std::fputs(md.c_str(), stdout);
  const auto& h = rep.headline;
  std::printf(
      "# validation: %d logs predicted of %zu; not reported as problems, sizes >= %s: median "
      "|error| %.1f%%, worst %.1f%% over %d points\n",
      rep.all.logs, rep.logs.size(), fm::human_bytes(rep.options.headline_min_bytes).c_str(),
      100 * h.median_abs_error, 100 * h.worst_abs_error, h.points);
  return kExitOk;
}

}  // namespace fb
