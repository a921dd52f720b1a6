// Calibration fitting (see calibration.h for the model fitted and why).
#include "fabric_model/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

// Refusal thresholds. Each answers "could this fit predict a size it has not seen?".
// Leave-one-out needs >= 3 sizes left to refit two parameters and still check one; 4 is the
// least that leaves the fit over-determined after removing any one size.
constexpr int kMinSizes = 4;
// Below 0.5 alpha-beta explains less than half of the (relative) variance: time hardly depends on
// size the way a latency + bandwidth cost does, and the latency/bandwidth split is an artefact of
// noise. Between 0.5 and 1 the efficiency curve carries what alpha-beta misses (a CPU box's cache
// cliff: in-cache sizes run several times faster per byte than DRAM-bound ones), and
// leave-one-size-out below judges the whole predictor on sizes it has not seen.
constexpr double kMinR2 = 0.50;
// Sizes below 64 KiB are latency-bound, where timer resolution and scheduling noise on a shared
// host are as large as the signal; the bandwidth parameters are judged on larger sizes.
constexpr double kQualityMinBytes = 64.0 * 1024;
// A model that misses an unseen measured size by more than 50% (the team target is 15%) would
// extrapolate to a million GPUs from noise: refuse it.
constexpr double kMaxLooError = 0.50;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(double v, int prec = 3) {
  std::ostringstream s;
  s.precision(prec);
  s << v;
  return s.str();
}

const nlohmann::json& req(const nlohmann::json& o, const char* key, const std::string& where) {
  if (!o.is_object() || !o.contains(key))
    throw ModelError(where + ": missing field '" + std::string(key) + "'");
  return o.at(key);
}

double req_num(const nlohmann::json& o, const char* key, const std::string& where) {
  const auto& v = req(o, key, where);
  if (!v.is_number())
    throw ModelError(where + ": field '" + std::string(key) + "' is not a number");
  return v.get<double>();
}

// An integer field: a number within int's range (casting one outside is undefined behaviour).
int req_int(const nlohmann::json& o, const char* key, const std::string& where) {
  const double v = req_num(o, key, where);
  if (!(v >= std::numeric_limits<int>::lowest() && v <= std::numeric_limits<int>::max()))
    throw ModelError(where + ": field '" + std::string(key) + "' is out of range");
  return static_cast<int>(v);
}

std::string req_str(const nlohmann::json& o, const char* key, const std::string& where) {
  const auto& v = req(o, key, where);
  if (!v.is_string())
    throw ModelError(where + ": field '" + std::string(key) + "' is not a string");
  return v.get<std::string>();
}

// LOO: refit alpha-beta and the efficiency curve without point `skip`, predict it.
LooPoint leave_one_out(const std::vector<SizePoint>& pts, std::size_t skip) {
  std::vector<SizePoint> rest;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (i != skip) rest.push_back(pts[i]);
  const AlphaBeta ab = fit_alpha_beta(rest);
  const EfficiencyCurve eff = fit_efficiency(rest, ab);
  LooPoint p;
  p.bytes = pts[skip].bytes;
  p.measured_us = pts[skip].time_us;
  p.alpha_beta_us = ab.predict_us(p.bytes);
  p.predicted_us = p.alpha_beta_us * eff.at(p.bytes);
  p.rel_error = p.predicted_us / p.measured_us - 1;
  return p;
}

}  // namespace

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return fmt(b, 4) + " " + units[u];
}

FitThresholds::FitThresholds()
    : min_sizes(kMinSizes),
      min_r2(kMinR2),
      quality_min_bytes(kQualityMinBytes),
      max_loo_error(kMaxLooError) {}

std::string CalibrationKey::label() const {
  return backend + "/" + algorithm + "/" + device + " " + collective + " " + dtype + " " + op +
         " np" + std::to_string(nranks) + " @ " + machine;
}

bool CalibrationKey::operator<(const CalibrationKey& o) const {
  return std::tie(machine, backend, algorithm, device, collective, dtype, op, nranks) <
         std::tie(o.machine, o.backend, o.algorithm, o.device, o.collective, o.dtype, o.op,
                  o.nranks);
}

double EfficiencyCurve::at(double bytes) const {
  if (ratio.empty()) return 1;
  const double x = std::log2(std::max(bytes, 1.0));
  if (x <= log2_bytes.front()) return ratio.front();
  if (x >= log2_bytes.back()) return ratio.back();
  const auto it = std::upper_bound(log2_bytes.begin(), log2_bytes.end(), x);
  const std::size_t i = static_cast<std::size_t>(it - log2_bytes.begin());
  const double f = (x - log2_bytes[i - 1]) / (log2_bytes[i] - log2_bytes[i - 1]);
  return ratio[i - 1] + f * (ratio[i] - ratio[i - 1]);
}

