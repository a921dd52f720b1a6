#include "harness/publish_index.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <tuple>

#include "fabric_model/model.h"
#include "harness/publish_format.h"

namespace fb {
namespace pub {

namespace fs = std::filesystem;

std::string ConfigKey::label() const {
  return backend + "/" + algorithm + "/" + device + " np" + std::to_string(nranks);
}

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

namespace {

// Profiles in the order of the question (InfiniBand, then ECMP, then adaptive), else by name.
int fabric_order(const std::string& name) {
  if (name.find("infiniband") != std::string::npos || name.rfind("ib", 0) == 0) return 0;
  if (name.find("ecmp") != std::string::npos) return 1;
  if (name.find("adaptive") != std::string::npos) return 2;
  return 3;
}

}  // namespace

bool ModelRowKey::operator<(const ModelRowKey& o) const {
  return std::tie(topology, placement, method, algo, bytes, gpus, order, fabric) <
         std::tie(o.topology, o.placement, o.method, o.algo, o.bytes, o.gpus, o.order, o.fabric);
}

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
      // An auto row is one point of the "auto" series whatever algorithm won it.
      const std::string algo = jstr(r, "selection") == "auto" ? "auto" : jstr(r, "algo");
      ModelRowKey k{jstr(r, "topology", tname), jstr(r, "placement", "aligned"),
                    jstr(r, "method", "flow"),  algo,
                    jnum(r, "bytes"),           jnum(r, "gpus"),
                    fabric_order(fabric),       fabric};
      m.rows.emplace(k, r);  // the first file listing a point wins
    }
  }
  return m;
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

}  // namespace pub

ModelDoc read_model_doc(const std::string& path) {
  ModelDoc d{path, parse_json_text(read_text(path), path)};
  if (!d.doc.is_object() || pub::jstr(d.doc, "schema") != model::kModelSchema)
    throw std::runtime_error(path + ": schema is not " + std::string(model::kModelSchema));
  if (!d.doc.contains("results") || !d.doc["results"].is_array())
    throw std::runtime_error(path + ": missing field 'results' (an array)");
  return d;
}

}  // namespace fb
