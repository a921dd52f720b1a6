#pragma once
// Network power of a cluster's bill of materials: switches, pluggable optics and NICs counted
// from the BillOfMaterials and multiplied by per-device watts from fabric_model/power/
// network_power.json (every figure with its source; the rules are listed in that file). The
// switch class follows the fabric's transport (InfiniBand: Quantum-2 class, RoCEv2: 51.2 Tb/s
// Ethernet class). A device whose watts no public source gave is listed as not counted and the
// total is then incomplete (network_power_mw() returns a negative value).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/topology.h"

namespace fb::model {

struct PowerItem {
  std::string what;    // "tier 1 switches", "NICs", ...
  std::string device;  // data file entry name
  std::int64_t count = 0;
  double watts_each = -1;  // -1: not sourced, not counted
  std::string source;
  double watts() const { return watts_each >= 0 ? watts_each * static_cast<double>(count) : 0; }
};

struct NetworkPower {
  std::string transport;
  std::vector<PowerItem> items;
  double counted_watts = 0;              // items with a sourced figure
  std::vector<std::string> not_counted;  // items without one
  bool complete() const { return not_counted.empty(); }
  // Megawatts when every item has a sourced figure, else -1.
  double network_power_mw() const { return complete() ? counted_watts / 1e6 : -1; }
};

// transport: "infiniband" or "rocev2" (a fabric profile's). Throws ModelError otherwise.
NetworkPower network_power(const ClusterConfig& c, const BillOfMaterials& b,
                           const std::string& transport);
nlohmann::json to_json(const NetworkPower& p);

}  // namespace fb::model
