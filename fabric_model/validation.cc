// Validation of the model against imported nccl-tests runs (see validation.h for the method).
#include "fabric_model/validation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "fabric_model/profile.h"
#include "fabric_model/traffic.h"

namespace fb::model {
namespace {

// A run that never leaves one scale-up domain sends nothing over the network, so no fabric
// profile describes it; the model still needs one for its once-per-collective base latency,
// which is NCCL's own (baseLat, the same for every network). This profile stands in.
constexpr const char* kOneDomainStandInProfile = "infiniband_ndr";
// "#meta" keys of the dev set (tests/fabric_model/data/nccl_tests/README.md).
constexpr const char* kReportKey = "user_report";
constexpr const char* kFabricKey = "fabric";

std::string text_of(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o.at(key).is_string() ? o.at(key).get<std::string>()
                                                                   : std::string();
}

int int_of(const nlohmann::json& o, const char* key) {
  return o.is_object() && o.contains(key) && o.at(key).is_number_integer()
             ? static_cast<int>(o.at(key).get<long long>())
             : 0;
}

std::string source_meta(const nlohmann::json& meta, const std::string& key) {
  if (!meta.contains("source_meta") || !meta.at("source_meta").is_array()) return "";
  for (const auto& kv : meta.at("source_meta"))
    if (text_of(kv, "key") == key) return text_of(kv, "value");
  return "";
}

std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

std::string fmt(double v, int prec = 3) {
  std::ostringstream o;
  o.precision(prec);
  o << v;
  return o.str();
}

std::string pct(double v) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << 100 * v << "%";
  return o.str();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const nlohmann::json& meta_of(const ValidationInput& in) {
  if (!in.doc.is_object() || !in.doc.contains("meta") || !in.doc.at("meta").is_object())
    throw ModelError(in.origin + ": no 'meta' object (not a fabricbench.results/1 document)");
  if (!in.doc.contains("results") || !in.doc.at("results").is_array())
    throw ModelError(in.origin + ": no 'results' array (not a fabricbench.results/1 document)");
  return in.doc.at("meta");
}

bool imported(const nlohmann::json& meta) {
  return meta.contains("imported") && meta.at("imported").is_boolean() &&
         meta.at("imported").get<bool>();
}

RunReport report_of(const std::string& words) {
  if (words.find("PROBLEM") != std::string::npos) return RunReport::kProblem;
  if (words.find("healthy") != std::string::npos) return RunReport::kHealthy;
  return RunReport::kUnlabelled;
}

std::string machine_of(const nlohmann::json& meta, const std::string& origin) {
  const nlohmann::json m = meta.value("machine", nlohmann::json::object());
  std::string s = text_of(m, "hostname");
  const std::string cpu = text_of(m, "cpu_model");
  if (!cpu.empty()) s.append(" (").append(cpu).append(")");
  return s.empty() ? origin : s;
}

void summarise(const std::vector<const ValidationLog*>& logs, ValidationSummary& s,
               double min_bytes) {
  std::vector<double> errs;
  for (const ValidationLog* l : logs) {
    if (!l->predicted || l->headline_points == 0) continue;
    ++s.logs;
    for (const auto& p : l->points) {
      if (p.bytes < min_bytes) continue;
      const double e = std::fabs(p.error);
      errs.push_back(e);
      if (e >= s.worst_abs_error) {
        s.worst_abs_error = e;
        s.worst_origin = l->origin;
        s.worst_bytes = p.bytes;
      }
    }
  }
  s.points = static_cast<int>(errs.size());
  s.median_abs_error = median(errs);
}

// The log's prediction, calibrated with `cal` (every other input); fills status and points.
void predict(const nlohmann::json& meta, const Calibration& cal, const ValidationOptions& opt,
             const std::vector<std::pair<double, double>>& measured, ValidationLog& log) {
  const nlohmann::json d = meta.value("descriptor", nlohmann::json::object());
  const std::string preset = text_of(d, "topology_preset");
  const std::string fabric_note = shorten(source_meta(meta, kFabricKey), 60);
  if (preset.empty()) {
    log.status = "no preset: the descriptor names no topology preset for these servers";
    return;
  }
  ClusterConfig topo = load_cluster_config(preset);
  if (log.gpus_per_server > 0 && log.gpus_per_server != topo.gpus_per_server) {
    log.status = "no preset: " + std::to_string(log.gpus_per_server) + " GPUs per server, preset " +
                 preset + " has " + std::to_string(topo.gpus_per_server);
    return;
  }
  if (log.ranks % topo.scaleup_domain_gpus != 0 && log.ranks > topo.scaleup_domain_gpus) {
    log.status = "not predicted: " + std::to_string(log.ranks) +
                 " ranks are not whole scale-up domains of " +
                 std::to_string(topo.scaleup_domain_gpus);
    return;
  }
  if (log.ranks < topo.scaleup_domain_gpus) {
    log.status = "not predicted: " + std::to_string(log.ranks) + " ranks fill part of one " +
                 std::to_string(topo.scaleup_domain_gpus) + "-GPU scale-up domain";
    return;
  }
  const nlohmann::json env = meta.value("env", nlohmann::json::object());
  if (text_of(env, "NCCL_NVLS_ENABLE") == "0" && topo.scaleup_multicast) {
    topo.scaleup_multicast = false;
    log.adjustments.emplace_back("NCCL_NVLS_ENABLE=0: no NVLink SHARP (NVLS off)");
  }
  const bool one_domain = log.ranks <= topo.scaleup_domain_gpus;
  std::string fabric = text_of(d, "fabric_profile");
  if (fabric.empty() && !one_domain) {
    log.status = "no profile for this fabric" +
                 (fabric_note.empty() ? std::string() : " (" + fabric_note + ")");
    return;
  }
  const std::string profile = fabric.empty() ? kOneDomainStandInProfile : fabric;
  const FabricProfile fab = load_fabric_profile(profile);
  log.topology = preset;
  log.fabric = fabric.empty() ? "none (one scale-up domain)" : fabric;
  EvalOptions o;
  try {
    o.collective = collective_from_string(log.collective);
  } catch (const ModelError&) {
    log.status = "not predicted: the model has no plan for " + log.collective;
    return;
  }
  const std::string forced = text_of(d, "forced_algo");
  try {
    o.algo = forced.empty() ? "auto" : algo_from_string(forced);
  } catch (const ModelError&) {
    log.status = "not predicted: the model has no algorithm for the forced '" + forced + "'";
    return;
  }
  log.algo = o.algo;
  o.gpus = log.ranks;
  o.analytic = opt.analytic;
  const CalibratedOverrides co = calibration_overrides_for(cal, topo, fabric);
  apply_calibration(co, topo, o.overrides);
  for (const auto& m : co.measured)
    log.calibrated.push_back(m.parameter + " = " + fmt(m.value, 4) + " " + m.unit + " (" +
                             m.source + ")");
  std::vector<Bytes> sizes;
  for (const auto& [bytes, bw] : measured) sizes.push_back(static_cast<Bytes>(bytes));
  std::vector<ModelResult> res;
  try {
    res = evaluate_sizes(topo, fab, o, sizes);
  } catch (const ModelError& e) {
    log.status = std::string("not predicted: ") + e.what();
    return;
  }
  std::vector<double> errs;
  for (std::size_t i = 0; i < res.size(); ++i) {
    ValidationPoint p;
    p.bytes = measured[i].first;
    p.measured_busbw_gbps = measured[i].second;
    p.predicted_busbw_gbps = res[i].busbw_gbps;
    p.error = p.predicted_busbw_gbps / p.measured_busbw_gbps - 1;
    p.algo = res[i].algo + (res[i].protocol.empty() ? "" : "/" + res[i].protocol);
    if (p.bytes >= opt.headline_min_bytes) {
      errs.push_back(std::fabs(p.error));
      if (std::fabs(p.error) >= log.worst_abs_error) {
        log.worst_abs_error = std::fabs(p.error);
        log.worst_bytes = p.bytes;
      }
    }
    log.points.push_back(p);
  }
  log.headline_points = static_cast<int>(errs.size());
  log.median_abs_error = median(errs);
  log.predicted = true;
  log.status = "predicted";
}

}  // namespace

std::string to_string(RunReport r) {
  switch (r) {
    case RunReport::kHealthy:
      return "healthy";
    case RunReport::kProblem:
      return "PROBLEM";
    case RunReport::kUnlabelled:
      return "unlabelled";
  }
  return "?";
}

std::vector<GroupFit> fit_input(const ValidationInput& in) {
  const nlohmann::json& meta = meta_of(in);
  const std::string algorithm = text_of(meta, "algorithm");
  std::map<CalibrationKey, std::vector<CalibrationSample>> samples;
  for (const auto& r : in.doc.at("results")) {
    if (!r.is_object()) continue;
    const double bytes = r.value("bytes", 0.0), t = r.value("time_us", 0.0);
    if (bytes <= 0 || t <= 0) continue;
    if (r.contains("wrong") && r.at("wrong").is_number() && r.at("wrong").get<double>() > 0)
      continue;
    const std::string row_algo = text_of(r, "algo");
    CalibrationKey k{text_of(meta, "backend"),    row_algo.empty() ? algorithm : row_algo,
                     text_of(meta, "device"),     text_of(r, "collective"),
                     text_of(r, "dtype"),         text_of(r, "op"),
                     machine_of(meta, in.origin), int_of(meta, "nranks")};
    samples[k].push_back({bytes, t});
  }
  std::vector<GroupFit> out;
  for (const auto& [k, s] : samples) {
    GroupFit g = calibrate_group(k, s);
    g.inputs = {in.origin};
    g.scope = run_scope_from_meta(meta);
    out.push_back(std::move(g));
  }
  return out;
}

ValidationReport validate_runs(const std::vector<ValidationInput>& inputs,
                               const ValidationOptions& opt) {
  ValidationReport rep;
  rep.options = opt;
  std::vector<std::vector<GroupFit>> fits;
  std::vector<RunReport> reports;
  for (const auto& in : inputs) {
    const nlohmann::json& meta = meta_of(in);
    fits.push_back(fit_input(in));
    reports.push_back(report_of(source_meta(meta, kReportKey)));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const nlohmann::json& meta = inputs[i].doc.at("meta");
    if (!imported(meta)) {
      rep.calibration_only.push_back(inputs[i].origin);
      continue;
    }
    ValidationLog log;
    log.origin = inputs[i].origin;
    log.collective = text_of(meta, "collective");
    log.gpu_model = text_of(meta, "gpu_model");
    log.report = reports[i];
    log.report_text = shorten(source_meta(meta, kReportKey), 70);
    log.ranks = int_of(meta, "nranks");
    log.servers = int_of(meta, "servers");
    log.gpus_per_server = int_of(meta, "gpus_per_server");
    // Leave this log out, and every log reported as a problem.
    Calibration cal;
    cal.origin = "leave-one-out calibration";
    for (std::size_t j = 0; j < inputs.size(); ++j)
      if (j != i && reports[j] != RunReport::kProblem)
        cal.groups.insert(cal.groups.end(), fits[j].begin(), fits[j].end());
    // Measured busbw per size: out-of-place, in-place where only that was printed.
    std::map<double, double> oop, ip;
    for (const auto& r : inputs[i].doc.at("results")) {
      const double bytes = r.value("bytes", 0.0), bw = r.value("busbw_gbps", 0.0);
      if (bytes <= 0 || bw <= 0) continue;
      (r.value("in_place", false) ? ip : oop)[bytes] = bw;
    }
    for (const auto& [b, bw] : ip) oop.emplace(b, bw);
    const std::vector<std::pair<double, double>> measured(oop.begin(), oop.end());
    if (measured.empty())
      log.status = "not predicted: no size with a positive busbw";
    else
      predict(meta, cal, opt, measured, log);
    rep.logs.push_back(std::move(log));
  }
  std::vector<const ValidationLog*> healthy, all;
  for (const auto& l : rep.logs) {
    all.push_back(&l);
    if (l.report != RunReport::kProblem) healthy.push_back(&l);
  }
  summarise(healthy, rep.headline, opt.headline_min_bytes);
  summarise(all, rep.all, opt.headline_min_bytes);
  return rep;
}

std::string validation_markdown(const ValidationReport& r) {
  std::ostringstream o;
  const std::string min = human_bytes(r.options.headline_min_bytes);
  o << "# Validation: the model against real nccl-tests runs\n\n"
    << "Each imported log is predicted at every measured size by `fabricbench model` ("
    << (r.options.analytic ? "analytic path" : "flow-level, max-min fair")
    << "), with the log's algorithm when its environment forced one (NCCL_ALGO) and `auto` "
       "otherwise, on the topology preset and fabric profile of its descriptor, calibrated "
       "from every other log (leave one log out; logs reported as problems calibrate nothing). "
       "A parameter is replaced only by a measurement of the same kind of device and link "
       "(`calibration_overrides_for`); every other value is the preset's or profile's, from "
       "datasheets and NCCL's public code, not fitted to these logs. Error = predicted busbw / "
       "measured busbw - 1.\n\n";
  auto summary = [&](const char* what, const ValidationSummary& s) {
    o << "- **" << what << "**, sizes >= " << min << ": median |error| " << pct(s.median_abs_error)
      << ", worst " << pct(s.worst_abs_error);
    if (s.points > 0) o << " (" << s.worst_origin << " at " << human_bytes(s.worst_bytes) << ")";
    o << "; " << s.points << " points from " << s.logs << " logs\n";
  };
  summary("Headline: logs not reported as problems", r.headline);
  summary("Every predicted log, problems included", r.all);
  o << "\n| log | report | collective | GPUs | GPU | topology / fabric | algo | status | "
       "points >= "
    << min << " | median abs(err) | worst abs(err) | calibrated (leave one out) |\n"
    << "|---|---|---|---:|---|---|---|---|---:|---:|---:|---|\n";
  for (const auto& l : r.logs) {
    o << "| " << l.origin << " | " << to_string(l.report) << " | " << l.collective << " | "
      << l.ranks;
    if (l.servers > 0) o << " (" << l.servers << " x " << l.gpus_per_server << ")";
    o << " | " << (l.gpu_model.empty() ? "?" : l.gpu_model) << " | ";
    if (l.predicted) o << l.topology << " / " << l.fabric;
    o << " | " << l.algo << " | " << l.status;
    for (const auto& a : l.adjustments) o << "; " << a;
    o << " | ";
    if (l.predicted && l.headline_points > 0)
      o << l.headline_points << " | " << pct(l.median_abs_error) << " | " << pct(l.worst_abs_error)
        << " at " << human_bytes(l.worst_bytes) << " | ";
    else
      o << (l.predicted ? "0" : "") << " | | | ";
    if (l.calibrated.empty()) o << (l.predicted ? "nothing (preset and profile values)" : "");
    for (std::size_t i = 0; i < l.calibrated.size(); ++i) o << (i ? "; " : "") << l.calibrated[i];
    o << " |\n";
  }
  for (const auto& c : r.calibration_only)
    o << "\nCalibration input only (not an imported nccl-tests log): " << c << "\n";
  o << "\n## Per size\n\n| log | size | measured busbw (GB/s) | predicted busbw (GB/s) | model "
       "algo | error |\n|---|---:|---:|---:|---|---:|\n";
  for (const auto& l : r.logs)
    for (const auto& p : l.points)
      o << "| " << l.origin << " | " << human_bytes(p.bytes) << " | "
        << fmt(p.measured_busbw_gbps, 4) << " | " << fmt(p.predicted_busbw_gbps, 4) << " | "
        << p.algo << " | " << pct(p.error) << " |\n";
  return o.str();
}

nlohmann::json to_json(const ValidationReport& r) {
  auto summary = [](const ValidationSummary& s) {
    return nlohmann::json{{"logs", s.logs},
                          {"points", s.points},
                          {"median_abs_error", s.median_abs_error},
                          {"worst_abs_error", s.worst_abs_error},
                          {"worst_origin", s.worst_origin},
                          {"worst_bytes", s.worst_bytes}};
  };
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& l : r.logs) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : l.points)
      pts.push_back({{"bytes", p.bytes},
                     {"measured_busbw_gbps", p.measured_busbw_gbps},
                     {"predicted_busbw_gbps", p.predicted_busbw_gbps},
                     {"error", p.error},
                     {"algo", p.algo}});
    logs.push_back({{"origin", l.origin},
                    {"collective", l.collective},
                    {"gpu_model", l.gpu_model},
                    {"report", to_string(l.report)},
                    {"report_text", l.report_text},
                    {"ranks", l.ranks},
                    {"servers", l.servers},
                    {"gpus_per_server", l.gpus_per_server},
                    {"topology", l.topology},
                    {"fabric", l.fabric},
                    {"algo", l.algo},
                    {"predicted", l.predicted},
                    {"status", l.status},
                    {"calibrated", l.calibrated},
                    {"adjustments", l.adjustments},
                    {"headline_points", l.headline_points},
                    {"median_abs_error", l.median_abs_error},
                    {"worst_abs_error", l.worst_abs_error},
                    {"worst_bytes", l.worst_bytes},
                    {"points", pts}});
  }
  return {{"schema", kValidationSchema},
          {"headline_min_bytes", r.options.headline_min_bytes},
          {"method", r.options.analytic ? "analytic" : "flow"},
          {"headline", summary(r.headline)},
          {"all", summary(r.all)},
          {"calibration_only", r.calibration_only},
          {"logs", logs}};
}

}  // namespace fb::model
