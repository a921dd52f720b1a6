#include "harness/publish_calibrated_view.h"

#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "harness/publish_format.h"

namespace fb::pub {

using model::human_bytes;

// What the calibration's machine measured, in its own section: what its transport does. Then the
// model's analytic path at the points of the model files whose parameters a measurement of the
// same kind of device and link replaces (calibration_overrides_for): a CPU box's shared memory
// never stands in for NVLink, so with a CPU calibration that table is absent and the section
// says why, per topology.
std::string calibrated_view(const ModelIndex& m, const model::Calibration& cal) {
  std::ostringstream o;
  o << "\n## This machine's calibration: what its transport does (not a GPU cluster "
       "prediction)\n\n"
    << "| group | verdict | alpha (us) | busbw of large messages (GB/s) | per ring step (us) |\n"
    << "|---|---|---:|---:|---:|\n";
  for (const auto& g : cal.groups)
    o << "| " << g.key.label() << " | " << (g.accepted ? "accepted" : "refused: " + g.refusal)
      << " | " << num(g.fit.alpha_us) << " | " << num(g.busbw_asymptote_gbps) << " | "
      << num(g.step_latency_us) << " |\n";
  std::set<std::tuple<std::string, double, std::string, double, int, std::string>> points;
  for (const auto& [k, r] : m.rows)
    points.emplace(k.topology, k.gpus, k.algo, k.bytes, k.order, k.fabric);
  // One verdict per (topology, fabric) of the model files.
  std::map<std::pair<std::string, std::string>, model::CalibratedOverrides> verdicts;
  std::ostringstream table;
  for (const auto& [topo, gpus, algo, bytes, order, fabric] : points) {
    try {
      model::ClusterConfig c = model::parse_cluster_config(m.topology.at(topo));
      const model::FabricProfile f = model::parse_fabric_profile(m.fabrics.at(fabric));
      auto it = verdicts.find({topo, fabric});
      if (it == verdicts.end())
        it = verdicts
                 .emplace(std::make_pair(topo, fabric),
                          model::calibration_overrides_for(cal, c, fabric))
                 .first;
      const model::CalibratedOverrides& co = it->second;
      if (co.measured.empty()) continue;
      model::EvalOptions e;
      e.algo = model::algo_from_string(algo);
      e.bytes = static_cast<model::Bytes>(bytes);
      e.gpus = static_cast<std::int64_t>(gpus);
      e.analytic = true;
      const double base = model::evaluate(c, f, e).time_us;
      model::apply_calibration(co, c, e.overrides);
      const double calibrated = model::evaluate(c, f, e).time_us;
      table << "| " << topo << " | " << human_count(gpus) << " | " << algo << " | "
            << human_bytes(bytes) << " | " << fabric << " | " << num(base) << " | "
            << num(calibrated) << " | " << fmt("%.2fx", calibrated / base) << " |\n";
    } catch (const std::exception& ex) {
      table << "| " << topo << " | " << human_count(gpus) << " | " << algo << " | "
            << human_bytes(bytes) << " | " << fabric << " | n/a: " << ex.what() << " | | |\n";
    }
  }
  o << "\nWhat these measurements replace in the modelled clusters:\n\n";
  for (const auto& [tf, co] : verdicts) {
    o << "- " << tf.first << " on " << tf.second << ": ";
    if (co.measured.empty()) {
      o << "nothing (every value from the preset and profile)";
      std::set<std::string> why;
      for (const auto& r : co.refused) why.insert(r);
      for (const auto& w : why) o << "; " << w;
    } else {
      for (std::size_t i = 0; i < co.measured.size(); ++i)
        o << (i ? ", " : "") << co.measured[i].parameter << " = " << num(co.measured[i].value)
          << " " << co.measured[i].unit << " (" << co.measured[i].source << ")";
    }
    o << "\n";
  }
  const std::string rows = table.str();
  if (!rows.empty())
    o << "\n### With the measured parameters (analytic path)\n\n"
      << "| topology | GPUs | algo | size | fabric | profile only (us) | calibrated (us) | "
         "ratio |\n|---|---:|---|---:|---|---:|---:|---:|\n"
      << rows;
  return o.str();
}

}  // namespace fb::pub
