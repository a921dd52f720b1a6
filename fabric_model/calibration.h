#pragma once
// Calibration: fit the model's latency and bandwidth parameters to measured collective times.
//
// Per group of measurements (backend, algorithm, device, collective, dtype, op, nranks, machine):
//   t(n) = alpha + beta * n                 alpha-beta, by weighted least squares, w = 1/t^2
//                                           (minimises relative error, so 8 B and 64 MiB count
//                                           alike instead of the largest sizes dominating)
//   t_cal(n) = (alpha + beta * n) * eff(n)  eff: measured / alpha-beta at every measured size,
//                                           piecewise linear in log2(n), clamped (held constant)
//                                           outside the measured range
// Quality: weighted R^2 of the alpha-beta fit, worst relative residual of alpha-beta alone, and
// leave-one-size-out error: for each size, refit alpha, beta and eff without it and predict it.
// A group whose fit is poor is kept with `accepted = false` and the reason; turning it into
// model parameters throws (no extrapolation from a poor fit).
//
// Pure C++ like the rest of fabric_model: callers convert their results files into samples.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fabric_model/model.h"

namespace fb::model {

inline constexpr const char* kCalibrationSchema = "fabricbench.calibration/1";

// What one fit describes; every field is part of the grouping.
struct CalibrationKey {
  std::string backend, algorithm, device, collective, dtype, op, machine;
  int nranks = 0;
  // "mpi/library/cpu all_reduce float sum np2 @ machine"
  std::string label() const;
  bool operator<(const CalibrationKey& o) const;
};

// One measured time (a repeat, or the in-place variant) at one size.
struct CalibrationSample {
  double bytes = 0;
  double time_us = 0;
};

// How the samples of one size become the value fitted.
enum class Combine {
  kMedian,  // quiet machine: the typical time
  kMin,     // shared host: interference only adds time, so the fastest sample is the cost
};

// All samples of one size, reduced to one value (the value fitted) and their range.
struct SizePoint {
  double bytes = 0;
  int samples = 0;
  double time_us = 0;  // median (or min, see Combine) over samples
  double time_us_min = 0, time_us_max = 0;
};

struct AlphaBeta {
  double alpha_us = 0;          // latency, us
  double beta_us_per_byte = 0;  // time per byte, us/B
  double predict_us(double bytes) const { return alpha_us + beta_us_per_byte * bytes; }
  // 1/beta in GB/s: 1 B/us = 1e6 B/s = 1e-3 GB/s.
  double bandwidth_gbps() const { return beta_us_per_byte > 0 ? 1e-3 / beta_us_per_byte : 0; }
};

// measured / alpha-beta at each knot, linear in log2(bytes) between knots, constant outside.
struct EfficiencyCurve {
  std::vector<double> log2_bytes;
  std::vector<double> ratio;
  double at(double bytes) const;
};

struct LooPoint {
  double bytes = 0;
  double measured_us = 0;
  double predicted_us = 0;   // alpha-beta x efficiency, both refitted without this size
  double alpha_beta_us = 0;  // the refitted alpha-beta alone
  double rel_error = 0;      // predicted / measured - 1
};

// Named thresholds for refusing a fit (see calibration.cc for the reasoning behind each).
struct FitThresholds {
  int min_sizes;
  double min_r2;
  double quality_min_bytes;
  double max_loo_error;
  FitThresholds();
};

struct FitQuality {
  double r2 = 0;                  // weighted (w = 1/t^2) R^2 of alpha-beta alone
  double worst_rel_residual = 0;  // max |alpha-beta / measured - 1|
  double worst_rel_residual_bytes = 0;
  double loo_max_error = 0;     // max |LOO error| over sizes >= quality_min_bytes
  double loo_median_error = 0;  // median |LOO error| over the same sizes
  double loo_max_error_bytes = 0;
  double loo_max_error_all = 0;  // max |LOO error| over every size
  double quality_min_bytes = 0;
};

// Where a measurement ran: what decides which model parameters it may replace. Filled from the
// results' metadata (imported nccl-tests logs carry all of it; fabricbench's own runs the device).
struct RunScope {
  std::string gpu_model;        // "NVIDIA H100 80GB HBM3"; empty: not known
  int servers = 0;              // 0: not known
  int gpus_per_server = 0;      // 0: not known or uneven
  std::string topology_preset;  // the run's hardware descriptor; empty: not stated
  std::string fabric_profile;
};

// {"gpu_model", "servers", "gpus_per_server", "descriptor": {"topology_preset",
// "fabric_profile"}} of a fabricbench.results/1 meta object; missing fields stay empty.
RunScope run_scope_from_meta(const nlohmann::json& meta);
// SM version x 10 of a GPU named as CUDA prints it ("NVIDIA H100 80GB HBM3" 90, "NVIDIA
// A100-SXM4-80GB" 80, "NVIDIA B200" 100); 0 when the name is not one of the known generations.
int gpu_compute_capability_of(const std::string& gpu_model);

struct GroupFit {
  CalibrationKey key;
  RunScope scope;
  std::vector<SizePoint> points;  // ascending bytes
  AlphaBeta fit;
  bool alpha_clamped = false;  // the unconstrained fit gave alpha < 0; refitted with alpha = 0
  EfficiencyCurve efficiency;
  FitQuality quality;
  std::vector<LooPoint> loo;
  std::vector<std::string> inputs;  // files the samples came from
  int samples = 0;
  bool accepted = false;
  std::string refusal;  // why not accepted; empty when accepted