std::vector<SizePoint> reduce_samples(const std::vector<CalibrationSample>& samples,
                                      Combine combine) {
  std::map<double, std::vector<double>> by_size;
  for (const auto& s : samples)
    if (s.time_us > 0 && s.bytes >= 0) by_size[s.bytes].push_back(s.time_us);
  std::vector<SizePoint> out;
  for (const auto& [bytes, times] : by_size) {
    SizePoint p;
    p.bytes = bytes;
    p.samples = static_cast<int>(times.size());
    p.time_us_min = *std::min_element(times.begin(), times.end());
    p.time_us = combine == Combine::kMin ? p.time_us_min : median(times);
    p.time_us_max = *std::max_element(times.begin(), times.end());
    out.push_back(p);
  }
  return out;
}

AlphaBeta fit_alpha_beta(const std::vector<SizePoint>& pts, bool* alpha_clamped) {
  if (pts.size() < 2) throw ModelError("alpha-beta fit needs at least 2 sizes");
  // Minimise sum w_i (t_i - alpha - beta n_i)^2 with w_i = 1/t_i^2, i.e. the squared relative
  // error. Normal equations: [S Sx; Sx Sxx] [alpha; beta'] = [Sy; Sxy], with n scaled to x = n/s
  // (s = largest size) so that Sxx stays near 1 for conditioning; beta = beta' / s.
  double s = 0;
  for (const auto& p : pts) s = std::max(s, p.bytes);
  if (s <= 0) s = 1;
  double S = 0, Sx = 0, Sxx = 0, Sy = 0, Sxy = 0;
  for (const auto& p : pts) {
    const double w = 1.0 / (p.time_us * p.time_us);
    const double x = p.bytes / s;
    S += w;
    Sx += w * x;
    Sxx += w * x * x;
    Sy += w * p.time_us;
    Sxy += w * x * p.time_us;
  }
  const double det = S * Sxx - Sx * Sx;
  AlphaBeta ab;
  bool clamped = false;
  if (det > 1e-12 * S * Sxx) {
    ab.alpha_us = (Sxx * Sy - Sx * Sxy) / det;
    ab.beta_us_per_byte = (S * Sxy - Sx * Sy) / det / s;
  }
  if (!(det > 1e-12 * S * Sxx) || ab.alpha_us < 0) {
    // Latency cannot be negative: the constrained optimum is on alpha = 0, beta' = Sxy / Sxx.
    clamped = true;
    ab.alpha_us = 0;
    ab.beta_us_per_byte = Sxx > 0 ? Sxy / Sxx / s : 0;
  }
  if (alpha_clamped != nullptr) *alpha_clamped = clamped;
  return ab;
}

EfficiencyCurve fit_efficiency(const std::vector<SizePoint>& pts, const AlphaBeta& ab) {
  EfficiencyCurve e;
  for (const auto& p : pts) {
    const double model = ab.predict_us(p.bytes);
    if (model <= 0) continue;
    e.log2_bytes.push_back(std::log2(std::max(p.bytes, 1.0)));
    e.ratio.push_back(p.time_us / model);
  }
  return e;
}

namespace {
// The model's collective for a results file's name; nullopt for collectives it has no plan for.
std::optional<Collective> model_collective(const std::string& name) {
  try {
    return collective_from_string(name);
  } catch (const ModelError&) {
    return std::nullopt;
  }
}
}  // namespace

double bus_factor(const std::string& collective, int nranks) {
  // nccl-tests PERFORMANCE.md: rooted and point-to-point collectives move the data once (factor 1).
  const auto c = model_collective(collective);
  return c && nranks >= 1 ? fb::model::bus_factor(*c, nranks) : 1;
}

int ring_steps(const std::string& collective, int nranks) {
  const auto c = model_collective(collective);
  return c ? fb::model::ring_steps(*c, nranks) : 1;
}

double GroupFit::predict_us(double bytes) const {
  if (!accepted) throw ModelError("calibration " + key.label() + " was refused: " + refusal);
  return fit.predict_us(bytes) * efficiency.at(bytes);
}

