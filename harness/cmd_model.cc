#include "harness/cmd_model.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fabric_model/algos/algorithm.h"
#include "fabric_model/calibration.h"
#include "fabric_model/model.h"
#include "fabric_model/nccl_tuning.h"
#include "harness/exit_codes.h"
#include "harness/report.h"
#include "harness/sizes.h"

namespace fb {

namespace {

namespace fm = fb::model;

std::vector<std::string> split_list(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) {
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

double peak_rss_mib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace

std::int64_t parse_gpu_count(const std::string& text) {
  const std::uint64_t v = parse_size(text);
  if (v == 0 || v > (std::uint64_t{1} << 40)) throw UsageError("bad GPU count '" + text + "'");
  return static_cast<std::int64_t>(v);
}

void refuse_existing_output(const std::string& path) {
  if (path.empty()) return;
  if (std::string why = check_output_path(path); !why.empty()) throw UsageError(why);
}

int report_command_error(const char* command, const std::exception& e) {
  std::fprintf(stderr, "fabricbench: %s: %s\n", command, e.what());
  return exit_code_for(e, kExitUsage);
}

int cmd_model(int argc, char** argv) {
  CLI::App app{"Model collective time on a datacenter fabric (flow-level or analytic)", "model"};
  std::string topology = "colossus_like", collective = "all_reduce", placement = "aligned";
  std::string traffic, json_path, calibration_path, calibration_group;
  std::vector<std::string> fabrics, algos, sizes, gpus_list;
  int qps = 0, seeds = 1;
  bool analytic = false;
  std::string method = "flow", protocol;
  std::uint64_t seed_base = 1;
  double scaleup_gbps = -1, scaleup_lat = -1, net_lat = -1, base_lat = -1, reduce_rate = -1;
  app.add_option("--topology", topology, "preset name, JSON file, or 'list'");
  app.add_option("--fabric", fabrics, "profile name(s) or JSON file(s), comma-separated; 'list'");
  app.add_option("--collective", collective, "all_reduce|all_gather|reduce_scatter|alltoall");
  app.add_option("--algo", algos,
                 "auto (default: fastest that applies), all (every candidate), list, or names: "
                 "ring,hier,tree,rhd,hier_tree,nvls_tree,innet,pat,ring_multichannel");
  app.add_option("--gpus", gpus_list, "GPU count(s), comma-separated (default: the topology's)");
  app.add_option("--sizes", sizes, "message sizes, binary suffixes: 1M,64M,1G");
  app.add_option("--qps", qps, "QPs (flows) per connection; default: the profile's");
  app.add_option("--placement", placement, "aligned|fragmented");
  app.add_option("--seeds", seeds, "hash seeds / placements to average");
  app.add_option("--seed-base", seed_base, "first seed");
  app.add_option("--traffic", traffic, "'permutation' for a random permutation instead");
  fm::FaultOptions faults;
  app.add_option("--failed-links", faults.failed_links,
                 "switch-to-switch links to fail, seeded per --seeds (fabric_model/faults.h)");
  app.add_option("--failed-switches", faults.failed_switches, "spine/core switches to fail");
  app.add_option("--slow-gpu", faults.slow_gpu_factor, "one GPU this many times slower (2 = half)");
  app.add_option("--json", json_path, "write fabricbench.model/1 JSON here");
  app.add_option("--method", method,
                 "flow (max-min flow solver, default), analytic, or nccl (NCCL's cost model)");
  app.add_option("--protocol", protocol, "--method nccl only: LL, LL128 or Simple (default best)");
  app.add_flag("--analytic", analytic, "= --method analytic: closed form, no flows, no contention");
  app.add_option("--scaleup-gbps", scaleup_gbps, "override: NVLink Gb/s per GPU per direction");
  app.add_option("--scaleup-step-latency-us", scaleup_lat, "override: per NVLink step");
  app.add_option("--network-step-latency-us", net_lat, "override: per network step");
  app.add_option("--base-latency-us", base_lat, "override: once per collective");
  app.add_option("--reduce-gbytes-per-s", reduce_rate, "override: GPU reduction rate");
  app.add_option("--calibration", calibration_path,
                 "fabricbench.calibration/1 file: measured parameters replace the profile's");
  app.add_option("--calibration-group", calibration_group,
                 "use the calibration group whose label contains this (default: best accepted)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_command_error("model", UsageError(e.what()));
  }
  try {
    refuse_existing_output(json_path);
    fabrics = split_list(fabrics);
    if (topology == "list" || (fabrics.size() == 1 && fabrics[0] == "list")) {
      if (topology == "list") {
        std::cout << "topology presets:\n";
        for (const auto& n : fm::list_presets()) {
          const auto c = fm::load_cluster_config(n);
          std::cout << "  " << n << "  (" << c.gpus << " GPUs) " << c.source << "\n";
        }
      }
      if (fabrics.size() == 1 && fabrics[0] == "list") {
        std::cout << "fabric profiles:\n";
        for (const auto& n : fm::list_profiles()) {
          const auto p = fm::load_fabric_profile(n);
          std::cout << "  " << n << "  [" << fm::to_string(p.routing) << "] " << p.description
                    << "\n";
        }
      }
      return kExitOk;
    }
    if (fabrics.empty()) fabrics = {"infiniband_ndr", "roce_ecmp", "roce_adaptive"};
    algos = split_list(algos);
    if (algos.empty()) algos = {"auto"};
    if (algos.size() == 1 && algos[0] == "list") {
      std::cout << "model algorithms (--algo NAME; auto = fastest that applies, all = each):\n";
      for (const fm::ModelAlgorithm* a : fm::model_algorithms())
        std::cout << "  " << a->name << "  " << a->description << "\n";
      return kExitOk;
    }
    if (method != "flow" && method != "analytic" && method != "nccl")
      throw UsageError("unknown --method '" + method + "' (expected flow, analytic or nccl)");
    if (analytic) method = "analytic";
    analytic = method == "analytic";
    const bool nccl = method == "nccl";
    if (!protocol.empty() && !nccl) throw UsageError("--protocol needs --method nccl");
    for (auto& a : algos)
      if (a != "all" && !nccl) a = fm::algo_from_string(a);  // unknown names fail before work
    sizes = split_list(sizes);
    if (sizes.empty()) sizes = {"1M", "64M", "1G"};
    gpus_list = split_list(gpus_list);
    if (seeds < 1) throw UsageError("--seeds must be at least 1");
    if (qps < 0) throw UsageError("--qps must be positive");

    const auto t0 = std::chrono::steady_clock::now();
    const fm::ClusterConfig topo = fm::load_cluster_config(topology);
    std::vector<fm::FabricProfile> profs;
    for (const auto& f : fabrics) profs.push_back(fm::load_fabric_profile(f));
    std::vector<std::int64_t> gpus;
    for (const auto& g : gpus_list) gpus.push_back(parse_gpu_count(g));
    if (gpus.empty()) gpus.push_back(topo.gpus);
    std::vector<std::uint64_t> bytes;
    for (const auto& s : sizes) bytes.push_back(parse_size(s));

    fm::EvalOptions base;
    base.collective = traffic == "permutation" ? fm::Collective::kPermutation
                                               : fm::collective_from_string(collective);
    if (!traffic.empty() && traffic != "permutation")
      throw UsageError("unknown --traffic '" + traffic + "' (expected permutation)");
    base.placement = fm::placement_from_string(placement);
    base.seeds = seeds;
    base.seed_base = seed_base;
    base.analytic = analytic;
    faults.validate();
    if (faults.any() && method != "flow")
      throw UsageError("--failed-links, --failed-switches and --slow-gpu need --method flow");
    base.faults = faults;
    if (qps > 0) base.overrides.qps = qps;
    if (scaleup_gbps >= 0) base.overrides.scaleup_gbps = scaleup_gbps;
    if (scaleup_lat >= 0) base.overrides.scaleup_step_latency_us = scaleup_lat;
    if (net_lat >= 0) base.overrides.network_step_latency_us = net_lat;
    if (base_lat >= 0) base.overrides.base_latency_us = base_lat;
    if (reduce_rate >= 0) base.overrides.gpu_reduce_gbytes_per_s = reduce_rate;
    if (base.collective == fm::Collective::kPermutation) algos = {"permutation"};
    nlohmann::json calibration_json;
    if (!calibration_group.empty() && calibration_path.empty())
      throw UsageError("--calibration-group needs --calibration FILE");
    // Per fabric: the parameters of this topology that a measurement of the same kind of device
    // and link replaces (calibration.h calibration_overrides_for); every other group is refused
    // with why (a CPU run never replaces NVLink or a NIC).
    std::vector<fm::CalibratedOverrides> cal_of(profs.size());
    if (!calibration_path.empty()) {
      fm::Calibration cal = fm::load_calibration(calibration_path);
      if (!calibration_group.empty()) {
        std::vector<fm::GroupFit> kept;
        for (const auto& g : cal.groups)
          if (g.key.label().find(calibration_group) != std::string::npos) kept.push_back(g);
        if (kept.empty()) {
          throw UsageError("no group of " + calibration_path + " matches --calibration-group '" +
                           calibration_group + "'");
        }
        cal.groups = std::move(kept);
      }
      calibration_json = {{"file", calibration_path}, {"fabrics", nlohmann::json::array()}};
      for (std::size_t fi = 0; fi < profs.size(); ++fi) {
        cal_of[fi] = fm::calibration_overrides_for(cal, topo, profs[fi].name);
        const fm::CalibratedOverrides& co = cal_of[fi];
        nlohmann::json j = fm::to_json(co, calibration_path);
        j["fabric"] = profs[fi].name;
        j["refused"] = co.refused;
        calibration_json["fabrics"].push_back(j);
        std::printf("# calibration %s for %s on %s:%s\n", calibration_path.c_str(),
                    topo.name.c_str(), profs[fi].name.c_str(),
                    co.measured.empty() ? " replaces nothing" : "");
        for (const auto& m : co.measured)
          std::printf("#   %-26s %10.4g %-6s measured: %s\n", m.parameter.c_str(), m.value,
                      m.unit.c_str(), m.source.c_str());
        for (const auto& r : co.refused) std::printf("#   refused: %s\n", r.c_str());
        for (const auto& n : co.notes) std::printf("#   note: %s\n", n.c_str());
      }
    }

    nlohmann::json rows = nlohmann::json::array();
    std::vector<std::string> approx;
    for (std::int64_t g : gpus) {
      for (const auto& an : algos) {
        fm::EvalOptions o = base;
        o.algo = an == "all" ? "auto" : an;
        o.gpus = g;
        // by_fabric[fabric][size] = the rows of that point (one, or every candidate for 'all').
        std::vector<std::vector<std::vector<fm::ModelResult>>> by_fabric;
        for (std::size_t fi = 0; fi < profs.size(); ++fi) {
          const fm::FabricProfile& p = profs[fi];
          // This fabric's calibration (explicit flags keep their values).
          fm::ClusterConfig topo_f = topo;
          fm::EvalOptions o_f = o;
          if (!calibration_path.empty()) fm::apply_calibration(cal_of[fi], topo_f, o_f.overrides);
          if (nccl) {
            std::vector<std::vector<fm::ModelResult>> one;
            for (auto& r : fm::nccl::evaluate_sizes(topo_f, p, o_f, an, protocol, bytes))
              one.push_back({std::move(r)});
            by_fabric.push_back(std::move(one));
          } else if (an == "all") {
            by_fabric.push_back(fm::evaluate_all(topo_f, p, o_f, bytes));
          } else {
            std::vector<std::vector<fm::ModelResult>> one;
            for (auto& r : fm::evaluate_sizes(topo_f, p, o_f, bytes)) one.push_back({std::move(r)});
            by_fabric.push_back(std::move(one));
          }
        }
        const bool perm = base.collective == fm::Collective::kPermutation;
        const bool listing = (an == "auto" || an == "all") && !nccl;
        for (std::size_t si = 0; si < bytes.size(); ++si) {
          const std::uint64_t b = bytes[si];
          std::printf(
              "\n# %s  %s  algo=%s  gpus=%lld  size=%s (%llu B)  placement=%s  seeds=%d  %s\n",
              topo.name.c_str(), perm ? "permutation" : fm::to_string(base.collective).c_str(),
              perm ? "-" : an.c_str(), static_cast<long long>(g),
              format_size(b, SizeStyle::kIec).c_str(), static_cast<unsigned long long>(b),
              placement.c_str(), seeds,
              nccl       ? "nccl"
              : analytic ? "analytic"
                         : "flow-level");
          std::printf("%-24s %-17s %12s %9s %9s %11s %11s %11s %10s %7s %8s %5s %8s%s\n", "fabric",
                      "algo", "time_us", "algbw", "busbw", "latency_us", "bandw_us", "congest_us",
                      "header_us", "thru", "spread%", "hops", "wall_s",
                      an == "auto" ? "  runner-up (time_us)" : "");
          for (std::size_t fi = 0; fi < profs.size(); ++fi) {
            for (const fm::ModelResult& r : by_fabric[fi][si]) {
              const double spread =
                  r.time_us > 0 ? 100.0 * (r.time_us_max - r.time_us_min) / r.time_us : 0.0;
              std::string runner;
              if (an == "auto") {
                runner = "  -";
                if (r.candidates.size() > 1 && r.candidates[1].applicable) {
                  char buf[96];
                  const fm::Candidate& c = r.candidates[1];
                  std::snprintf(buf, sizeof buf, "  %s%s%s (%.1f)", c.algo.c_str(),
                                c.protocol.empty() ? "" : "/", c.protocol.c_str(), c.time_us);
                  runner = buf;
                }
              }
              std::printf(
                  "%-24s %-17s %12.1f %9.2f %9.2f %11.1f %11.1f %11.1f %10.1f %7.4f %8.2f %5d "
                  "%8.3f%s\n",
                  r.fabric.c_str(), (r.algo + (r.protocol.empty() ? "" : "/" + r.protocol)).c_str(),
                  r.time_us, r.algbw_gbps, r.busbw_gbps, r.breakdown.latency_us,
                  r.breakdown.bandwidth_us, r.breakdown.congestion_us, r.breakdown.header_us,
                  r.throughput_fraction, spread, r.max_switch_hops, r.wall_s, runner.c_str());
              rows.push_back(fm::to_json(r));
              for (const auto& ap : r.approximations)
                if (std::find(approx.begin(), approx.end(), ap) == approx.end())
                  approx.push_back(ap);
            }
          }
          // Not applicable: one line per (algorithm, reason), naming the fabrics unless all.
          std::vector<std::pair<std::string, std::vector<std::string>>> na;
          for (std::size_t fi = 0; listing && fi < profs.size(); ++fi) {
            if (by_fabric[fi][si].empty()) continue;
            for (const fm::Candidate& c : by_fabric[fi][si].front().candidates) {
              if (c.applicable) continue;
              const std::string key = c.algo + ": " + c.reason;
              auto it =
                  std::find_if(na.begin(), na.end(), [&](const auto& e) { return e.first == key; });
              if (it == na.end()) it = na.insert(na.end(), {key, {}});
              it->second.push_back(profs[fi].name);
            }
          }
          for (const auto& [key, fabs] : na) {
            std::string where;
            if (fabs.size() < profs.size())
              for (const auto& f : fabs) where += (where.empty() ? " [" : ", ") + f;
            std::printf("#   not applicable: %s%s\n", key.c_str(),
                        where.empty() ? "" : (where + "]").c_str());
          }
          std::fflush(stdout);
        }
      }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\napproximations:\n");
    for (const auto& a : approx) std::printf("  - %s\n", a.c_str());
    std::printf(
        "units: time us; algbw/busbw GB/s (1e9 B/s); thru = delivered/offered network "
        "rate; spread = (max-min)/mean over seeds\n");
    std::printf("wall time %.3f s, peak RSS %.1f MiB\n", wall, peak_rss_mib());
    if (!json_path.empty()) {
      nlohmann::json fj = nlohmann::json::array();
      for (const auto& p : profs) fj.push_back(fm::to_json(p));
      nlohmann::json out = {{"schema", fm::kModelSchema},
                            {"generator", "fabricbench model"},
                            {"topology", fm::to_json(topo)},
                            {"topology_source", topo.source},
                            {"fabrics", fj},
                            {"units",
                             {{"time_us", "microseconds"},
                              {"algbw_gbps", "GB/s (1e9 bytes/s), as nccl-tests"},
                              {"busbw_gbps", "GB/s (1e9 bytes/s), as nccl-tests"},
                              {"bytes", "bytes"}}},
                            {"approximations", approx},
                            {"wall_s", wall},
                            {"peak_rss_mib", peak_rss_mib()},
                            {"results", rows}};
      if (!calibration_json.is_null()) out["calibration"] = calibration_json;
      write_file_atomically(json_path, out.dump(2) + "\n");
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return report_command_error("model", e);
  }
}

}  // namespace fb
