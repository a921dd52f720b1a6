#include "fabric_model/power.h"

#include <algorithm>

#include "fabric_model/embedded_data.h"

namespace fb::model {

namespace {

const nlohmann::json& power_data() {
  static const nlohmann::json kData = [] {
    for (const auto& f : embedded_files())
      if (std::string(f.kind) == "power" && std::string(f.name) == "network_power")
        return nlohmann::json::parse(f.text);
    throw ModelError("fabric_model/power/network_power.json is not embedded");
  }();
  return kData;
}

std::string tier_label(int tier, const char* what) {
  std::string s = "tier ";
  s += std::to_string(tier);
  s += what;
  return s;
}

double watts_of(const nlohmann::json& e) {
  const auto& w = e.at("watts");
  return w.is_null() ? -1.0 : w.get<double>();
}

}  // namespace

NetworkPower network_power(const ClusterConfig& c, const BillOfMaterials& b,
                           const std::string& transport) {
  const nlohmann::json& d = power_data();
  const nlohmann::json* box = nullptr;
  for (const auto& s : d.at("switches"))
    if (s.at("transport") == transport) box = &s;
  if (box == nullptr)
    throw ModelError("no switch power figure for transport '" + transport +
                     "' (infiniband or rocev2)");
  NetworkPower p;
  p.transport = transport;
  auto add = [&p](std::string what, const nlohmann::json& dev, std::int64_t count, double each) {
    PowerItem it;
    it.what = std::move(what);
    it.device = dev.at("name").get<std::string>();
    it.count = count;
    it.watts_each = watts_of(dev) < 0 ? -1 : each;
    it.source = dev.at("watts_source").get<std::string>();
    if (it.watts_each < 0)
      p.not_counted.push_back(it.what);
    else
      p.counted_watts += it.watts();
    p.items.push_back(std::move(it));
  };
  const std::vector<TierSpec> spec = ClosTopology::resolve_tiers(c, b.tiers);
  const double box_w = watts_of(*box), box_gbps = box->at("capacity_gbps").get<double>();
  for (int i = 0; i < b.tiers; ++i) {
    const auto t = static_cast<std::size_t>(i);
    const double gbps = static_cast<double>(spec[t].radix) * spec[t].link_gbps;
    add(tier_label(i + 1, " switches"), *box, b.switches_per_tier[t], box_w * gbps / box_gbps);
  }
  const nlohmann::json& so = d.at("switch_optics");
  const nlohmann::json& no = d.at("nic_optics");
  const double so_w_per_gbps = watts_of(so) / so.at("gbps").get<double>();
  const double no_w_per_gbps = watts_of(no) / no.at("gbps").get<double>();
  for (std::size_t i = 0; i < b.links_above_tier.size(); ++i) {
    const double gbps = std::min(spec[i].link_gbps, spec[i + 1].link_gbps);
    add(tier_label(static_cast<int>(i) + 1, " to the tier above: switch-side optics (2 per link)"),
        so, 2 * b.links_above_tier[i], so_w_per_gbps * gbps);
  }
  const double host_gbps = std::min(c.nic_gbps / c.planes, spec[0].link_gbps);
  add("host links: switch-side optics", so, b.host_links, so_w_per_gbps * host_gbps);
  add("host links: NIC-side optics", no, b.host_links, no_w_per_gbps * host_gbps);
  const nlohmann::json* nic = nullptr;
  for (const auto& n : d.at("nics"))
    if (nic == nullptr && c.nic_gbps <= n.at("max_gbps").get<double>()) nic = &n;
  if (nic == nullptr) nic = &d.at("nics").back();
  add("NICs (one per GPU)", *nic, b.gpus, watts_of(*nic));
  return p;
}

nlohmann::json to_json(const NetworkPower& p) {
  nlohmann::json items = nlohmann::json::array();
  for (const PowerItem& it : p.items)
    items.push_back({{"what", it.what},
                     {"device", it.device},
                     {"count", it.count},
                     {"watts_each", it.watts_each >= 0 ? nlohmann::json(it.watts_each) : nullptr},
                     {"watts", it.watts_each >= 0 ? nlohmann::json(it.watts()) : nullptr},
                     {"source", it.source}});
  const double mw = p.network_power_mw();
  return {{"transport", p.transport},
          {"network_power_mw", mw >= 0 ? nlohmann::json(mw) : nullptr},
          {"counted_mw", p.counted_watts / 1e6},
          {"not_counted", p.not_counted},
          {"items", items},
          {"rules", power_data().at("rules")},
          {"data_file", "fabric_model/power/network_power.json"}};
}

}  // namespace fb::model