GroupFit calibrate_group(const CalibrationKey& key, const std::vector<CalibrationSample>& samples,
                         const FitThresholds& th, Combine combine) {
  GroupFit g;
  g.key = key;
  g.samples = static_cast<int>(samples.size());
  g.points = reduce_samples(samples, combine);
  g.bus_factor = bus_factor(key.collective, key.nranks);
  g.ring_steps = ring_steps(key.collective, key.nranks);
  g.quality.quality_min_bytes = th.quality_min_bytes;
  if (static_cast<int>(g.points.size()) < th.min_sizes) {
    g.refusal = std::to_string(g.points.size()) + " distinct sizes with a positive time, need " +
                std::to_string(th.min_sizes) + " (to fit 2 parameters and check each size)";
    return g;
  }
  g.fit = fit_alpha_beta(g.points, &g.alpha_clamped);
  g.efficiency = fit_efficiency(g.points, g.fit);
  // The bandwidth large messages get: the largest measured size's, net of the latency term
  // (alpha-beta's 1/beta mixes in-cache and memory-bound sizes when the machine has both).
  const SizePoint& top = g.points.back();
  const double top_transfer_us = top.time_us - g.fit.alpha_us;
  g.busbw_asymptote_gbps = top_transfer_us > 0 ? 1e-3 * top.bytes / top_transfer_us * g.bus_factor
                                               : g.fit.bandwidth_gbps() * g.bus_factor;
  g.step_latency_us = g.fit.alpha_us / g.ring_steps;

  // Weighted R^2 with the same weights as the fit.
  double S = 0, Sy = 0;
  for (const auto& p : g.points) {
    S += 1 / (p.time_us * p.time_us);
    Sy += p.time_us / (p.time_us * p.time_us);
  }
  const double mean = Sy / S;
  double ss_res = 0, ss_tot = 0;
  for (const auto& p : g.points) {
    const double w = 1 / (p.time_us * p.time_us);
    const double r = p.time_us - g.fit.predict_us(p.bytes);
    ss_res += w * r * r;
    ss_tot += w * (p.time_us - mean) * (p.time_us - mean);
    const double rel = std::fabs(g.fit.predict_us(p.bytes) / p.time_us - 1);
    if (rel > g.quality.worst_rel_residual) {
      g.quality.worst_rel_residual = rel;
      g.quality.worst_rel_residual_bytes = p.bytes;
    }
  }
  g.quality.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 1;

  std::vector<double> big_errors;
  for (std::size_t i = 0; i < g.points.size(); ++i) {
    const LooPoint p = leave_one_out(g.points, i);
    const double e = std::fabs(p.rel_error);
    g.quality.loo_max_error_all = std::max(g.quality.loo_max_error_all, e);
    if (p.bytes >= th.quality_min_bytes) {
      big_errors.push_back(e);
      if (e >= g.quality.loo_max_error) {
        g.quality.loo_max_error = e;
        g.quality.loo_max_error_bytes = p.bytes;
      }
    }
    g.loo.push_back(p);
  }
  g.quality.loo_median_error = median(big_errors);

  if (g.fit.beta_us_per_byte <= 0) {
    g.refusal = "no bandwidth term: time does not grow with size (beta <= 0)";
  } else if (g.quality.r2 < th.min_r2) {
    g.refusal = "alpha-beta explains too little: weighted R^2 " + fmt(g.quality.r2) + " < " +
                fmt(th.min_r2);
  } else if (big_errors.size() < 2) {
    g.refusal = "fewer than 2 sizes >= " + human_bytes(th.quality_min_bytes) +
                ": the bandwidth cannot be checked";
  } else if (g.quality.loo_max_error > th.max_loo_error) {
    g.refusal = "leave-one-size-out error " + fmt(100 * g.quality.loo_max_error) + "% at " +
                human_bytes(g.quality.loo_max_error_bytes) + " exceeds " +
                fmt(100 * th.max_loo_error) + "%: unseen sizes are not predictable";
  } else {
    g.accepted = true;
  }
  return g;
}

nlohmann::json to_json(const GroupFit& g) {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& p : g.points)
    pts.push_back({{"bytes", p.bytes},
                   {"samples", p.samples},
                   {"time_us", p.time_us},
                   {"time_us_min", p.time_us_min},
                   {"time_us_max", p.time_us_max}});
  nlohmann::json loo = nlohmann::json::array();
  for (const auto& p : g.loo)
    loo.push_back({{"bytes", p.bytes},
                   {"measured_us", p.measured_us},
                   {"predicted_us", p.predicted_us},
                   {"alpha_beta_us", p.alpha_beta_us},
                   {"rel_error", p.rel_error}});
  return {{"key",
           {{"backend", g.key.backend},
            {"algorithm", g.key.algorithm},
            {"device", g.key.device},
            {"collective", g.key.collective},
            {"dtype", g.key.dtype},
            {"op", g.key.op},
            {"nranks", g.key.nranks},
            {"machine", g.key.machine}}},
          {"label", g.key.label()},
          {"scope",
           {{"gpu_model", g.scope.gpu_model},
            {"servers", g.scope.servers},
            {"gpus_per_server", g.scope.gpus_per_server},
            {"topology_preset", g.scope.topology_preset},
            {"fabric_profile", g.scope.fabric_profile}}},
          {"accepted", g.accepted},
          {"refusal", g.refusal},
          {"samples", g.samples},
          {"inputs", g.inputs},
          {"alpha_us", g.fit.alpha_us},
          {"beta_us_per_byte", g.fit.beta_us_per_byte},
          {"bandwidth_gbps", g.fit.bandwidth_gbps()},
          {"alpha_clamped", g.alpha_clamped},
          {"bus_factor", g.bus_factor},
          {"busbw_asymptote_gbps", g.busbw_asymptote_gbps},
          {"ring_steps", g.ring_steps},
          {"step_latency_us", g.step_latency_us},
          {"efficiency",
           {{"kind", "piecewise-linear in log2(bytes) of measured / alpha-beta, clamped outside"},
            {"log2_bytes", g.efficiency.log2_bytes},
            {"ratio", g.efficiency.ratio}}},
          {"quality",
           {{"r2_weighted", g.quality.r2},
            {"worst_rel_residual", g.quality.worst_rel_residual},
            {"worst_rel_residual_bytes", g.quality.worst_rel_residual_bytes},
            {"loo_max_error", g.quality.loo_max_error},
            {"loo_max_error_bytes", g.quality.loo_max_error_bytes},
            {"loo_median_error", g.quality.loo_median_error},
            {"loo_max_error_all_sizes", g.quality.loo_max_error_all},
            {"quality_min_bytes", g.quality.quality_min_bytes}}},
          {"points", pts},
          {"leave_one_out", loo}};
}

