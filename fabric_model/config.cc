#include "fabric_model/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric_model/embedded_data.h"

namespace fb::model {

namespace json_util {

void reject_unknown_keys(const nlohmann::json& j, const std::vector<std::string>& allowed,
                         const std::string& where) {
  if (!j.is_object()) throw ModelError(where + ": expected a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      std::string message = where;
      message.append(": unknown key '").append(printable(it.key())).append("'");
      throw ModelError(message);
    }
  }
}

std::string printable(const std::string& text) {
  std::string out = text.substr(0, 80);
  for (char& ch : out) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return out;
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ModelError("'" + path + "' is a directory, not a file");
  std::ifstream in(path);
  if (!in) throw ModelError("cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ModelError("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace json_util

namespace {

template <typename T>
T get_num(const nlohmann::json& j, const char* key, const std::string& where, bool required,
          T fallback) {
  if (!j.contains(key)) {
    if (required) throw ModelError(where + ": missing key '" + key + "'");
    return fallback;
  }
  const auto& v = j.at(key);
  if (!v.is_number()) throw ModelError(where + ": '" + key + "' must be a number");
  if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) throw ModelError(where + ": '" + key + "' must be an integer");
  }
  return v.get<T>();
}

}  // namespace

void ClusterConfig::validate() const {
  const std::string w = "topology '" + json_util::printable(name) + "'";
  if (gpus <= 0) throw ModelError(w + ": gpus must be positive");
  if (gpus_per_server <= 0) throw ModelError(w + ": gpus_per_server must be positive");
  if (scaleup_domain_gpus <= 0 || scaleup_domain_gpus % gpus_per_server != 0)
    throw ModelError(w + ": scaleup_domain_gpus must be a positive multiple of gpus_per_server");
  if (gpus % scaleup_domain_gpus != 0)
    throw ModelError(w + ": gpus (" + std::to_string(gpus) +
                     ") must be a multiple of scaleup_domain_gpus (" +
                     std::to_string(scaleup_domain_gpus) + ")");
  if (!(scaleup_gbps > 0)) throw ModelError(w + ": scaleup_gbps must be positive");
  if (scaleup_step_latency_us < 0) throw ModelError(w + ": scaleup_step_latency_us is negative");
  if (gpu_reduce_gbytes_per_s < 0) throw ModelError(w + ": gpu_reduce_gbytes_per_s is negative");
  if (scaleup_multicast_latency_us < 0)
    throw ModelError(w + ": scaleup_multicast_latency_us is negative");
  if (gpu_compute_capability < 10 || gpu_compute_capability > 200)
    throw ModelError(w + ": gpu_compute_capability must be the SM version x 10 (e.g. 90)");
  if (!(nic_gbps > 0)) throw ModelError(w + ": nic_gbps must be positive");
  if (planes < 1 || planes > 16) throw ModelError(w + ": planes must be in 1..16");
  if (tier_count < 0 || tier_count > 4)
    throw ModelError(w + ": tier_count must be 0 (auto) or 1..4");
  if (tiers.empty()) throw ModelError(w + ": at least one tier spec is needed");
  if (tiers.size() > 4) throw ModelError(w + ": at most 4 tiers");
  for (size_t i = 0; i < tiers.size(); ++i) {
    const auto& t = tiers[i];
    const std::string tw = w + " tier " + std::to_string(i + 1);
    if (t.radix < 2) throw ModelError(tw + ": radix must be at least 2");
    if (!(t.link_gbps > 0)) throw ModelError(tw + ": link_gbps must be positive");
    if (!(t.oversubscription_ratio > 0))
      throw ModelError(tw + ": oversubscription_ratio must be positive");
  }
}

ClusterConfig parse_cluster_config(const nlohmann::json& j) {
  std::string where = "topology";
  if (j.is_object() && j.contains("name") && j.at("name").is_string())
    where += " '" + json_util::printable(j.at("name").get<std::string>()) + "'";
  json_util::reject_unknown_keys(
      j,
      {"name", "source", "gpus", "gpus_per_server", "scaleup_domain_gpus", "scaleup_gbps",
       "scaleup_step_latency_us", "gpu_reduce_gbytes_per_s", "scaleup_multicast",
       "scaleup_multicast_latency_us", "gpu_compute_capability", "nic_gbps", "planes",
       "rail_optimized", "tier_count", "tiers", "notes"},
      where);
  ClusterConfig c;
  for (const char* key : {"name", "source"}) {
    if (j.contains(key) && !j.at(key).is_string())
      throw ModelError(where + ": '" + key + "' must be a string");
  }
  c.name = j.value("name", std::string("unnamed"));
  c.source = j.value("source", std::string());
  c.gpus = get_num<std::int64_t>(j, "gpus", where, true, 0);
  c.gpus_per_server = get_num<int>(j, "gpus_per_server", where, false, 8);
  c.scaleup_domain_gpus = get_num<int>(j, "scaleup_domain_gpus", where, false, c.gpus_per_server);
  c.scaleup_gbps = get_num<double>(j, "scaleup_gbps", where, true, 0);
  c.scaleup_step_latency_us = get_num<double>(j, "scaleup_step_latency_us", where, false, 0);
  c.gpu_reduce_gbytes_per_s = get_num<double>(j, "gpu_reduce_gbytes_per_s", where, false, 0);
  if (j.contains("scaleup_multicast")) {
    if (!j.at("scaleup_multicast").is_boolean())
      throw ModelError(where + ": 'scaleup_multicast' must be true or false");
    c.scaleup_multicast = j.at("scaleup_multicast").get<bool>();
  }
  c.scaleup_multicast_latency_us =
      get_num<double>(j, "scaleup_multicast_latency_us", where, c.scaleup_multicast, 0);
  c.gpu_compute_capability = get_num<int>(j, "gpu_compute_capability", where, false, 90);
  c.nic_gbps = get_num<double>(j, "nic_gbps", where, true, 0);
  c.planes = get_num<int>(j, "planes", where, false, 1);
  if (j.contains("rail_optimized")) {
    if (!j.at("rail_optimized").is_boolean())
      throw ModelError(where + ": 'rail_optimized' must be true or false");
    c.rail_optimized = j.at("rail_optimized").get<bool>();
  }
  c.tier_count = get_num<int>(j, "tier_count", where, false, 0);
  if (!j.contains("tiers") || !j.at("tiers").is_array())
    throw ModelError(where + ": 'tiers' must be an array of tier specs");
  int i = 0;
  for (const auto& t : j.at("tiers")) {
    const std::string tw = where + " tier " + std::to_string(++i);
    json_util::reject_unknown_keys(t, {"radix", "link_gbps", "oversubscription_ratio", "source"},
                                   tw);
    TierSpec s;
    s.radix = get_num<int>(t, "radix", tw, true, 0);
    s.link_gbps = get_num<double>(t, "link_gbps", tw, true, 0);
    s.oversubscription_ratio = get_num<double>(t, "oversubscription_ratio", tw, false, 1.0);
    c.tiers.push_back(s);
  }
  c.validate();
  return c;
}

ClusterConfig cluster_config_from_text(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(origin + ": invalid JSON: " + e.what());
  }
  return parse_cluster_config(j);
}

