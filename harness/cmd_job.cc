#include "harness/cmd_job.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "fabric_model/job.h"
#include "fabric_model/power.h"
#include "harness/exit_codes.h"
#include "harness/report.h"

namespace fb {
namespace {

namespace fm = fb::model;

constexpr const char* kJobSchema = "fabricbench.job/1";

int fail(const std::string& msg, int code = kExitUsage) {
  std::cerr << "fabricbench: job: " << msg << "\n";
  return code;
}

std::string degrees(const fm::JobSpec& s) {
  std::string out = "TP" + std::to_string(s.tp);
  out.append(" CP").append(std::to_string(s.cp));
  out.append(" PP").append(std::to_string(s.pp));
  out.append(" DP").append(std::to_string(s.dp));
  out.append(" EP").append(std::to_string(s.ep));
  out.append(" (order");
  for (const auto& k : s.order) out.append(" ").append(k);
  out.append(")");
  return out;
}

void print_layout(const fm::JobLayout& job, const fm::ClusterConfig& cfg, const std::string& place,
                  int seeds) {
  const fm::JobSpec& s = job.spec;
  std::printf("job %s: %lld GPUs, %s on %s (%lld GPUs), placement %s, seeds %d\n", s.name.c_str(),
              static_cast<long long>(s.gpus), degrees(s).c_str(), cfg.name.c_str(),
              static_cast<long long>(cfg.gpus), place.c_str(), seeds);
  std::printf("communicators:\n  %-5s %8s %8s %12s %18s\n", "kind", "ranks", "groups",
              "gpus/server", "concurrent/server");
  for (const auto& c : job.communicators)
    std::printf("  %-5s %8lld %8lld %12d %18d\n", c.kind.c_str(), static_cast<long long>(c.ranks),
                static_cast<long long>(c.groups), c.gpus_per_server, c.concurrent_per_server);
  std::printf("step collectives (per GPU):\n  %-5s %-15s %14s %7s %14s  %s\n", "kind", "collective",
              "bytes/call", "calls", "last call", "per");
  for (const auto& c : job.collectives)
    std::printf("  %-5s %-15s %14llu %7lld %14llu  %s\n", c.kind.c_str(), c.name().c_str(),
                static_cast<unsigned long long>(c.bytes), static_cast<long long>(c.calls),
                static_cast<unsigned long long>(c.last_bytes), c.per.c_str());
  const double compute = s.compute_time_us_per_step();
  if (compute > 0)
    std::printf("compute per step %.1f ms (%g TFLOP/s per GPU; %s)\n", compute / 1e3,
                s.compute_tflops_per_gpu, fm::kOverlapRule);
  else
    std::printf("no compute time given: totals only, no exposed time\n");
}

// The run with failures of one fabric, against its healthy run.
struct FaultyRun {
  fm::JobFabricResult result;
  double ratio = 1;  // faulty / healthy communication time per step
};

std::string fault_label(const fm::FaultOptions& f) {
  std::string out = std::to_string(f.failed_links);
  out += " failed links, ";
  out += std::to_string(f.failed_switches);
  out += " failed switches";
  if (f.slow_gpu_factor > 1) {
    char buf[48];
    std::snprintf(buf, sizeof buf, ", one GPU %gx slower", f.slow_gpu_factor);
    out += buf;
  }
  return out;
}

void print_faulty(const fm::JobFabricResult& healthy, const FaultyRun& f,
                  const fm::FaultOptions& opts) {
  std::printf("  with faults (%s, drawn per seed):\n", fault_label(opts).c_str());
  for (std::size_t i = 0; i < f.result.collectives.size(); ++i) {
    const auto& c = f.result.collectives[i];
    const double h = healthy.collectives[i].time_us_per_step;
    std::printf("    %-5s %-15s %-24s %14.3f ms/step (healthy %.3f, x%.3f)\n", c.kind.c_str(),
                c.collective.c_str(), c.algo.c_str(), c.time_us_per_step / 1e3, h / 1e3,
                h > 0 ? c.time_us_per_step / h : 1.0);
  }
  std::printf("  total with faults %.3f ms/step, healthy %.3f ms/step: x%.3f\n",
              f.result.comm_time_us_per_step / 1e3, healthy.comm_time_us_per_step / 1e3, f.ratio);
}

void print_fabric(const fm::JobFabricResult& r) {
  std::printf("\nfabric %s [%s]\n  %-5s %-15s %-24s %12s %14s %12s %10s\n", r.fabric.c_str(),
              r.routing.c_str(), "kind", "collective", "algo", "us/call", "ms/step", "cong ms/step",
              "delivered");
  for (const auto& c : r.collectives)
    std::printf("  %-5s %-15s %-24s %12.1f %14.3f %12.3f %10.3f\n", c.kind.c_str(),
                c.collective.c_str(), c.algo.c_str(), c.time_us_per_call, c.time_us_per_step / 1e3,
                c.congestion_us_per_step / 1e3, c.throughput_fraction);
  std::printf("  total communication %.3f ms/step", r.comm_time_us_per_step / 1e3);
  if (r.exposed_time_us_per_step >= 0)
    std::printf(", exposed %.3f ms/step", r.exposed_time_us_per_step / 1e3);
  std::printf(", delivered/offered %.3f, congestion share %.3f (model wall %.1f s)\n",
              r.throughput_fraction,
              r.comm_time_us_per_step > 0 ? r.congestion_us_per_step / r.comm_time_us_per_step : 0,
              r.wall_s);
}

nlohmann::json job_json(const fm::JobLayout& job, const fm::ClusterConfig& cfg,
                        const std::vector<fm::JobFabricResult>& results,
                        const std::vector<fm::NetworkPower>& power,
                        const std::vector<FaultyRun>& faulty, const fm::FaultOptions& fopts,
                        const std::string& place, int seeds, double wall_s) {
  nlohmann::json comms = nlohmann::json::array(), steps = nlohmann::json::array();
  for (const auto& c : job.communicators) comms.push_back(fm::to_json(c));
  for (const auto& c : job.collectives)
    steps.push_back({{"kind", c.kind},
                     {"collective", c.name()},
                     {"bytes", c.bytes},
                     {"calls", c.calls},
                     {"last_bytes", c.last_bytes},
                     {"bytes_per_step", c.bytes_per_step()},
                     {"per", c.per}});
  nlohmann::json colls = nlohmann::json::array(), totals = nlohmann::json::array(),
                 approx = nlohmann::json::array();
  for (std::size_t k = 0; k < results.size(); ++k) {
    const auto& r = results[k];
    const FaultyRun* f = faulty.empty() ? nullptr : &faulty[k];
    for (std::size_t i = 0; i < r.collectives.size(); ++i) {
      const auto& c = r.collectives[i];
      colls.push_back({{"fabric", r.fabric},
                       {"kind", c.kind},
                       {"collective", c.collective},
                       {"algo", c.algo},
                       {"bytes_per_call", c.bytes},
                       {"calls", c.calls},
                       {"bytes_per_step", c.bytes_per_step},
                       {"time_us_per_call", c.time_us_per_call},
                       {"time_us_per_step", c.time_us_per_step},
                       {"congestion_us_per_step", c.congestion_us_per_step},
                       {"throughput_fraction", c.throughput_fraction},
                       {"network", c.network},
                       {"flows", c.flows},
                       {"wall_s", c.wall_s}});
      colls.back()["faulty_time_us_per_step"] =
          f != nullptr ? nlohmann::json(f->result.collectives[i].time_us_per_step) : nullptr;
    }
    nlohmann::json t = {
        {"fabric", r.fabric},
        {"routing", r.routing},
        {"comm_time_us_per_step", r.comm_time_us_per_step},
        {"congestion_us_per_step", r.congestion_us_per_step},
        {"throughput_fraction", r.throughput_fraction},
        {"ratio_to_best", r.ratio_to_best},
        {"network_power_mw",
         power[k].network_power_mw() >= 0 ? nlohmann::json(power[k].network_power_mw()) : nullptr},
        {"network_power", fm::to_json(power[k])},
        {"wall_s", r.wall_s}};
    t["exposed_time_us_per_step"] =
        r.exposed_time_us_per_step >= 0 ? nlohmann::json(r.exposed_time_us_per_step) : nullptr;
    t["faulty_comm_time_us_per_step"] =
        f != nullptr ? nlohmann::json(f->result.comm_time_us_per_step) : nullptr;
    t["faulty_exposed_time_us_per_step"] = f != nullptr && f->result.exposed_time_us_per_step >= 0
                                               ? nlohmann::json(f->result.exposed_time_us_per_step)
                                               : nullptr;
    t["faulty_to_healthy"] = f != nullptr ? nlohmann::json(f->ratio) : nullptr;
    totals.push_back(std::move(t));
    for (const auto& a : r.approximations)
      if (std::find(approx.begin(), approx.end(), a) == approx.end()) approx.push_back(a);
  }
  const double compute = job.spec.compute_time_us_per_step();
  return {{"schema", kJobSchema},
          {"job", fm::to_json(job.spec)},
          {"topology", fm::to_json(cfg)},
          {"placement", place},
          {"seeds", seeds},
          {"faults",
           {{"failed_links", fopts.failed_links},
            {"failed_switches", fopts.failed_switches},
            {"slow_gpu_factor", fopts.slow_gpu_factor},
            {"rule",
             "failed links: switch-to-switch cables, failed switches: levels >= 2 (never leaves "
             "or host links: single-homed NICs would be cut off), drawn per seed; totals are the "
             "healthy fabric, faulty_* the same job with the failures"}}},
          {"overlap_rule", fm::kOverlapRule},
          {"compute_time_us_per_step", compute > 0 ? nlohmann::json(compute) : nullptr},
          {"communicators", comms},
          {"step_collectives", steps},
          {"collectives", colls},
          {"totals", totals},
          {"approximations", approx},
          {"wall_s", wall_s}};
}

}  // namespace

int cmd_job(int argc, char** argv) {
  const auto t0 = std::chrono::steady_clock::now();
  CLI::App app{"A training job's communication per step on modelled fabrics", "job"};
  std::string job_name, topology, placement = "aligned", json_path, algo = "auto";
  std::vector<std::string> fabrics;
  int seeds = 1;
  std::uint64_t seed_base = 1;
  app.add_option("--job", job_name, "job preset name, JSON file, or 'list'")->required();
  app.add_option("--topology", topology, "topology preset or JSON file (default colossus_like)");
  app.add_option("--fabric", fabrics, "profile name(s) or JSON file(s), comma-separated")
      ->delimiter(',');
  app.add_option("--placement", placement, "aligned|fragmented");
  app.add_option("--seeds", seeds, "ECMP hash seeds / placements to average");
  app.add_option("--seed-base", seed_base, "first seed");
  app.add_option("--algo", algo, "auto (fastest NCCL algorithm per collective) or a model algo");
  fm::FaultOptions faults;
  app.add_option("--failed-links", faults.failed_links,
                 "switch-to-switch links to fail (seeded per --seeds; 0 = healthy)");
  app.add_option("--failed-switches", faults.failed_switches,
                 "spine/core switches (levels >= 2) to fail, seeded");
  app.add_option("--slow-gpu", faults.slow_gpu_factor,
                 "one GPU (seeded) this many times slower: 2 = half speed (1 = none)");
  app.add_option("--json", json_path, "write fabricbench.job/1 JSON here (never overwritten)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }
  try {
    if (job_name == "list") {
      std::cout << "job presets:\n";
      for (const auto& n : fm::list_job_presets()) {
        const fm::JobSpec s = fm::load_job_spec(n);
        std::cout << "  " << n << "  (" << s.gpus << " GPUs, " << degrees(s) << ") " << s.source
                  << "\n";
      }
      return kExitOk;
    }
    if (!json_path.empty()) {
      const std::string why = check_output_path(json_path);
      if (!why.empty()) return fail(why);
    }
    if (seeds < 1) return fail("--seeds must be at least 1");
    faults.validate();
    const fm::JobSpec spec = fm::load_job_spec(job_name);
    if (topology.empty()) topology = "colossus_like";
    const fm::ClusterConfig cfg = fm::load_cluster_config(topology);
    fm::JobEvalOptions o;
    o.placement = fm::placement_from_string(placement);
    o.seeds = seeds;
    o.seed_base = seed_base;
    o.algo = fm::algo_from_string(algo);
    if (fabrics.empty()) fabrics = {"infiniband_ndr", "roce_ecmp", "roce_adaptive"};
    std::vector<fm::FabricProfile> profiles;
    for (const auto& f : fabrics) profiles.push_back(fm::load_fabric_profile(f));
    const fm::JobLayout job = fm::build_job(spec, cfg);
    print_layout(job, cfg, placement, seeds);
    std::vector<fm::JobFabricResult> results;
    std::vector<FaultyRun> faulty;
    std::vector<fm::NetworkPower> power;
    // The network the job runs on: the cluster resized to the job's GPUs (as the model does).
    fm::ClusterConfig sized = cfg;
    sized.gpus = spec.gpus;
    const fm::BillOfMaterials bom = fm::size_cluster(sized);
    for (const auto& p : profiles) {
      power.push_back(fm::network_power(sized, bom, p.transport));
      results.push_back(fm::evaluate_job(job, cfg, p, o));
      print_fabric(results.back());
      if (faults.any()) {
        fm::JobEvalOptions fo = o;
        fo.faults = faults;
        FaultyRun f;
        f.result = fm::evaluate_job(job, cfg, p, fo);
        const double h = results.back().comm_time_us_per_step;
        f.ratio = h > 0 ? f.result.comm_time_us_per_step / h : 1.0;
        print_faulty(results.back(), f, faults);
        faulty.push_back(std::move(f));
      }
    }
    fm::rank_fabrics(results);
    std::printf("\n%-24s %14s %14s %10s %12s %11s", "fabric", "comm ms/step", "exposed ms",
                "delivered", "vs best", "network MW");
    if (faults.any()) std::printf(" %14s %12s", "faulty ms/step", "vs healthy");
    std::printf("\n");
    for (std::size_t k = 0; k < results.size(); ++k) {
      const auto& r = results[k];
      char exposed[32] = "-";
      if (r.exposed_time_us_per_step >= 0)
        std::snprintf(exposed, sizeof exposed, "%.3f", r.exposed_time_us_per_step / 1e3);
      char mw[32] = "-";
      if (power[k].complete()) std::snprintf(mw, sizeof mw, "%.3f", power[k].network_power_mw());
      std::printf("%-24s %14.3f %14s %10.3f %12.3f %11s", r.fabric.c_str(),
                  r.comm_time_us_per_step / 1e3, exposed, r.throughput_fraction, r.ratio_to_best,
                  mw);
      if (!faulty.empty())
        std::printf(" %14.3f %12.3f", faulty[k].result.comm_time_us_per_step / 1e3,
                    faulty[k].ratio);
      std::printf("\n");
    }
    std::printf(
        "network MW: switches, optics and NICs of the job's %lld-GPU network (%lld switches, %lld "
        "switch links, %lld host links) x per-device watts, fabric_model/power/network_power.json"
        "\n",
        static_cast<long long>(bom.gpus), static_cast<long long>(bom.switches),
        static_cast<long long>(bom.switch_links), static_cast<long long>(bom.host_links));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!json_path.empty()) {
      try {
        write_file_atomically(
            json_path,
            job_json(job, cfg, results, power, faulty, faults, placement, seeds, wall).dump(2) +
                "\n");
      } catch (const std::exception& e) {
        return fail(e.what(), kExitRunFailed);
      }
    }
    return kExitOk;
  } catch (const fm::ModelError& e) {
    return fail(e.what());
  } catch (const std::exception& e) {
    return fail(e.what(), kExitRunFailed);
  }
}

}  // namespace fb
