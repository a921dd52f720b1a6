#include "harness/publish_calibrated_view.h"

#include <set>
#include <sstream>
#include <tuple>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "harness/publish_format.h"

namespace fb::pub {

using model::human_bytes;

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

}  // namespace fb::pub