ClusterConfig load_cluster_config(const std::string& name_or_path) {
  for (const auto& f : embedded_files()) {
    if (std::string(f.kind) == "presets" && name_or_path == f.name)
      return cluster_config_from_text(f.text, std::string("preset ") + f.name);
  }
  std::ifstream probe(name_or_path);
  if (!probe) {
    std::string names;
    for (const auto& n : list_presets()) names += (names.empty() ? "" : ", ") + n;
    throw ModelError("unknown topology '" + name_or_path + "' (not a preset: " + names +
                     "; not a readable file)");
  }
  return cluster_config_from_text(json_util::read_text_file(name_or_path), name_or_path);
}

std::vector<std::string> list_presets() {
  std::vector<std::string> out;
  for (const auto& f : embedded_files())
    if (std::string(f.kind) == "presets") out.emplace_back(f.name);
  return out;
}

nlohmann::json to_json(const ClusterConfig& c) {
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& t : c.tiers)
    tiers.push_back({{"radix", t.radix},
                     {"link_gbps", t.link_gbps},
                     {"oversubscription_ratio", t.oversubscription_ratio}});
  return {{"name", c.name},
          {"source", c.source},
          {"gpus", c.gpus},
          {"gpus_per_server", c.gpus_per_server},
          {"scaleup_domain_gpus", c.scaleup_domain_gpus},
          {"scaleup_gbps", c.scaleup_gbps},
          {"scaleup_step_latency_us", c.scaleup_step_latency_us},
          {"gpu_reduce_gbytes_per_s", c.gpu_reduce_gbytes_per_s},
          {"scaleup_multicast", c.scaleup_multicast},
          {"scaleup_multicast_latency_us", c.scaleup_multicast_latency_us},
          {"gpu_compute_capability", c.gpu_compute_capability},
          {"nic_gbps", c.nic_gbps},
          {"planes", c.planes},
          {"rail_optimized", c.rail_optimized},
          {"tier_count", c.tier_count},
          {"tiers", tiers}};
}

}  // namespace fb::model
