#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "fabric_model/calibration.h"
#include "fabric_model/config.h"
#include "fabric_model/topology.h"
#include "harness/cmd_publish.h"
#include "harness/publish_calibrated_view.h"
#include "harness/publish_format.h"
#include "harness/publish_index.h"

namespace fb {

using model::human_bytes;
using pub::fmt;
using pub::human_count;
using pub::jnum;
using pub::jstr;
using pub::ModelIndex;
using pub::ModelRowKey;
using pub::num;

namespace {

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

// The algorithm that produced a row, with NCCL's protocol where the method has one.
std::string algo_label(const nlohmann::json& r) {
  const std::string p = jstr(r, "protocol");
  return jstr(r, "algo") + (p.empty() ? "" : "/" + p);
}

// Auto rows: the second-best applicable candidate and its time.
std::string runner_up(const nlohmann::json& r) {
  if (jstr(r, "selection") != "auto") return "-";
  const auto c = r.find("candidates");
  if (c == r.end() || !c->is_array() || c->size() < 2) return "none";
  const auto& second = (*c)[1];
  if (!second.is_object() || !second.value("applicable", false)) return "none";
  return algo_label(second) + " " + num(jnum(second, "time_us"));
}

std::string series_title(const std::string& algo) {
  if (algo == "auto") return "auto (fastest applicable algorithm per point)";
  if (algo == "ring") return "ring (flat-ring reference)";
  return algo;
}

std::string headline_title(const std::string& algo) {
  return algo == "ring" ? "flat-ring reference" : algo;
}

std::string series_note(const std::string& algo) {
  if (algo == "auto")
    return "Every algorithm that applies to the point is evaluated and the fastest is shown, as "
           "NCCL's tuner picks; the runner-up column gives the second fastest.\n\n";
  if (algo == "ring")
    return "Reference only: one ring over every GPU of the cluster, 2(N-1) steps. NCCL does not "
           "run this at scale (its tuner picks a tree or NVLS-class algorithm; see the auto "
           "series).\n\n";
  return "";
}

}  // namespace

std::string render_fabric_comparison(const std::vector<ModelDoc>& docs, const std::string& prov,
                                     std::vector<std::string>* headline,
                                     const model::Calibration* cal) {
  const ModelIndex m = pub::index_models(docs);
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
      const std::string section = "all_reduce " + series_title(k.algo) + ", " +
                                  human_bytes(k.bytes) + " (" + k.placement + " placement, " +
                                  k.method + ")";
      if (section != cur) {
        cur = section;
        o << "\n### " << section << "\n\n"
          << series_note(k.algo)
          << "| GPUs | fabric | algorithm | time (us) | busbw (GB/s) | runner-up (us) | "
             "throughput | spread (us) | seeds | latency / bandwidth / congestion / header (us) "
             "|\n|---:|---|---|---:|---:|---|---:|---:|---:|---|\n";
      }
      const auto& b = r.value("breakdown", nlohmann::json::object());
      o << "| " << human_count(k.gpus) << " | " << k.fabric << " | " << algo_label(r) << " | "
        << num(jnum(r, "time_us")) << " | " << num(jnum(r, "busbw_gbps")) << " | " << runner_up(r)
        << " | " << fmt("%.3f", jnum(r, "throughput_fraction", 1)) << " | "
        << num(jnum(r, "time_us_min")) << "-" << num(jnum(r, "time_us_max")) << " | "
        << jnum(r, "seeds", 1) << " | " << num(jnum(b, "latency_us")) << " / "
        << num(jnum(b, "bandwidth_us")) << " / " << num(jnum(b, "congestion_us")) << " / "
        << num(jnum(b, "header_us")) << " |\n";
    }
    o << "\n### Bill of materials (" << name << "; the same cluster under every fabric profile)\n\n"
      << bom_table(topo, gpus);
    gpus_of[name] = gpus;
  }

  // Headline: per topology, placement and method, the largest cluster, fabrics side by side
  // (ratios against the first, InfiniBand when present). Auto series: every size, with the
  // algorithm that won each fabric's point; forced algorithms: the largest size.
  // When the files hold an auto series, the headline is the auto series alone (the forced
  // ring/hier studies stay in the tables).
  std::vector<std::string> lines;
  bool have_auto = false;
  for (const auto& [k, r] : m.rows) have_auto = have_auto || k.algo == "auto";
  std::set<std::tuple<std::string, std::string, std::string>> views;
  for (const auto& [k, r] : m.rows)
    if (!have_auto || k.algo == "auto") views.emplace(k.topology, k.placement, k.method);
  for (const auto& [name, placement, method] : views) {
    auto in_view = [&, n = name, pl = placement, me = method](const ModelRowKey& k) {
      return k.topology == n && k.placement == pl && k.method == me;
    };
    double g = 0;
    for (const auto& [k, r] : m.rows)
      if (in_view(k) && (!have_auto || k.algo == "auto")) g = std::max(g, k.gpus);
    std::map<std::string, std::set<double>> sizes_of;  // algo series -> sizes at g
    for (const auto& [k, r] : m.rows)
      if (in_view(k) && k.gpus == g && (!have_auto || k.algo == "auto"))
        sizes_of[k.algo].insert(k.bytes);
    for (const auto& [a, sizes] : sizes_of) {
      std::vector<double> shown(sizes.begin(), sizes.end());
      if (a != "auto") shown = {*sizes.rbegin()};
      for (const double bytes : shown) {
        std::string line = "all_reduce " + headline_title(a);
        line.append(" ").append(human_bytes(bytes)).append(" on ").append(human_count(g));
        line.append(" GPUs (").append(name).append(", ").append(placement).append(", ");
        line.append(method).append("):");
        double first = 0;
        for (const auto& [k, r] : m.rows) {
          if (!in_view(k) || k.gpus != g || k.bytes != bytes || k.algo != a) continue;
          const double t = jnum(r, "time_us");
          line += " " + k.fabric + " " + num(t / 1000) + " ms";
          if (first > 0) line += " (" + fmt("%.2fx", t / first) + ")";
          if (a == "auto") line += " [" + algo_label(r) + "]";
          if (first == 0) first = t;
          line += ",";
        }
        line.pop_back();
        lines.push_back(line);
      }
    }
  }
  if (!lines.empty()) {
    o << "\n## Headline\n\n";
    for (const auto& l : lines) o << "- " << l << "\n";
  }
  if (cal != nullptr) o << pub::calibrated_view(m, *cal);
  if (!m.approximations.empty()) {
    o << "\n## Approximations stated by the model\n\n";
    for (const auto& a : m.approximations) o << "- " << a << "\n";
  }
  if (headline != nullptr) *headline = lines;
  return o.str();
}

}  // namespace fb