nlohmann::json to_json(const Calibration& c) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : c.groups) groups.push_back(to_json(g));
  const FitThresholds th;
  return {{"schema", kCalibrationSchema},
          {"provenance", c.provenance},
          {"method",
           {{"fit", "t(n) = alpha + beta*n, weighted least squares, w = 1/t^2 (relative error)"},
            {"sample",
             "per size, over repeats and variants: the median of each row's fastest iteration "
             "(time_statistic min-median), the min of them (min) or the median of each row's "
             "median (median)"},
            {"efficiency", "t_cal(n) = alpha-beta(n) * eff(n), eff piecewise linear in log2(n)"},
            {"leave_one_out", "refit alpha, beta, eff without each size; predict it"},
            {"thresholds",
             {{"min_sizes", th.min_sizes},
              {"min_r2_weighted", th.min_r2},
              {"quality_min_bytes", th.quality_min_bytes},
              {"max_loo_error", th.max_loo_error}}}}},
          {"units",
           {{"alpha_us", "microseconds"},
            {"beta_us_per_byte", "microseconds per byte"},
            {"bandwidth_gbps", "GB/s (1e9 B/s), 1/beta"},
            {"busbw_asymptote_gbps",
             "GB/s, largest size's bytes / (time - alpha) x bus factor (nccl-tests busbw)"}}},
          {"groups", groups}};
}

namespace {
Calibration parse_calibration_fields(const nlohmann::json& doc, const std::string& origin);
}  // namespace

Calibration parse_calibration(const nlohmann::json& doc, const std::string& origin) {
  try {
    return parse_calibration_fields(doc, origin);
  } catch (const nlohmann::json::exception& e) {
    // An optional field of the wrong type (read with json::value): one line, nlohmann's id cut.
    std::string what = e.what();
    const auto cut = what.find("] ");
    if (cut != std::string::npos) what = what.substr(cut + 2);
    throw ModelError(origin + ": a field has the wrong type (" + what + ")");
  }
}

