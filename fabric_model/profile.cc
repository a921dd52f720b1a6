#include "fabric_model/profile.h"

#include <cmath>
#include <fstream>

#include "fabric_model/config.h"
#include "fabric_model/embedded_data.h"

namespace fb::model {

std::string to_string(RoutingKind k) {
  switch (k) {
    case RoutingKind::kStaticDmodK:
      return "static_dmodk";
    case RoutingKind::kEcmp:
      return "ecmp";
    case RoutingKind::kEcmpPolarized:
      return "ecmp_polarized";
    case RoutingKind::kAdaptive:
      return "adaptive";
  }
  return "?";
}

RoutingKind routing_from_string(const std::string& s) {
  if (s == "static_dmodk") return RoutingKind::kStaticDmodK;
  if (s == "ecmp") return RoutingKind::kEcmp;
  if (s == "ecmp_polarized") return RoutingKind::kEcmpPolarized;
  if (s == "adaptive") return RoutingKind::kAdaptive;
  throw ModelError("unknown routing '" + s +
                   "' (expected static_dmodk, ecmp, ecmp_polarized or adaptive)");
}

namespace {

Sourced get_sourced(const nlohmann::json& j, const char* key, const std::string& where,
                    bool positive) {
  if (!j.contains(key)) throw ModelError(where + ": missing key '" + key + "'");
  const auto& v = j.at(key);
  const std::string kw = where + " '" + key + "'";
  json_util::reject_unknown_keys(v, {"value", "source"}, kw);
  if (!v.contains("value") || !v.at("value").is_number())
    throw ModelError(kw + ": needs a numeric 'value'");
  if (!v.contains("source") || !v.at("source").is_string() ||
      v.at("source").get<std::string>().empty())
    throw ModelError(kw + ": needs a non-empty 'source'");
  Sourced s{v.at("value").get<double>(), v.at("source").get<std::string>()};
  if (!std::isfinite(s.value) || s.value < 0 || (positive && s.value == 0))
    throw ModelError(kw + ": value must be " + (positive ? "positive" : "non-negative"));
  return s;
}

}  // namespace

namespace {
// An optional string field; a present non-string is an error naming the key.
std::string optional_string(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return std::string();
  if (!j.at(key).is_string()) throw ModelError(where + ": '" + key + "' must be a string");
  return j.at(key).get<std::string>();
}
}  // namespace

FabricProfile parse_fabric_profile(const nlohmann::json& j) {
  std::string where = "fabric profile";
  if (j.is_object() && j.contains("name") && j.at("name").is_string())
    where += " '" + json_util::printable(j.at("name").get<std::string>()) + "'";
  json_util::reject_unknown_keys(
      j,
      {"name", "description", "transport", "flow_control", "routing", "qps_per_connection",
       "mtu_payload_bytes", "header_bytes_per_packet", "switch_latency_ns",
       "network_step_latency_us", "tree_network_step_latency_us", "base_latency_us",
       "in_network_reduction"},
      where);
  FabricProfile p;
  if (!j.contains("name") || !j.at("name").is_string()) throw ModelError(where + ": needs 'name'");
  p.name = j.at("name").get<std::string>();
  p.description = optional_string(j, "description", where);
  p.transport = optional_string(j, "transport", where);
  if (p.transport != "infiniband" && p.transport != "rocev2")
    throw ModelError(where + ": transport must be 'infiniband' or 'rocev2'");
  p.flow_control = optional_string(j, "flow_control", where);
  if (!j.contains("routing") || !j.at("routing").is_string())
    throw ModelError(where + ": needs 'routing'");
  p.routing = routing_from_string(j.at("routing").get<std::string>());
  p.qps_per_connection = get_sourced(j, "qps_per_connection", where, true);
  if (p.qps_per_connection.value != std::floor(p.qps_per_connection.value) ||
      p.qps_per_connection.value > 64)
    throw ModelError(where + ": qps_per_connection must be an integer in 1..64");
  p.mtu_payload_bytes = get_sourced(j, "mtu_payload_bytes", where, true);
  p.header_bytes_per_packet = get_sourced(j, "header_bytes_per_packet", where, false);
  p.switch_latency_ns = get_sourced(j, "switch_latency_ns", where, false);
  p.network_step_latency_us = get_sourced(j, "network_step_latency_us", where, false);
  if (j.contains("tree_network_step_latency_us")) {
    p.tree_network_step_latency_us = get_sourced(j, "tree_network_step_latency_us", where, false);
  } else {
    p.tree_network_step_latency_us = {p.network_step_latency_us.value,
                                      "not in the profile: network_step_latency_us"};
  }
  p.base_latency_us = get_sourced(j, "base_latency_us", where, false);
  // null (what to_json writes for a fabric without it) = absent = not supported.
  if (j.contains("in_network_reduction") && !j.at("in_network_reduction").is_null()) {
    const auto& r = j.at("in_network_reduction");
    const std::string rw = where + " 'in_network_reduction'";
    json_util::reject_unknown_keys(
        r, {"switch_latency_ns", "reduction_gbps", "max_concurrent_trees", "source"}, rw);
    InNetworkReduction& inr = p.in_network_reduction;
    inr.supported = true;
    inr.switch_latency_ns = get_sourced(r, "switch_latency_ns", rw, false);
    inr.reduction_gbps = get_sourced(r, "reduction_gbps", rw, true);
    inr.max_concurrent_trees = get_sourced(r, "max_concurrent_trees", rw, true);
    if (inr.max_concurrent_trees.value != std::floor(inr.max_concurrent_trees.value))
      throw ModelError(rw + ": max_concurrent_trees must be an integer");
  }
  return p;
}

FabricProfile load_fabric_profile(const std::string& name_or_path) {
  for (const auto& f : embedded_files()) {
    if (std::string(f.kind) == "profiles" && name_or_path == f.name) {
      return parse_fabric_profile(nlohmann::json::parse(f.text));
    }
  }
  std::ifstream probe(name_or_path);
  if (!probe) {
    std::string names;
    for (const auto& n : list_profiles()) names += (names.empty() ? "" : ", ") + n;
    throw ModelError("unknown fabric '" + name_or_path + "' (not a profile: " + names +
                     "; not a readable file)");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_util::read_text_file(name_or_path));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(name_or_path + ": invalid JSON: " + e.what());
  }
  return parse_fabric_profile(j);
}

