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
  if (cal != nullptr) o << pub::calibrated_view(m, *cal);
  if (!m.approximations.empty()) {
    o << "\n## Approximations stated by the model\n\n";
    for (const auto& a : m.approximations) o << "- " << a << "\n";
  }
  if (headline != nullptr) *headline = lines;
  return o.str();
}

}  // namespace fb
