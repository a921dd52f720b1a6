#pragma once
// Fabric profile: the transport and routing of a fabric, every number with a unit in its key and
// a source note. There is deliberately no efficiency constant: losses from hashing collisions
// and sharing come out of routing + the flow solver on the topology.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/units.h"

namespace fb::model {

enum class RoutingKind {
  kStaticDmodK,    // InfiniBand destination-based: up port = (dst / prod) mod k at each tier
  kEcmp,           // hash of the 5-tuple, a different seed per switch
  kEcmpPolarized,  // same hash and seed at every switch (hash polarisation)
  kAdaptive,       // per-packet least-loaded port, modelled as a fluid split
};

std::string to_string(RoutingKind k);
RoutingKind routing_from_string(const std::string& s);

struct Sourced {
  double value = 0;
  std::string source;
};

// In-network reduction (InfiniBand SHARP class): an aggregation tree in the switches reduces the
// data on its way up, so every link carries it once. What NCCL's CollNet algorithms need.
struct InNetworkReduction {
  bool supported = false;
  Sourced switch_latency_ns;     // added per aggregation switch on the way up and down
  Sourced reduction_gbps;        // aggregation rate of one switch port, Gb/s
  Sourced max_concurrent_trees;  // aggregation trees (jobs/communicators) the switches hold
};

struct FabricProfile {
  std::string name;
  std::string description;
  std::string transport;     // "infiniband" | "rocev2"
  std::string flow_control;  // descriptive
  RoutingKind routing = RoutingKind::kEcmp;
  Sourced qps_per_connection;       // flows per connection (distinct 5-tuples)
  Sourced mtu_payload_bytes;        // payload bytes per packet
  Sourced header_bytes_per_packet;  // wire bytes per packet beyond payload
  Sourced switch_latency_ns;        // port to port
  Sourced network_step_latency_us;  // NIC + protocol time per network step
  // Per network step of a tree (a node waits for both children, reduces, forwards): NCCL charges
  // a tree hop more than a ring hop. Absent from the file: network_step_latency_us.
  Sourced tree_network_step_latency_us;
  Sourced base_latency_us;                  // once per collective
  InNetworkReduction in_network_reduction;  // absent from the file = not supported

  // Payload fraction of wire bytes: mtu / (mtu + header).
  double payload_fraction() const {
    return mtu_payload_bytes.value / (mtu_payload_bytes.value + header_bytes_per_packet.value);
  }
  int qps() const { return static_cast<int>(qps_per_connection.value); }
};

FabricProfile parse_fabric_profile(const nlohmann::json& j);
// A profile name (see list_profiles()) or a path to a JSON file. Throws ModelError.
FabricProfile load_fabric_profile(const std::string& name_or_path);
std::vector<std::string> list_profiles();
nlohmann::json to_json(const FabricProfile& p);

}  // namespace fb::model