std::vector<std::string> list_profiles() {
  std::vector<std::string> out;
  for (const auto& f : embedded_files())
    if (std::string(f.kind) == "profiles") out.emplace_back(f.name);
  return out;
}

nlohmann::json to_json(const FabricProfile& p) {
  auto s = [](const Sourced& x) {
    return nlohmann::json{{"value", x.value}, {"source", x.source}};
  };
  const InNetworkReduction& r = p.in_network_reduction;
  nlohmann::json inr = nullptr;  // null: not supported
  if (r.supported)
    inr = {{"switch_latency_ns", s(r.switch_latency_ns)},
           {"reduction_gbps", s(r.reduction_gbps)},
           {"max_concurrent_trees", s(r.max_concurrent_trees)}};
  return {{"in_network_reduction", inr},
          {"name", p.name},
          {"description", p.description},
          {"transport", p.transport},
          {"flow_control", p.flow_control},
          {"routing", to_string(p.routing)},
          {"qps_per_connection", s(p.qps_per_connection)},
          {"mtu_payload_bytes", s(p.mtu_payload_bytes)},
          {"header_bytes_per_packet", s(p.header_bytes_per_packet)},
          {"switch_latency_ns", s(p.switch_latency_ns)},
          {"network_step_latency_us", s(p.network_step_latency_us)},
          {"tree_network_step_latency_us", s(p.tree_network_step_latency_us)},
          {"base_latency_us", s(p.base_latency_us)}};
}

}  // namespace fb::model
