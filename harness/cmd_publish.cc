#include "harness/cmd_publish.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "fabric_model/topology.h"
#include "fb_config.h"
#include "harness/report.h"
#include "harness/sysinfo.h"

namespace fb {
namespace {

namespace fs = std::filesystem;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Adaptive precision for bandwidths and times spanning 1e-3 to 1e7.
std::string num(double v) {
  const double a = std::fabs(v);
  if (a >= 1000) return fmt("%.0f", v);
  if (a >= 100) return fmt("%.1f", v);
  if (a >= 1) return fmt("%.2f", v);
  if (a >= 0.01) return fmt("%.3f", v);
  if (a == 0) return "0";
  return fmt("%.2e", v);
}

std::string pct(double frac) { return fmt("%+.1f%%", 100 * frac); }

using model::human_bytes;

// "1k", "100k", "1M" GPUs (decimal: cluster sizes are quoted that way).
std::string human_count(double n) {
  if (n >= 1e6 && std::fmod(n, 1e5) == 0) return fmt("%g", n / 1e6) + "M";
  if (n >= 1e3 && std::fmod(n, 100) == 0) return fmt("%g", n / 1e3) + "k";
  return fmt("%.0f", n);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<std::string> list_json(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string short_commit(const std::string& c) { return c.empty() ? "unknown" : c; }

// ---- measured ------------------------------------------------------------------------------

struct ConfigKey {
  std::string backend, algorithm, device;
  int nranks = 0;
  std::string label() const {
    return backend + "/" + algorithm + "/" + device + " np" + std::to_string(nranks);
  }
  bool operator<(const ConfigKey& o) const { return label() < o.label(); }
};

struct Cell {
  std::vector<double> busbw;  // one per repeat (file)
  int wrong_rows = 0;
  int unchecked = 0;
};

struct ConfigData {
  std::map<double, Cell> by_size;
  std::set<std::string> files;
  double roofline_gbps = 0;
  std::string roofline_source;
};

// machine -> "collective dtype op" -> config -> data
using MeasuredIndex = std::map<std::string, std::map<std::string, std::map<ConfigKey, ConfigData>>>;

MeasuredIndex index_measured(const std::vector<MeasuredFile>& files) {
  MeasuredIndex idx;
  for (const auto& f : files) {
    // Out-of-place rows are the table's values; in-place only when a file has no out-of-place.
    bool has_oop = false;
    for (const auto& r : f.rows) has_oop = has_oop || !r.in_place;
    for (const auto& r : f.rows) {
      if (r.in_place == has_oop) continue;
      const ConfigKey k{f.backend, r.algo.empty() ? f.algorithm : r.algo, f.device, f.nranks};
      ConfigData& d = idx[f.machine][r.collective + " " + r.dtype + " " + r.op][k];
      d.files.insert(f.path);
      if (f.roofline_gbps > d.roofline_gbps) {
        d.roofline_gbps = f.roofline_gbps;
        d.roofline_source = f.roofline_source + " in " + f.path;
      }
      Cell& c = d.by_size[static_cast<double>(r.bytes)];
      if (r.wrong > 0) {
        ++c.wrong_rows;  // a wrong result is never published as bandwidth
        continue;
      }
      if (r.wrong < 0) ++c.unchecked;
      // busbw at the median iteration (same bytes and bus factor as the row's busbw, which
      // uses the -a combined time): one descheduled iteration must not set a table cell.
      const bool rescale = r.time_us > 0 && r.time_us_median > 0;
      c.busbw.push_back(rescale ? r.busbw_gbps * r.time_us / r.time_us_median : r.busbw_gbps);
    }
  }
  return idx;
}

// ---- plots ---------------------------------------------------------------------------------

struct Series {
  std::string title;
  std::vector<std::pair<double, double>> xy;
};

struct Plot {
  std::string name;  // file stem under plots/
  std::string title, xlabel, ylabel;
  bool logx = true, logy = false;
  bool bytes_x = false;  // x axis in bytes: binary prefixes
  std::vector<Series> series;
};

std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool have_gnuplot(const std::string& gnuplot) {
  const std::string cmd = gnuplot + " -e 'set terminal pngcairo' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Writes plots/NAME.dat and NAME.gp (kept: they reproduce the figure), runs gnuplot into temp
// names and renames them, so a failed run never leaves half a PNG.
void render_plot(const Plot& p, const std::string& dir, const std::string& gnuplot,
                 PublishReport& rep) {
  std::ostringstream dat;
  for (std::size_t i = 0; i < p.series.size(); ++i) {
    if (i > 0) dat << "\n\n";
    dat << "# " << p.series[i].title << "\n";
    for (const auto& [x, y] : p.series[i].xy) dat << x << " " << y << "\n";
  }
  const std::string stem = dir + "/" + p.name;
  write_file_atomically(stem + ".dat", dat.str(), true);
  std::ostringstream gp;
  gp << "# Generated by fabricbench publish; data in " << p.name << ".dat\n";
  gp << "set title " << gp_quote(p.title) << " noenhanced\n";
  gp << "set xlabel " << gp_quote(p.xlabel) << "\nset ylabel " << gp_quote(p.ylabel) << "\n";
  gp << "set key outside right top noenhanced\nset grid\n";
  if (p.logx)
    gp << (p.bytes_x ? "set logscale x 2\nset format x '%.0b%BB'\n" : "set logscale x 10\n");
  if (p.logy) gp << "set logscale y 10\n";
  std::ostringstream plot_cmd;
  plot_cmd << "plot ";
  for (std::size_t i = 0; i < p.series.size(); ++i) {
    if (i > 0) plot_cmd << ", ";
    plot_cmd << gp_quote(stem + ".dat") << " index " << i << " using 1:2 with linespoints title "
             << gp_quote(p.series[i].title);
  }
  gp << "set terminal pngcairo size 1300,650 noenhanced\nset output " << gp_quote(stem + ".png.tmp")
     << "\n"
     << plot_cmd.str() << "\nset terminal svg size 1300,650 dynamic noenhanced\nset output "
     << gp_quote(stem + ".svg.tmp") << "\n"
     << plot_cmd.str() << "\nset output\n";
  write_file_atomically(stem + ".gp", gp.str(), true);
  const std::string cmd = gnuplot + " " + gp_quote(stem + ".gp") + " 2>" + gp_quote(stem + ".log");
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("gnuplot failed on " + stem + ".gp (see " + stem + ".log)");
  std::error_code ec;
  fs::remove(stem + ".log", ec);
  for (const char* ext : {".png", ".svg"}) {
    fs::rename(stem + ext + ".tmp", stem + ext, ec);
    if (ec) throw std::runtime_error("cannot rename " + stem + ext + ".tmp: " + ec.message());
    rep.written.push_back(stem + ext);
  }
}

// ---- model documents ------------------------------------------------------------------------

double jnum(const nlohmann::json& j, const char* k, double d = 0) {
  const auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<double>() : d;
}
std::string jstr(const nlohmann::json& j, const char* k, const std::string& d = "") {
  const auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : d;
}

// Profiles in the order of the question (InfiniBand, then ECMP, then adaptive), else by name.
int fabric_order(const std::string& name) {
  if (name.find("infiniband") != std::string::npos || name.rfind("ib", 0) == 0) return 0;
  if (name.find("ecmp") != std::string::npos) return 1;
  if (name.find("adaptive") != std::string::npos) return 2;
  return 3;
}

struct ModelRowKey {
  std::string topology, placement, method, algo;
  double bytes, gpus;
  int order;
  std::string fabric;
  bool operator<(const ModelRowKey& o) const {
    return std::tie(topology, placement, method, algo, bytes, gpus, order, fabric) <
           std::tie(o.topology, o.placement, o.method, o.algo, o.bytes, o.gpus, o.order, o.fabric);
  }
};

struct ModelIndex {
  std::map<ModelRowKey, nlohmann::json> rows;
  std::map<std::string, nlohmann::json> topology;  // name -> config json
  std::map<std::string, nlohmann::json> fabrics;   // name -> profile json
  std::set<std::string> approximations;
  std::set<std::string> files;
  std::set<std::string> calibrations;  // as the model files record them
};

ModelIndex index_models(const std::vector<ModelDoc>& docs) {
  ModelIndex m;
  for (const auto& d : docs) {
    m.files.insert(d.path);
    const auto& topo = d.doc.value("topology", nlohmann::json::object());
    const std::string tname = jstr(topo, "name", "unnamed");
    m.topology.emplace(tname, topo);
    for (const auto& f : d.doc.value("fabrics", nlohmann::json::array()))
      if (f.is_object()) m.fabrics.emplace(jstr(f, "name"), f);
    for (const auto& a : d.doc.value("approximations", nlohmann::json::array()))
      if (a.is_string()) m.approximations.insert(a.get<std::string>());
    if (d.doc.contains("calibration")) m.calibrations.insert(d.doc["calibration"].dump());
    for (const auto& r : d.doc["results"]) {
      if (!r.is_object() || jstr(r, "collective") != "all_reduce") continue;
      const std::string fabric = jstr(r, "fabric");
      ModelRowKey k{jstr(r, "topology", tname), jstr(r, "placement", "aligned"),
                    jstr(r, "method", "flow"),  jstr(r, "algo"),
                    jnum(r, "bytes"),           jnum(r, "gpus"),
                    fabric_order(fabric),       fabric};
      m.rows.emplace(k, r);  // the first file listing a point wins
    }
  }
  return m;
}

std::string bom_table(const nlohmann::json& topo, const std::set<double>& gpus) {
  std::ostringstream o;
  o << "| GPUs | tiers | switches | switches per tier | host links | switch links | "
       "transceivers |\n|---:|---:|---:|---|---:|---:|---:|\n";
  for (double g : gpus) {
    try {
      model::ClusterConfig c = model::parse_cluster_config(topo);
      c.gpus = static_cast<std::int64_t>(g);
      const model::BillOfMaterials b = model::size_cluster(c);
      std::string per_tier;
      for (std::size_t i = 0; i < b.switches_per_tier.size(); ++i)
        per_tier += (i ? " / " : "") + std::to_string(b.switches_per_tier[i]);
      o << "| " << human_count(g) << " | " << b.tiers << " | " << b.switches << " | " << per_tier
        << " | " << b.host_links << " | " << b.switch_links << " | " << b.transceivers << " |\n";
    } catch (const std::exception& e) {
      o << "| " << human_count(g) << " | n/a: " << e.what() << " | | | | | |\n";
    }
  }
  return o.str();
}

// The model's analytic path at every (topology, fabric, algo, size, GPUs) of the model files, with
// and without the calibration's overrides: what the measured machine changes.
std::string calibrated_view(const ModelIndex& m, const model::Calibration& cal) {
  std::ostringstream o;
  o << "\n## With this machine's calibration (analytic path)\n\n";
  model::CalibratedOverrides co;
  try {
    co = model::calibration_overrides(cal);
  } catch (const std::exception& e) {
    o << "Not shown: " << e.what() << "\n";
    return o.str();
  }
  o << "Calibration group: " << co.group << ". Measured parameters replacing the preset's:\n\n";
  for (const auto& p : co.measured)
    o << "- " << p.parameter << " = " << num(p.value) << " " << p.unit << " (" << p.source << ")\n";
  o << "- from the profiles and presets: ";
  for (std::size_t i = 0; i < co.from_profile.size(); ++i)
    o << (i ? ", " : "") << co.from_profile[i];
  o << "\n";
  for (const auto& n : co.notes) o << "- note: " << n << "\n";
  o << "\n| topology | GPUs | algo | size | fabric | profile only (us) | calibrated (us) | "
       "ratio |\n|---|---:|---|---:|---|---:|---:|---:|\n";
  std::set<std::tuple<std::string, double, std::string, double, int, std::string>> points;
  for (const auto& [k, r] : m.rows)
    points.emplace(k.topology, k.gpus, k.algo, k.bytes, k.order, k.fabric);
  for (const auto& [topo, gpus, algo, bytes, order, fabric] : points) {
    try {
      const model::ClusterConfig c = model::parse_cluster_config(m.topology.at(topo));
      const model::FabricProfile f = model::parse_fabric_profile(m.fabrics.at(fabric));
      model::EvalOptions e;
      e.algo = model::algo_from_string(algo);
      e.bytes = static_cast<model::Bytes>(bytes);
      e.gpus = static_cast<std::int64_t>(gpus);
      e.analytic = true;
      const double base = model::evaluate(c, f, e).time_us;
      model::apply_calibration(co, e.overrides);
      const double calibrated = model::evaluate(c, f, e).time_us;
      o << "| " << topo << " | " << human_count(gpus) << " | " << algo << " | "
        << human_bytes(bytes) << " | " << fabric << " | " << num(base) << " | " << num(calibrated)
        << " | " << fmt("%.2fx", calibrated / base) << " |\n";
    } catch (const std::exception& ex) {
      o << "| " << topo << " | " << human_count(gpus) << " | " << algo << " | "
        << human_bytes(bytes) << " | " << fabric << " | n/a: " << ex.what() << " | | |\n";
    }
  }
  return o.str();
}

}  // namespace

// ---- tables --------------------------------------------------------------------------------

std::string render_measured(const std::vector<MeasuredFile>& files, const std::string& prov) {
  std::ostringstream o;
  o << "# Measured collective bandwidth\n\n" << prov;
  o << "> Inputs (" << files.size() << "):\n";
  for (const auto& f : files)
    o << "> - `" << f.path << "`: " << f.backend << "/" << f.algorithm << "/" << f.device << " np"
      << f.nranks << ", " << f.rows.size() << " rows, measured " << f.start_time
      << " by fabricbench " << f.version << " (commit " << short_commit(f.git_commit) << ")"
      << (f.complete ? "" : ", INCOMPLETE") << "\n";
  o << "\nbusbw in GB/s (1e9 B/s, nccl-tests' definition) at the median iteration time of the "
       "out-of-place variant: median over repeats (files of the same configuration) with [min-max] "
       "when there are several. "
       "Rows with wrong elements are never shown as bandwidth.\n";
  const MeasuredIndex idx = index_measured(files);
  for (const auto& [machine, colls] : idx) {
    o << "\n## Machine: " << machine << "\n";
    for (const auto& [coll, configs] : colls) {
      std::set<double> sizes;
      for (const auto& [k, d] : configs)
        for (const auto& [s, c] : d.by_size) sizes.insert(s);
      o << "\n### " << coll << "\n\n| size |";
      std::string sep = "|---:|";
      for (const auto& [k, d] : configs) {
        o << " " << k.label() << " (" << d.files.size() << (d.files.size() == 1 ? " run" : " runs")
          << ") |";
        sep += "---:|";
      }
      o << "\n" << sep << "\n";
      for (double s : sizes) {
        o << "| " << human_bytes(s) << " |";
        for (const auto& [k, d] : configs) {
          const auto it = d.by_size.find(s);
          if (it == d.by_size.end()) {
            o << " - |";
            continue;
          }
          const Cell& c = it->second;
          std::string cell;
          if (!c.busbw.empty()) {
            const auto [mn, mx] = std::minmax_element(c.busbw.begin(), c.busbw.end());
            cell = num(median(c.busbw));
            if (c.busbw.size() > 1) cell += " [" + num(*mn) + "-" + num(*mx) + "]";
            if (d.roofline_gbps > 0)
              cell += " " + fmt("%.0f%%", 100 * median(c.busbw) / d.roofline_gbps);
            if (c.unchecked > 0) cell += " (unchecked)";
          }
          if (c.wrong_rows > 0)
            cell +=
                (cell.empty() ? "" : " ") + std::string("WRONG x") + std::to_string(c.wrong_rows);
          o << " " << cell << " |";
        }
        o << "\n";
      }
      o << "\n";
      for (const auto& [k, d] : configs) {
        double best = 0, at = 0;
        for (const auto& [s, c] : d.by_size) {
          const double m = median(c.busbw);
          if (!c.busbw.empty() && m > best) best = m, at = s;
        }
        o << "- " << k.label() << ": peak median busbw " << num(best) << " GB/s at "
          << human_bytes(at);
        if (d.roofline_gbps > 0)
          o << "; roofline " << num(d.roofline_gbps) << " GB/s (" << d.roofline_source
            << "), peak = " << fmt("%.0f%%", 100 * best / d.roofline_gbps) << " of it";
        else
          o << "; no roofline in the inputs (% of roofline not shown)";
        o << "\n";
      }
    }
  }
  return o.str();
}

std::string render_model_vs_measured(const model::Calibration& cal, const std::string& prov) {
  std::ostringstream o;
  o << "# Calibrated model vs measurements it did not fit\n\n" << prov;
  o << "> Calibration: `" << cal.origin << "` (created " << jstr(cal.provenance, "created", "?")
    << " by fabricbench " << jstr(cal.provenance, "version", "?") << ", commit "
    << jstr(cal.provenance, "git_commit", "?") << ")\n";
  for (const auto& in : cal.provenance.value("inputs", nlohmann::json::array()))
    o << "> - measured input `" << jstr(in, "path") << "`\n";
  o << "\nModel: t(n) = (alpha + beta n) x eff(n); alpha, beta by weighted least squares "
       "(w = 1/t^2), eff piecewise linear in log2(n) through measured/alpha-beta. Leave-one-out: "
       "for each size, alpha, beta and eff are refitted without it and it is predicted. Measured "
       "= per size over repeats and variants, statistic `"
    << jstr(cal.provenance, "time_statistic", "median")
    << "` (min-median: median over repeats of each run's fastest iteration, since interference "
       "only adds time and one lucky run should not set a size alone; min: fastest iteration of "
       "any repeat; median: median of the runs' medians).\n";
  for (const auto& g : cal.groups) {
    o << "\n## " << g.key.label() << "\n\n";
    o << "- alpha " << num(g.fit.alpha_us) << " us" << (g.alpha_clamped ? " (clamped at 0)" : "")
      << ", bandwidth 1/beta " << num(g.fit.bandwidth_gbps()) << " GB/s, busbw asymptote "
      << num(g.busbw_asymptote_gbps) << " GB/s, per-step latency " << num(g.step_latency_us)
      << " us (" << g.ring_steps << " ring steps)\n";
    o << "- fit quality: weighted R^2 " << fmt("%.4f", g.quality.r2)
      << ", worst relative residual of alpha-beta alone "
      << fmt("%.1f%%", 100 * g.quality.worst_rel_residual) << " at "
      << human_bytes(g.quality.worst_rel_residual_bytes) << "\n";
    o << "- leave-one-out error, sizes >= " << human_bytes(g.quality.quality_min_bytes)
      << ": median " << fmt("%.1f%%", 100 * g.quality.loo_median_error) << ", max "
      << fmt("%.1f%%", 100 * g.quality.loo_max_error) << " at "
      << human_bytes(g.quality.loo_max_error_bytes) << "; all sizes: max "
      << fmt("%.1f%%", 100 * g.quality.loo_max_error_all) << "\n";
    o << "- verdict: " << (g.accepted ? "accepted" : "REFUSED: " + g.refusal) << "\n\n";
    o << "| size | measured (us) | [min-max] (n) | LOO model (us) | LOO error | alpha-beta alone "
         "(us) | alpha-beta error |\n|---:|---:|---:|---:|---:|---:|---:|\n";
    for (std::size_t i = 0; i < g.loo.size(); ++i) {
      const auto& l = g.loo[i];
      const model::SizePoint* p = nullptr;
      for (const auto& q : g.points)
        if (q.bytes == l.bytes) p = &q;
      o << "| " << human_bytes(l.bytes) << " | " << num(l.measured_us) << " | ";
      if (p != nullptr)
        o << "[" << num(p->time_us_min) << "-" << num(p->time_us_max) << "] (" << p->samples << ")";
      o << " | " << num(l.predicted_us) << " | " << pct(l.rel_error) << " | "
        << num(l.alpha_beta_us) << " | " << pct(l.alpha_beta_us / l.measured_us - 1) << " |\n";
    }
  }
  return o.str();
}

std::string render_fabric_comparison(const std::vector<ModelDoc>& docs, const std::string& prov,
                                     std::vector<std::string>* headline,
                                     const model::Calibration* cal) {
  const ModelIndex m = index_models(docs);
  std::ostringstream o;
  o << "# Fabric comparison: all-reduce on InfiniBand vs RoCEv2 (ECMP, adaptive)\n\n" << prov;
  o << "> Model files:\n";
  for (const auto& d : docs)
    o << "> - `" << d.path << "`: " << jstr(d.doc, "generator", "fabricbench model") << ", "
      << d.doc["results"].size() << " points, wall " << num(jnum(d.doc, "wall_s")) << " s\n";
  o << "> Calibration used by the model: ";
  if (m.calibrations.empty()) {
    o << "none recorded (profiles and presets only)\n";
  } else {
    for (const auto& c : m.calibrations) o << "`" << c << "` ";
    o << "\n";
  }
  o << "> Fabric profiles:\n";
  for (const auto& [name, f] : m.fabrics)
    o << "> - " << name << ": " << jstr(f, "description") << " [routing " << jstr(f, "routing")
      << "]\n";
  o << "\ntime in us (mean over hash seeds), busbw in GB/s (nccl-tests' definition), throughput "
       "= delivered / offered network rate, spread = min-max over seeds.\n";

  std::map<std::string, std::set<double>> gpus_of;
  for (const auto& [name, topo] : m.topology) {
    o << "\n## Topology " << name << "\n\n" << jstr(topo, "source") << "\n";
    std::string cur;
    std::set<double> gpus;
    for (const auto& [k, r] : m.rows) {
      if (k.topology != name) continue;
      gpus.insert(k.gpus);
      const std::string section = "all_reduce " + k.algo + ", " + human_bytes(k.bytes) + " (" +
                                  k.placement + " placement, " + k.method + ")";
      if (section != cur) {
        cur = section;
        o << "\n### " << section
          << "\n\n| GPUs | fabric | time (us) | busbw (GB/s) | throughput "
             "| spread (us) | seeds | latency / bandwidth / congestion / header (us) |\n"
             "|---:|---|---:|---:|---:|---:|---:|---|\n";
      }
      const auto& b = r.value("breakdown", nlohmann::json::object());
      o << "| " << human_count(k.gpus) << " | " << k.fabric << " | " << num(jnum(r, "time_us"))
        << " | " << num(jnum(r, "busbw_gbps")) << " | "
        << fmt("%.3f", jnum(r, "throughput_fraction", 1)) << " | " << num(jnum(r, "time_us_min"))
        << "-" << num(jnum(r, "time_us_max")) << " | " << jnum(r, "seeds", 1) << " | "
        << num(jnum(b, "latency_us")) << " / " << num(jnum(b, "bandwidth_us")) << " / "
        << num(jnum(b, "congestion_us")) << " / " << num(jnum(b, "header_us")) << " |\n";
    }
    o << "\n### Bill of materials (" << name << "; the same cluster under every fabric profile)\n\n"
      << bom_table(topo, gpus);
    gpus_of[name] = gpus;
  }

  // Headline: per topology, placement and method, the largest cluster and message of each
  // algorithm, fabrics side by side (ratios against the first, InfiniBand when present).
  std::vector<std::string> lines;
  std::set<std::tuple<std::string, std::string, std::string>> views;
  for (const auto& [k, r] : m.rows) views.emplace(k.topology, k.placement, k.method);
  for (const auto& [name, placement, method] : views) {
    auto in_view = [&, n = name, pl = placement, me = method](const ModelRowKey& k) {
      return k.topology == n && k.placement == pl && k.method == me;
    };
    double g = 0, bytes = 0;
    std::set<std::string> algos;
    for (const auto& [k, r] : m.rows)
      if (in_view(k)) g = std::max(g, k.gpus);
    for (const auto& [k, r] : m.rows)
      if (in_view(k) && k.gpus == g) bytes = std::max(bytes, k.bytes), algos.insert(k.algo);
    for (const auto& a : algos) {
      std::string line = "all_reduce " + a + " " + human_bytes(bytes) + " on " + human_count(g);
      line += " GPUs (" + name;
      line += ", " + placement;
      line += ", " + method;
      line += "):";
      double first = 0;
      for (const auto& [k, r] : m.rows) {
        if (!in_view(k) || k.gpus != g || k.bytes != bytes || k.algo != a) continue;
        const double t = jnum(r, "time_us");
        line += " " + k.fabric + " " + num(t / 1000) + " ms";
        if (first > 0) line += " (" + fmt("%.2fx", t / first) + ")";
        if (first == 0) first = t;
        line += ",";
      }
      line.pop_back();
      lines.push_back(line);
    }
  }
  if (!lines.empty()) {
    o << "\n## Headline\n\n";
    for (const auto& l : lines) o << "- " << l << "\n";
  }
  if (cal != nullptr) o << calibrated_view(m, *cal);
  if (!m.approximations.empty()) {
    o << "\n## Approximations stated by the model\n\n";
    for (const auto& a : m.approximations) o << "- " << a << "\n";
  }
  if (headline != nullptr) *headline = lines;
  return o.str();
}

ModelDoc read_model_doc(const std::string& path) {
  ModelDoc d{path, parse_json_text(read_text(path), path)};
  if (!d.doc.is_object() || jstr(d.doc, "schema") != model::kModelSchema)
    throw std::runtime_error(path + ": schema is not " + std::string(model::kModelSchema));
  if (!d.doc.contains("results") || !d.doc["results"].is_array())
    throw std::runtime_error(path + ": missing field 'results' (an array)");
  return d;
}

PublishReport publish(const PublishOptions& opt) {
  PublishReport rep;
  std::vector<MeasuredFile> measured;
  for (const auto& p : opt.raw) measured.push_back(read_measured_file(p));
  std::vector<ModelDoc> models;
  for (const auto& p : opt.model) models.push_back(read_model_doc(p));
  model::Calibration cal;
  const bool have_cal = !opt.calibration.empty();
  if (have_cal) cal = model::load_calibration(opt.calibration);

  const std::string tables = opt.out_dir + "/tables", plots = opt.out_dir + "/plots";
  fs::create_directories(tables);
  std::ostringstream prov;
  prov << "> Generated by `fabricbench publish` " << FB_VERSION << " (commit " << FB_GIT_COMMIT
       << ") at " << utc_now() << ".\n";
  const std::string p = prov.str();

  auto emit = [&](const std::string& name, const std::string& text) {
    write_file_atomically(tables + "/" + name, text, true);
    rep.written.push_back(tables + "/" + name);
  };
  if (!measured.empty())
    emit("measured.md", render_measured(measured, p));
  else
    rep.notes.push_back("measured.md skipped: no results files");
  if (have_cal)
    emit("model_vs_measured.md", render_model_vs_measured(cal, p));
  else
    rep.notes.push_back("model_vs_measured.md skipped: no calibration file");
  if (!models.empty())
    emit("fabric_comparison.md",
         render_fabric_comparison(models, p, &rep.headline, have_cal ? &cal : nullptr));
  else
    rep.notes.push_back("fabric_comparison.md skipped: no fabricbench.model/1 files");
  if (have_cal) {
    for (const auto& g : cal.groups)
      rep.headline.push_back("calibration " + g.key.label() +
                             ": LOO error sizes >= " + human_bytes(g.quality.quality_min_bytes) +
                             " median " + fmt("%.1f%%", 100 * g.quality.loo_median_error) +
                             ", max " + fmt("%.1f%%", 100 * g.quality.loo_max_error) + "; R^2 " +
                             fmt("%.4f", g.quality.r2) +
                             (g.accepted ? "" : "; REFUSED: " + g.refusal));
  }

  if (!opt.plots) return rep;
  if (!have_gnuplot(opt.gnuplot)) {
    rep.notes.push_back("plots skipped: '" + opt.gnuplot +
                        "' with the pngcairo terminal not found");
    return rep;
  }
  fs::create_directories(plots);
  if (!measured.empty()) {
    Plot pl{"measured_busbw",
            "Measured busbw vs size (median over repeats)",
            "message size",
            "busbw (GB/s)",
            true,
            false,
            true,
            {}};
    for (const auto& [machine, colls] : index_measured(measured))
      for (const auto& [coll, configs] : colls)
        for (const auto& [k, d] : configs) {
          Series s{k.label() + " " + coll + " @ " + machine.substr(0, machine.find(' ')), {}};
          for (const auto& [size, c] : d.by_size)
            if (!c.busbw.empty() && size > 0) s.xy.emplace_back(size, median(c.busbw));
          if (!s.xy.empty()) pl.series.push_back(s);
        }
    if (!pl.series.empty()) render_plot(pl, plots, opt.gnuplot, rep);
  }
  if (!models.empty()) {
    const ModelIndex m = index_models(models);
    std::map<double, Plot> by_size;
    for (const auto& [k, r] : m.rows) {
      Plot& pl = by_size[k.bytes];
      if (pl.name.empty()) {
        std::string h = human_bytes(k.bytes);
        h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
        pl = Plot{"model_time_vs_gpus_" + h,
                  "Predicted all-reduce time, " + human_bytes(k.bytes),
                  "GPUs",
                  "time (us)",
                  true,
                  true,
                  false,
                  {}};
      }
      const std::string title =
          k.fabric + " " + k.algo + " " + k.topology + " " + k.placement + " " + k.method;
      auto it = std::find_if(pl.series.begin(), pl.series.end(),
                             [&](const Series& s) { return s.title == title; });
      if (it == pl.series.end()) it = pl.series.insert(pl.series.end(), Series{title, {}});
      it->xy.emplace_back(k.gpus, jnum(r, "time_us"));
    }
    for (auto& [bytes, pl] : by_size) {
      // A line needs two GPU counts: single-point views (one preset size) stay in the tables.
      pl.series.erase(std::remove_if(pl.series.begin(), pl.series.end(),
                                     [](const Series& x) { return x.xy.size() < 2; }),
                      pl.series.end());
      if (pl.series.empty()) continue;
      for (auto& s : pl.series) std::sort(s.xy.begin(), s.xy.end());
      render_plot(pl, plots, opt.gnuplot, rep);
    }
  }
  return rep;
}

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
    return 2;
  }
  if (app.count("--results-dir") > 0 && !fs::is_directory(results_dir)) {
    std::fprintf(stderr, "fabricbench publish: --results-dir '%s' is not a directory\n",
                 results_dir.c_str());
    return 2;
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
    return 2;
  }
  if (opt.plots && app.count("--gnuplot") > 0 && !have_gnuplot(opt.gnuplot)) {
    std::fprintf(stderr,
                 "fabricbench publish: --gnuplot '%s' does not run with the pngcairo terminal\n",
                 opt.gnuplot.c_str());
    return 2;
  }
  try {
    const PublishReport rep = publish(opt);
    for (const auto& w : rep.written) std::printf("wrote %s\n", w.c_str());
    for (const auto& n : rep.notes) std::printf("note: %s\n", n.c_str());
    for (const auto& h : rep.headline) std::printf("headline: %s\n", h.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench publish: %s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace fb