namespace {
Calibration parse_calibration_fields(const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw ModelError(origin + ": not a JSON object");
  if (!doc.contains("schema") || !doc["schema"].is_string() || doc["schema"] != kCalibrationSchema)
    throw ModelError(origin + ": schema is not " + std::string(kCalibrationSchema));
  Calibration c;
  c.origin = origin;
  c.provenance = doc.value("provenance", nlohmann::json::object());
  const auto& groups = req(doc, "groups", origin);
  if (!groups.is_array()) throw ModelError(origin + ": field 'groups' is not an array");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const std::string where = origin + ": groups[" + std::to_string(i) + "]";
    const auto& j = groups[i];
    GroupFit g;
    const auto& k = req(j, "key", where);
    g.key.backend = req_str(k, "backend", where + ".key");
    g.key.algorithm = req_str(k, "algorithm", where + ".key");
    g.key.device = req_str(k, "device", where + ".key");
    g.key.collective = req_str(k, "collective", where + ".key");
    g.key.dtype = req_str(k, "dtype", where + ".key");
    g.key.op = req_str(k, "op", where + ".key");
    g.key.machine = req_str(k, "machine", where + ".key");
    g.key.nranks = req_int(k, "nranks", where + ".key");
    if (j.contains("scope")) {
      const auto& sc = j.at("scope");
      if (!sc.is_object()) throw ModelError(where + ": field 'scope' is not an object");
      g.scope.gpu_model = sc.value("gpu_model", "");
      g.scope.servers = sc.contains("servers") ? req_int(sc, "servers", where + ".scope") : 0;
      g.scope.gpus_per_server =
          sc.contains("gpus_per_server") ? req_int(sc, "gpus_per_server", where + ".scope") : 0;
      g.scope.topology_preset = sc.value("topology_preset", "");
      g.scope.fabric_profile = sc.value("fabric_profile", "");
    }
    const auto& acc = req(j, "accepted", where);
    if (!acc.is_boolean()) throw ModelError(where + ": field 'accepted' is not a boolean");
    g.accepted = acc.get<bool>();
    g.refusal = j.value("refusal", "");
    g.samples = j.contains("samples") ? req_int(j, "samples", where) : 0;
    g.inputs = j.value("inputs", std::vector<std::string>{});
    g.fit.alpha_us = req_num(j, "alpha_us", where);
    g.fit.beta_us_per_byte = req_num(j, "beta_us_per_byte", where);
    g.alpha_clamped = j.value("alpha_clamped", false);
    g.bus_factor = req_num(j, "bus_factor", where);
    g.busbw_asymptote_gbps = req_num(j, "busbw_asymptote_gbps", where);
    g.ring_steps = req_int(j, "ring_steps", where);
    g.step_latency_us = req_num(j, "step_latency_us", where);
    const auto& e = req(j, "efficiency", where);
    g.efficiency.log2_bytes = e.value("log2_bytes", std::vector<double>{});
    g.efficiency.ratio = e.value("ratio", std::vector<double>{});
    if (g.efficiency.log2_bytes.size() != g.efficiency.ratio.size())
      throw ModelError(where + ": efficiency knots and ratios differ in length");
    const auto& q = req(j, "quality", where);
    g.quality.r2 = req_num(q, "r2_weighted", where + ".quality");
    g.quality.worst_rel_residual = req_num(q, "worst_rel_residual", where + ".quality");
    g.quality.worst_rel_residual_bytes = q.value("worst_rel_residual_bytes", 0.0);
    g.quality.loo_max_error = req_num(q, "loo_max_error", where + ".quality");
    g.quality.loo_max_error_bytes = q.value("loo_max_error_bytes", 0.0);
    g.quality.loo_median_error = q.value("loo_median_error", 0.0);
    g.quality.loo_max_error_all = q.value("loo_max_error_all_sizes", 0.0);
    g.quality.quality_min_bytes = q.value("quality_min_bytes", kQualityMinBytes);
    for (const auto& p : j.value("points", nlohmann::json::array())) {
      SizePoint s;
      s.bytes = req_num(p, "bytes", where + ".points");
      s.time_us = req_num(p, "time_us", where + ".points");
      s.samples = p.contains("samples") ? req_int(p, "samples", where + ".points") : 1;
      s.time_us_min = p.value("time_us_min", s.time_us);
      s.time_us_max = p.value("time_us_max", s.time_us);
      g.points.push_back(s);
    }
    for (const auto& p : j.value("leave_one_out", nlohmann::json::array())) {
      LooPoint l;
      l.bytes = req_num(p, "bytes", where + ".leave_one_out");
      l.measured_us = req_num(p, "measured_us", where + ".leave_one_out");
      l.predicted_us = req_num(p, "predicted_us", where + ".leave_one_out");
      l.alpha_beta_us = p.value("alpha_beta_us", 0.0);
      l.rel_error = req_num(p, "rel_error", where + ".leave_one_out");
      g.loo.push_back(l);
    }
    c.groups.push_back(std::move(g));
  }
  return c;
}
}  // namespace

