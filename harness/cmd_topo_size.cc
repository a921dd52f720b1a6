// `fabricbench topo-size`: the bill of materials of a folded Clos for a GPU count.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "fabric_model/model.h"
#include "fabric_model/power.h"
#include "harness/cmd_model.h"
#include "harness/exit_codes.h"
#include "harness/report.h"

namespace fb {

namespace fm = fb::model;

int cmd_topo_size(int argc, char** argv) {
  CLI::App app{"Bill of materials of a folded Clos for a GPU count", "topo-size"};
  std::string topology = "colossus_like", json_path, gpus_s;
  int radix = 0, tiers = -1, planes = 0;
  double nic = 0, link = 0, oversub = 0;
  int rail = -1;
  app.add_option("--topology", topology, "preset name or JSON file");
  app.add_option("--gpus", gpus_s, "GPU count (K/M suffixes allowed)");
  app.add_option("--radix", radix, "switch radix, all tiers");
  app.add_option("--link-gbps", link, "switch port speed, all tiers");
  app.add_option("--nic-gbps", nic, "NIC speed per GPU");
  app.add_option("--planes", planes, "parallel fabric planes");
  app.add_option("--oversubscription", oversub, "down:up ratio below the top, all tiers");
  app.add_option("--tiers", tiers, "0 = smallest that fits");
  app.add_option("--rail-optimized", rail, "1 = rail-optimised leaves, 0 = rack leaves");
  app.add_option("--json", json_path, "write the bill of materials as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_command_error("topo-size", UsageError(e.what()));
  }
  try {
    refuse_existing_output(json_path);
    fm::ClusterConfig c = fm::load_cluster_config(topology);
    if (!gpus_s.empty()) c.gpus = parse_gpu_count(gpus_s);
    for (auto& t : c.tiers) {
      if (radix) t.radix = radix;
      if (link > 0) t.link_gbps = link;
      if (oversub > 0) t.oversubscription_ratio = oversub;
    }
    if (nic > 0) c.nic_gbps = nic;
    if (planes > 0) c.planes = planes;
    if (tiers >= 0) c.tier_count = tiers;
    if (rail >= 0) c.rail_optimized = rail != 0;
    if (radix < 0 || link < 0 || nic < 0 || planes < 0 || oversub < 0)
      throw UsageError("negative values are not allowed");
    const fm::BillOfMaterials b = fm::size_cluster(c);
    std::printf("topology %s: %lld GPUs, NIC %g Gb/s x %d plane(s), %s\n", c.name.c_str(),
                static_cast<long long>(b.gpus), c.nic_gbps, b.planes,
                c.rail_optimized ? "rail-optimised" : "rack leaves");
    std::printf("tiers %d (max %lld hosts per plane at this tier count)\n", b.tiers,
                static_cast<long long>(b.max_hosts));
    std::printf("%-6s %8s %10s %10s %12s %18s\n", "tier", "radix", "down/sw", "up/sw", "switches",
                "links to tier above");
    for (int i = 0; i < b.tiers; ++i)
      std::printf("%-6d %8d %10lld %10lld %12lld %18s\n", i + 1, b.radix_per_tier[i],
                  static_cast<long long>(b.down_ports_per_tier[i]),
                  static_cast<long long>(b.up_ports_per_tier[i]),
                  static_cast<long long>(b.switches_per_tier[i]),
                  i + 1 < b.tiers ? std::to_string(b.links_above_tier[i]).c_str() : "-");
    std::printf(
        "switches %lld, host links %lld, switch links %lld, transceivers %lld "
        "(2 per link, host links included)\n",
        static_cast<long long>(b.switches), static_cast<long long>(b.host_links),
        static_cast<long long>(b.switch_links), static_cast<long long>(b.transceivers));
    if (b.top_parallel_links > 1)
      std::printf("top tier partially populated: %lld parallel links per (pod, top switch)\n",
                  static_cast<long long>(b.top_parallel_links));
    nlohmann::json power = nlohmann::json::object();
    for (const char* transport : {"infiniband", "rocev2"}) {
      const fm::NetworkPower p = fm::network_power(c, b, transport);
      std::printf("network power, %s switches: ", transport);
      if (p.complete())
        std::printf("%.3f MW", p.network_power_mw());
      else
        std::printf("%.3f MW counted (not counted: no sourced figure for %s)",
                    p.counted_watts / 1e6, p.not_counted.front().c_str());
      std::printf(" [");
      for (std::size_t i = 0; i < p.items.size(); ++i) {
        const fm::PowerItem& it = p.items[i];
        std::printf("%s%lld x ", i ? ", " : "", static_cast<long long>(it.count));
        if (it.watts_each >= 0)
          std::printf("%g W", it.watts_each);
        else
          std::printf("? W");
      }
      std::printf("]\n");
      power[transport] = fm::to_json(p);
    }
    std::printf("per-device watts and their sources: fabric_model/power/network_power.json\n");
    if (!json_path.empty()) {
      nlohmann::json j = {{"schema", "fabricbench.topo_size/1"},
                          {"topology", fm::to_json(c)},
                          {"bill_of_materials", fm::to_json(b)},
                          {"network_power", power}};
      write_file_atomically(json_path, j.dump(2) + "\n");
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return report_command_error("topo-size", e);
  }
}

}  // namespace fb