  // Derived, for the model: nccl-tests' bus factor of the collective at nranks, the bus
  // bandwidth of large messages (the largest measured size's, net of alpha: with a cache cliff
  // 1/beta would mix in-cache and memory-bound sizes), and alpha per step of a ring schedule.
  double bus_factor = 1;
  double busbw_asymptote_gbps = 0;
  int ring_steps = 1;
  double step_latency_us = 0;

  // alpha-beta x efficiency; throws ModelError when the fit was refused.
  double predict_us(double bytes) const;
};

// Sample sizes are grouped exactly; sizes with no positive time are dropped.
std::vector<SizePoint> reduce_samples(const std::vector<CalibrationSample>& samples,
                                      Combine combine = Combine::kMedian);
// Weighted least squares with w = 1/t^2 (t = the point's median); alpha is refitted at 0 when
// negative (`alpha_clamped`). Throws ModelError with fewer than 2 sizes.
AlphaBeta fit_alpha_beta(const std::vector<SizePoint>& points, bool* alpha_clamped = nullptr);
EfficiencyCurve fit_efficiency(const std::vector<SizePoint>& points, const AlphaBeta& ab);
// "8 B", "64 KiB", "1.5 MiB": binary units, as sizes are given on every fabricbench input.
std::string human_bytes(double bytes);
// nccl-tests' bus factor and the step count of a ring schedule for `collective` at `nranks`, from
// the model's collective table (traffic.h); a collective the model has no plan for (rooted ones,
// point-to-point) counts as nccl-tests counts it: bus factor 1, one step.
double bus_factor(const std::string& collective, int nranks);
int ring_steps(const std::string& collective, int nranks);

GroupFit calibrate_group(const CalibrationKey& key, const std::vector<CalibrationSample>& samples,
                         const FitThresholds& thresholds = FitThresholds(),
                         Combine combine = Combine::kMedian);

struct Calibration {
  std::vector<GroupFit> groups;
  nlohmann::json provenance = nlohmann::json::object();  // inputs, tool version, commit, time
  std::string origin;                                    // the file it was loaded from
};

nlohmann::json to_json(const GroupFit& g);
nlohmann::json to_json(const Calibration& c);
// Validates a fabricbench.calibration/1 document; errors name `origin` and the field.
Calibration parse_calibration(const nlohmann::json& doc, const std::string& origin);
Calibration load_calibration(const std::string& path);

// Where one override came from, for the model's output.
struct OverrideSource {
  std::string parameter;  // ModelOverrides field name
  double value = 0;
  std::string unit;
  std::string source;
};

struct CalibratedOverrides {
  ModelOverrides overrides;
  // Effective NIC bandwidth measured by a multi-server ring (Gb/s per GPU); replaces the
  // topology's nic_gbps (apply_calibration with the topology).
  std::optional<double> nic_gbps;
  // "group: why" for every group that replaces nothing of the target (calibration_overrides_for).
  std::vector<std::string> refused;
  std::vector<OverrideSource> measured;   // parameters taken from the calibration
  std::vector<std::string> from_profile;  // parameters left to the topology/profile
  std::string group;                      // label of the group used
  std::vector<std::string> notes;         // caveats (e.g. a CPU box standing in for NVLink)
};

// Picks the group to use: the one whose label contains `select` (empty: prefer accepted
// all_reduce groups, device cuda over cpu, more ranks, then the largest asymptotic busbw) and
// turns it into model overrides:
//   scaleup_gbps            = large-message busbw x 8 (GB/s -> Gb/s; a ring's busbw is the per-link
//                             bandwidth, per GPU and direction)
//   scaleup_step_latency_us = alpha / ring steps (2(p-1) for all_reduce)
// The reduction rate and network latencies are not separable from one intra-node collective,
// so they stay with the profile (listed in `from_profile`). Throws ModelError when no group
// matches or the chosen group was refused (with its reason).
CalibratedOverrides calibration_overrides(const Calibration& c, const std::string& select = "");
// {"file", "group", "measured": [{parameter, value, unit, source}], "from_profile": [...],
//  "notes": [...]}: what a model report records as "calibration" (publish shows it).
nlohmann::json to_json(const CalibratedOverrides& c, const std::string& file);
// The parameters of `target` (a topology, on fabric profile `target_fabric`) that measurements
// of the same kind of device and link replace, each from the accepted group that measured it:
//   scale-up (a run inside one scale-up domain of the target, same GPU generation, a ring over
//   NVLink: NCCL_ALGO=Ring, or NCCL's own choice on an NVSwitch without multicast, where one
//   server's large messages run Ring):
//     scaleup_gbps = busbw asymptote x 8, scaleup_step_latency_us = alpha / ring steps
//   or NCCL's own choice on an NVSwitch with multicast where NVLS's busbw beats a ring's (one
//   H100 server's all_reduce): NCCL runs NVLS there, so
//     scaleup_gbps = busbw asymptote x 8 / (nvlsEfficiency x 2(d-1)/(d+1)) (algos/nvls.cc),
//     the per-step latency left to the preset; a ring run of the same domain is preferred
//   network (a run across servers of the target's preset and fabric profile, same GPU
//   generation, NCCL_ALGO=Ring, busbw below the scale-up bandwidth so the NIC is what limits):
//     nic_gbps = busbw asymptote x 8 / NICs per domain (a ring channel per NIC),
//     network_step_latency_us = alpha / ring steps
// Every other group is listed in `refused` with why (a CPU run never replaces NVLink or a NIC).
// Refused or absent measurements leave the target's values (from_profile). Never throws for a
// calibration without usable groups: nothing is replaced and `refused` says why.
CalibratedOverrides calibration_overrides_for(const Calibration& c, const ClusterConfig& target,
                                              const std::string& target_fabric);
// Applies the overrides and the measured NIC bandwidth (to `topo`); returns what it set.
std::vector<std::string> apply_calibration(const CalibratedOverrides& c, ClusterConfig& topo,
                                           ModelOverrides& o);
// Copies the measured overrides into `o`, leaving fields set by the caller (explicit flags) as
// they are. Returns the names of the parameters it set.
std::vector<std::string> apply_calibration(const CalibratedOverrides& c, ModelOverrides& o);

}  // namespace fb::model