Calibration load_calibration(const std::string& path) {
  const std::string text = json_util::read_text_file(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw ModelError(path + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  return parse_calibration(doc, path);
}

CalibratedOverrides calibration_overrides(const Calibration& c, const std::string& select) {
  const GroupFit* best = nullptr;
  auto rank = [](const GroupFit& g) {
    return std::make_tuple(g.accepted, model_collective(g.key.collective) == Collective::kAllReduce,
                           g.key.device == "cuda", g.key.nranks, g.busbw_asymptote_gbps);
  };
  for (const auto& g : c.groups) {
    if (!select.empty() && g.key.label().find(select) == std::string::npos) continue;
    if (best == nullptr || rank(g) > rank(*best)) best = &g;
  }
  const std::string origin = c.origin.empty() ? "calibration" : c.origin;
  if (best == nullptr)
    throw ModelError(origin + ": no calibration group" +
                     (select.empty() ? std::string() : " matches '" + select + "'"));
  if (!best->accepted)
    throw ModelError(origin + ": refusing to extrapolate from " + best->key.label() + ": " +
                     best->refusal);
  CalibratedOverrides out;
  out.group = best->key.label();
  const std::string src = origin + " [" + out.group + "]";
  // busbw of a ring equals the bandwidth of each link, per rank and direction: x 8 for Gb/s.
  const double scaleup_gbps = best->busbw_asymptote_gbps * 8;
  out.overrides.scaleup_gbps = scaleup_gbps;
  out.measured.push_back(
      {"scaleup_gbps", scaleup_gbps, "Gb/s per GPU per direction",
       src + ": busbw asymptote " + fmt(best->busbw_asymptote_gbps, 4) + " GB/s x 8"});
  out.overrides.scaleup_step_latency_us = best->step_latency_us;
  out.measured.push_back({"scaleup_step_latency_us", best->step_latency_us, "us per step",
                          src + ": alpha " + fmt(best->fit.alpha_us, 4) + " us / " +
                              std::to_string(best->ring_steps) + " ring steps"});
  out.from_profile = {"network_step_latency_us",
                      "base_latency_us",
                      "gpu_reduce_gbytes_per_s",
                      "qps",
                      "nic and switch speeds",
                      "switch latency",
                      "routing"};
  if (best->key.device != "cuda")
    out.notes.push_back("measured on device '" + best->key.device +
                        "': the scale-up domain is modelled with this machine's intra-node "
                        "transport, not NVLink");
  if (best->key.nranks < 3)
    out.notes.push_back("np" + std::to_string(best->key.nranks) +
                        ": the step count assumes a ring schedule; measure more ranks to "
                        "separate per-step latency from per-collective overhead");
  return out;
}

nlohmann::json to_json(const CalibratedOverrides& c, const std::string& file) {
  nlohmann::json measured = nlohmann::json::array();
  for (const auto& m : c.measured)
    measured.push_back(
        {{"parameter", m.parameter}, {"value", m.value}, {"unit", m.unit}, {"source", m.source}});
  return {{"file", file},
          {"group", c.group},
          {"measured", measured},
          {"from_profile", c.from_profile},
          {"notes", c.notes}};
}

std::vector<std::string> apply_calibration(const CalibratedOverrides& c, ModelOverrides& o) {
  std::vector<std::string> set;
  if (!o.scaleup_gbps && c.overrides.scaleup_gbps) {
    o.scaleup_gbps = c.overrides.scaleup_gbps;
    set.push_back("scaleup_gbps");
  }
  if (!o.scaleup_step_latency_us && c.overrides.scaleup_step_latency_us) {
    o.scaleup_step_latency_us = c.overrides.scaleup_step_latency_us;
    set.push_back("scaleup_step_latency_us");
  }
  return set;
}

RunScope run_scope_from_meta(const nlohmann::json& meta) {
  RunScope s;
  if (!meta.is_object()) return s;
  auto text = [](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o.at(k).is_string() ? o.at(k).get<std::string>() : std::string();
  };
  auto count = [](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o.at(k).is_number_integer() && o.at(k).get<long long>() > 0 &&
                   o.at(k).get<long long>() <= std::numeric_limits<int>::max()
               ? static_cast<int>(o.at(k).get<long long>())
               : 0;
  };
  s.gpu_model = text(meta, "gpu_model");
  s.servers = count(meta, "servers");
  s.gpus_per_server = count(meta, "gpus_per_server");
  if (meta.contains("descriptor") && meta.at("descriptor").is_object()) {
    s.topology_preset = text(meta.at("descriptor"), "topology_preset");
    s.fabric_profile = text(meta.at("descriptor"), "fabric_profile");
  }
  return s;
}

int gpu_compute_capability_of(const std::string& gpu_model) {
  // Marketing names as CUDA prints them (cudaDeviceProp::name), by generation: Ampere SM 8.0,
  // Hopper SM 9.0, Blackwell SM 10.0 (NVIDIA CUDA C++ Programming Guide, compute capabilities).
  // Longer names first: "GB200" before "B200", "H200" before "H20".
  static const std::pair<const char*, int> kGenerations[] = {
      {"GB200", 100}, {"B200", 100}, {"B100", 100}, {"H100", 90}, {"H200", 90},
      {"H800", 90},   {"H20", 90},   {"GH200", 90}, {"A100", 80}, {"A800", 80}};
  for (const auto& [name, cc] : kGenerations)
    if (gpu_model.find(name) != std::string::npos) return cc;
  return 0;
}

namespace {

// Why group `g` cannot stand for the target's GPUs ("" when it can).
std::string device_mismatch(const GroupFit& g, const ClusterConfig& target) {
  if (g.key.device != "cuda")
    return "measured on device '" + g.key.device +
           "': this machine's transport, not NVLink or a NIC; it replaces nothing of a GPU "
           "cluster";
  const int cc = gpu_compute_capability_of(g.scope.gpu_model);
  if (cc == 0)
    return "GPU model " +
           (g.scope.gpu_model.empty() ? std::string("not stated")
                                      : "'" + g.scope.gpu_model + "' not a known generation") +
           ": cannot tell it is the target's GPU (SM " + fmt(target.gpu_compute_capability / 10.0) +
           ")";
  if (cc != target.gpu_compute_capability)
    return "measured on " + g.scope.gpu_model + " (SM " + fmt(cc / 10.0) + "), the target '" +
           target.name + "' has SM " + fmt(target.gpu_compute_capability / 10.0) +
           " GPUs and another NVLink generation";
  if (g.key.nranks < 2) return "a single rank moves nothing over a link";
  const auto c = model_collective(g.key.collective);
  if (!c || !is_ring_collective(*c))
    return "collective " + g.key.collective +
           " does not run as a ring: its busbw is not one link's bandwidth";
  return "";
}

// A run inside one scale-up domain of the target: one server of it, or servers of the target's
// own preset that fit in one domain (NVL72 trays).
// NCCL's own choice (no NCCL_ALGO) inside one NVSwitch domain with multicast: where NVLS's
// large-message busbw beats a ring's (busbw = NVLink) both NCCL's cost model and the model's
// auto run NVLS there, so the busbw asymptote is NVLink x this fraction (algos/nvls.cc); 0 when
// a ring wins (its busbw is then the link bandwidth) or NVLS cannot run.
double nvls_fraction_of(const GroupFit& g, const ClusterConfig& target) {
  if (g.key.algorithm != "library" || !target.scaleup_multicast) return 0;
  const std::optional<Collective> c = model_collective(g.key.collective);
  if (!c) return 0;
  const double f = algo_util::nvls_busbw_fraction(*c, g.key.nranks, target.gpu_compute_capability);
  return f > 1 ? f : 0;
}

bool inside_one_domain(const GroupFit& g, const ClusterConfig& target) {
  if (g.scope.servers <= 1) return g.key.nranks <= target.gpus_per_server;
  return g.scope.topology_preset == target.name && g.key.nranks <= target.scaleup_domain_gpus &&
         g.scope.servers <= target.scaleup_domain_gpus / target.gpus_per_server;
}

}  // namespace

CalibratedOverrides calibration_overrides_for(const Calibration& c, const ClusterConfig& target,
                                              const std::string& target_fabric) {
  CalibratedOverrides out;
  const std::string origin = c.origin.empty() ? "calibration" : c.origin;
  const GroupFit* scaleup = nullptr;
  double scaleup_nvls = 0;  // > 0: the scale-up group ran NVLS (busbw = NVLink x this)
  const GroupFit* network = nullptr;
  // More ranks first (more steps separate per-step latency from overhead), then bandwidth.
  auto better = [](const GroupFit* best, const GroupFit& g) {
    return best == nullptr || std::make_tuple(g.key.nranks, g.busbw_asymptote_gbps) >
                                  std::make_tuple(best->key.nranks, best->busbw_asymptote_gbps);
  };
  const double scaleup_gbytes = target.scaleup_gbps / 8;
  for (const auto& g : c.groups) {
    const std::string label = g.key.label();
    if (!g.accepted) {
      std::string line = label;
      line.append(": the fit was refused (").append(g.refusal).append(")");
      out.refused.push_back(std::move(line));
      continue;
    }
    std::string why = device_mismatch(g, target);
    // The descriptor names the servers measured: another preset is another NVLink and NIC.
    if (why.empty() && !g.scope.topology_preset.empty() && g.scope.topology_preset != target.name)
      why = "servers of preset '" + g.scope.topology_preset + "', the target is '" + target.name +
            "': another scale-up domain and NIC";
    if (why.empty() && inside_one_domain(g, target)) {
      // NCCL_ALGO=Ring over NVLink, or NCCL's choice where the NVSwitch has no multicast (no
      // NVLS): one server's large messages then run Ring, whose busbw is the link bandwidth.
      // A ring measures the link directly: it wins over an NVLS-derived value.
      const double nvls = nvls_fraction_of(g, target);
      const bool ring =
          g.key.algorithm == "ring" || (g.key.algorithm == "library" && !target.scaleup_multicast);
      if (ring || nvls > 0) {
        if (scaleup == nullptr || (scaleup_nvls > 0 && ring) ||
            ((scaleup_nvls > 0) == (nvls > 0) && better(scaleup, g))) {
          scaleup = &g;
          scaleup_nvls = ring ? 0 : nvls;
        }
        continue;
      }
      why = "algorithm '" + g.key.algorithm +
            "' on an NVSwitch with multicast, where neither a ring nor NVLS is known to set the "
            "large-message busbw; a NCCL_ALGO=Ring run calibrates scale-up";
    } else if (why.empty()) {
      if (g.scope.topology_preset.empty())
        why =
            "servers not stated (no topology preset in the descriptor): the NIC measured may "
            "not be the target's";
      else if (g.scope.fabric_profile.empty() || g.scope.fabric_profile != target_fabric)
        why = "fabric '" +
              (g.scope.fabric_profile.empty() ? std::string("(not stated)")
                                              : g.scope.fabric_profile) +
              "', the target's is '" + target_fabric + "': another kind of network";
      else if (g.key.algorithm != "ring")
        why = "algorithm '" + g.key.algorithm +
              "' across servers (NCCL may run a tree or NVLSTree, whose busbw is not the NIC "
              "bandwidth): a NCCL_ALGO=Ring run calibrates the network";
      else if (g.busbw_asymptote_gbps >= scaleup_gbytes)
        why = "busbw " + fmt(g.busbw_asymptote_gbps, 4) + " GB/s is not below the scale-up " +
              fmt(scaleup_gbytes, 4) + " GB/s: the NIC is not what limits this ring";
      else {
        if (better(network, g)) network = &g;
        continue;
      }
    }
    std::string line = label;
    line.append(": ").append(why);
    out.refused.push_back(std::move(line));
  }
  std::vector<std::string> groups;
  if (scaleup != nullptr) {
    const std::string src = origin + " [" + scaleup->key.label() + "]";
    groups.push_back(scaleup->key.label());
    if (scaleup_nvls > 0) {
      // NVLS: busbw = NVLink x eff x 2(d-1)/(d+1) (all_reduce); its latency is one NVLS
      // operation, not ring steps, so the per-step latency stays the preset's.
      out.overrides.scaleup_gbps = scaleup->busbw_asymptote_gbps * 8 / scaleup_nvls;
      std::string why = src;
      why += ": NCCL's choice ran NVLS (its busbw beats a ring's here), busbw asymptote ";
      why += fmt(scaleup->busbw_asymptote_gbps, 4);
      why += " GB/s x 8 / ";
      why += fmt(scaleup_nvls, 4);
      why += " (nvlsEfficiency x 2(d-1)/(d+1), fabric_model/algos/nvls.cc)";
      out.measured.push_back({"scaleup_gbps", *out.overrides.scaleup_gbps,
                              "Gb/s per GPU per direction", std::move(why)});
      out.notes.push_back(
          "scaleup_step_latency_us stays the preset's: an NVLS run's latency is one NVLS "
          "operation, not ring steps");
    } else {
      // A ring's busbw is the bandwidth of each link, per rank and direction: x 8 for Gb/s.
      out.overrides.scaleup_gbps = scaleup->busbw_asymptote_gbps * 8;
      out.measured.push_back(
          {"scaleup_gbps", *out.overrides.scaleup_gbps, "Gb/s per GPU per direction",
           src + ": busbw asymptote " + fmt(scaleup->busbw_asymptote_gbps, 4) + " GB/s x 8"});
      out.overrides.scaleup_step_latency_us = scaleup->step_latency_us;
      out.measured.push_back({"scaleup_step_latency_us", scaleup->step_latency_us, "us per step",
                              src + ": alpha " + fmt(scaleup->fit.alpha_us, 4) + " us / " +
                                  std::to_string(scaleup->ring_steps) + " ring steps"});
    }
  }
  if (network != nullptr) {
    const std::string src = origin + " [" + network->key.label() + "]";
    groups.push_back(network->key.label());
    // One ring channel per GPU of the domain, channel c leaving it through GPU c's NIC (traffic.h):
    // each channel carries 1/d of the data over its NIC, so busbw = d x one NIC's bandwidth.
    const int d = target.scaleup_domain_gpus;
    out.nic_gbps = network->busbw_asymptote_gbps * 8 / d;
    out.measured.push_back({"nic_gbps", *out.nic_gbps, "Gb/s per GPU (effective)",
                            src + ": busbw asymptote " + fmt(network->busbw_asymptote_gbps, 4) +
                                " GB/s x 8 / " + std::to_string(d) + " NICs per domain"});
    // NCCL's ring latency charges every step the network's latency once the ring leaves the
    // server (cost model: nsteps x hwLat[NET]).
    out.overrides.network_step_latency_us = network->step_latency_us;
    out.measured.push_back({"network_step_latency_us", network->step_latency_us, "us per step",
                            src + ": alpha " + fmt(network->fit.alpha_us, 4) + " us / " +
                                std::to_string(network->ring_steps) + " ring steps"});
  }
  for (const auto& l : groups) out.group += (out.group.empty() ? "" : "; ") + l;
  if (scaleup == nullptr) out.from_profile.emplace_back("scaleup_gbps");
  if (scaleup == nullptr || scaleup_nvls > 0)
    out.from_profile.emplace_back("scaleup_step_latency_us");
  if (network == nullptr) out.from_profile.emplace_back("nic_gbps");
  if (network == nullptr) out.from_profile.emplace_back("network_step_latency_us");
  for (const char* p :
       {"base_latency_us", "gpu_reduce_gbytes_per_s", "qps", "switch latency", "routing"})
    out.from_profile.emplace_back(p);
  return out;
}

std::vector<std::string> apply_calibration(const CalibratedOverrides& c, ClusterConfig& topo,
                                           ModelOverrides& o) {
  std::vector<std::string> set = apply_calibration(c, o);
  if (!o.network_step_latency_us && c.overrides.network_step_latency_us) {
    o.network_step_latency_us = c.overrides.network_step_latency_us;
    set.emplace_back("network_step_latency_us");
  }
  if (c.nic_gbps) {
    topo.nic_gbps = *c.nic_gbps;
    set.emplace_back("nic_gbps");
  }
  return set;
}

}  // namespace fb::model
