#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "fabric_model/config.h"
#include "fabric_model/model.h"
#include "fabric_model/profile.h"

namespace fb::model {
namespace {

const char* kGood = R"({
  "name": "t", "gpus": 64, "gpus_per_server": 8, "scaleup_domain_gpus": 8,
  "scaleup_gbps": 2966.4, "nic_gbps": 400, "planes": 1, "rail_optimized": true,
  "tier_count": 0, "tiers": [{"radix": 16, "link_gbps": 400, "oversubscription_ratio": 1}]
})";

std::string expect_error(const std::string& text) {
  try {
    auto c = cluster_config_from_text(text, "test");
    ClosTopology t(c);
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return "";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(Config, GoodConfigParses) {
  auto c = cluster_config_from_text(kGood, "test");
  EXPECT_EQ(c.gpus, 64);
  EXPECT_EQ(c.tiers.size(), 1u);
}

TEST(Config, BadConfigsAreRejectedClearly) {
  EXPECT_NE(expect_error(replace(kGood, "\"planes\"", "\"plane\"")).find("unknown key 'plane'"),
            std::string::npos);
  EXPECT_NE(expect_error(replace(kGood, "\"nic_gbps\": 400", "\"nic_gbps\": -400"))
                .find("nic_gbps must be positive"),
            std::string::npos);
  EXPECT_NE(expect_error(replace(kGood, "\"link_gbps\": 400", "\"link_gbps\": -1"))
                .find("link_gbps must be positive"),
            std::string::npos);
  EXPECT_NE(expect_error(replace(kGood, "\"radix\": 16", "\"radix\": 1"))
                .find("radix must be at least 2"),
            std::string::npos);
  // Radix 4: at most 2 * 2^4 = 32 hosts in 4 tiers; 64 GPUs need more.
  EXPECT_NE(expect_error(replace(kGood, "\"radix\": 16", "\"radix\": 4")).find("radix too small"),
            std::string::npos);
  // A fixed tier count that is too small for the GPUs.
  EXPECT_NE(expect_error(replace(kGood, "\"tier_count\": 0", "\"tier_count\": 1")).find("exceed"),
            std::string::npos);
  EXPECT_NE(expect_error(replace(kGood, "\"gpus\": 64", "\"gpus\": 60")).find("multiple"),
            std::string::npos);
  EXPECT_NE(
      expect_error(replace(kGood, "\"tiers\": [", "\"tiers\": [{\"radix\": 8, \"speed\": 1},"))
          .find("unknown key 'speed'"),
      std::string::npos);
  EXPECT_NE(expect_error("{not json").find("invalid JSON"), std::string::npos);
  EXPECT_NE(expect_error(replace(kGood, "\"rail_optimized\": true", "\"rail_optimized\": 1"))
                .find("true or false"),
            std::string::npos);
}

TEST(Config, PresetsAndProfilesLoad) {
  EXPECT_GE(list_presets().size(), 2u);
  for (const auto& n : list_presets()) {
    auto c = load_cluster_config(n);
    EXPECT_NO_THROW(ClosTopology{c}) << n;
  }
  EXPECT_EQ(load_cluster_config("colossus_like").gpus, 100000);
  EXPECT_EQ(load_cluster_config("cluster_1m").gpus, 1048576);
  EXPECT_GE(list_profiles().size(), 4u);
  for (const auto& n : list_profiles()) {
    auto p = load_fabric_profile(n);
    EXPECT_FALSE(p.switch_latency_ns.source.empty()) << n;
    EXPECT_FALSE(p.header_bytes_per_packet.source.empty()) << n;
  }
  EXPECT_THROW(load_cluster_config("no_such_preset"), ModelError);
  EXPECT_THROW(load_fabric_profile("no_such_fabric"), ModelError);
}

TEST(Config, FilesByPath) {
  const std::string path = ::testing::TempDir() + "fb_model_topo.json";
  {
    std::ofstream f(path);
    f << kGood;
  }
  EXPECT_EQ(load_cluster_config(path).gpus, 64);
  std::remove(path.c_str());
}

TEST(Profile, EveryNumberNeedsASource) {
  auto j = nlohmann::json::parse(R"({
    "name": "x", "transport": "rocev2", "routing": "ecmp",
    "qps_per_connection": {"value": 1, "source": "s"},
    "mtu_payload_bytes": {"value": 4096, "source": "s"},
    "header_bytes_per_packet": {"value": 82, "source": "s"},
    "switch_latency_ns": {"value": 300, "source": "s"},
    "network_step_latency_us": {"value": 4, "source": "s"},
    "base_latency_us": {"value": 14, "source": "s"}})");
  EXPECT_NO_THROW(parse_fabric_profile(j));
  auto no_source = j;
  no_source["switch_latency_ns"].erase("source");
  EXPECT_THROW(parse_fabric_profile(no_source), ModelError);
  auto negative = j;
  negative["switch_latency_ns"]["value"] = -3;
  EXPECT_THROW(parse_fabric_profile(negative), ModelError);
  auto efficiency = j;
  efficiency["efficiency"] = {{"value", 0.9}, {"source", "tuned"}};
  EXPECT_THROW(parse_fabric_profile(efficiency), ModelError);
  auto routing = j;
  routing["routing"] = "magic";
  EXPECT_THROW(parse_fabric_profile(routing), ModelError);
}

// Model files embed the profiles and presets they used (to_json); publish parses them back.
TEST(Config, EveryProfileAndPresetRoundTripsThroughJson) {
  for (const auto& name : list_profiles()) {
    const FabricProfile p = load_fabric_profile(name);
    const FabricProfile q = parse_fabric_profile(to_json(p));
    EXPECT_EQ(q.name, p.name);
    EXPECT_EQ(q.in_network_reduction.supported, p.in_network_reduction.supported) << name;
    EXPECT_EQ(q.in_network_reduction.reduction_gbps.value,
              p.in_network_reduction.reduction_gbps.value)
        << name;
    EXPECT_EQ(q.tree_network_step_latency_us.value, p.tree_network_step_latency_us.value) << name;
    EXPECT_EQ(q.network_step_latency_us.value, p.network_step_latency_us.value) << name;
  }
  for (const auto& name : list_presets()) {
    const ClusterConfig c = load_cluster_config(name);
    const ClusterConfig d = parse_cluster_config(to_json(c));
    EXPECT_EQ(d.gpus, c.gpus) << name;
    EXPECT_EQ(d.scaleup_multicast, c.scaleup_multicast) << name;
    EXPECT_EQ(d.gpu_compute_capability, c.gpu_compute_capability) << name;
  }
}

}  // namespace
}  // namespace fb::model
