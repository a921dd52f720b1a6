#pragma once
// Small configs shared by the fabric model tests.
#include "fabric_model/config.h"
#include "fabric_model/profile.h"

namespace fb::model::testing {

// One GPU per server and per scale-up domain, all links `gbps`: a plain host fat tree.
inline ClusterConfig plain_tree(std::int64_t hosts, int radix, int tiers, double gbps = 100) {
  ClusterConfig c;
  c.name = "test";
  c.gpus = hosts;
  c.gpus_per_server = 1;
  c.scaleup_domain_gpus = 1;
  c.scaleup_gbps = 1000;
  c.nic_gbps = gbps;
  c.planes = 1;
  c.rail_optimized = false;
  c.tier_count = tiers;
  c.tiers = {{radix, gbps, 1.0}};
  return c;
}

// 2 HGX-like servers (8 GPUs, 8 x 400G rails) on a 2-tier radix-16 tree, NVLink SHARP.
inline ClusterConfig two_servers() {
  ClusterConfig c;
  c.name = "two_servers";
  c.gpus = 16;
  c.gpus_per_server = 8;
  c.scaleup_domain_gpus = 8;
  c.scaleup_gbps = 2966.4;
  c.scaleup_step_latency_us = 1.9;
  c.gpu_reduce_gbytes_per_s = 1116.7;
  c.scaleup_multicast = true;
  c.scaleup_multicast_latency_us = 25;
  c.nic_gbps = 400;
  c.rail_optimized = true;
  c.tier_count = 2;
  c.tiers = {{16, 400, 1}};
  return c;
}

inline FabricProfile profile(RoutingKind k, double switch_ns = 100, double step_us = 2,
                             double header = 0) {
  FabricProfile p;
  p.name = "test_" + to_string(k);
  p.transport = "rocev2";
  p.routing = k;
  p.qps_per_connection = {1, "test"};
  p.mtu_payload_bytes = {4096, "test"};
  p.header_bytes_per_packet = {header, "test"};
  p.switch_latency_ns = {switch_ns, "test"};
  p.network_step_latency_us = {step_us, "test"};
  p.base_latency_us = {0, "test"};
  return p;
}

}  // namespace fb::model::testing
