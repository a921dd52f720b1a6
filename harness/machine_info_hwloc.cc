// machine_summary() with hwloc: packages, NUMA nodes, cores, PUs, GPUs and NICs with their PCI
// bus ids and nearest cores.
#include <hwloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness/hwloc_topology.h"
#include "harness/sysinfo.h"
#include "harness/sysinfo_proc.h"

namespace fb {
namespace {

using sysinfo::cpuinfo_value;
using sysinfo::hex16;
using sysinfo::is_gpu_class;
using sysinfo::is_nic_class;
using sysinfo::os_description;
using sysinfo::Topology;

std::string bitmap_list(hwloc_const_bitmap_t set) {
  char* text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, set) < 0 || text == nullptr) return "";
  std::string out(text);
  std::free(text);
  return out;
}

// The release built against (the API version alone lags releases: 2.9.0 has API 2.8.0).
std::string hwloc_version() {
#ifdef HWLOC_VERSION
  return std::string("hwloc ") + HWLOC_VERSION;
#else
  const unsigned api = hwloc_get_api_version();
  return "hwloc API " + std::to_string(api >> 16) + "." + std::to_string((api >> 8) & 0xff);
#endif
}

std::string pci_bus_id(hwloc_obj_t pci) {
  char buf[32];
  const auto& a = pci->attr->pcidev;
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%01x", a.domain, a.bus, a.dev, a.func);
  return buf;
}

std::string info(hwloc_obj_t obj, const char* name) {
  const char* v = hwloc_obj_get_info_by_name(obj, name);
  return v == nullptr ? "" : v;
}

nlohmann::json pci_entry(hwloc_topology_t topo, hwloc_obj_t pci) {
  const auto& a = pci->attr->pcidev;
  nlohmann::json entry = {{"pci_bus_id", pci_bus_id(pci)},
                          {"vendor_id", hex16(a.vendor_id)},
                          {"device_id", hex16(a.device_id)}};
  std::string name = info(pci, "PCIDevice");
  std::vector<std::string> osdevs;
  for (hwloc_obj_t child = pci->io_first_child; child != nullptr; child = child->next_sibling) {
    if (child->type != HWLOC_OBJ_OS_DEVICE) continue;
    osdevs.emplace_back(child->name != nullptr ? child->name : "?");
    if (const std::string model = info(child, "GPUModel"); !model.empty()) name = model;
  }
  if (!name.empty()) entry["name"] = name;
  entry["os_devices"] = osdevs;
  // PCIe link bandwidth as hwloc reports it (GB/s), 0 when unknown (often in VMs).
  if (a.linkspeed > 0) entry["link_gbytes_per_s"] = a.linkspeed;
  if (hwloc_obj_t near = hwloc_get_non_io_ancestor_obj(topo, pci); near != nullptr) {
    entry["near_cpuset"] = bitmap_list(near->cpuset);
  }
  return entry;
}

}  // namespace

nlohmann::json machine_summary() {
  nlohmann::json m = {{"hostname", hostname()},
                      {"cpu_model", cpuinfo_value({"model name", "Hardware", "cpu model"})},
                      {"memory_bytes", total_memory_bytes()},
                      {"os", os_description()}};
  Topology topo(true);
  if (topo.get() == nullptr) {
    m["hwloc"] = proc_topology_summary();
    m["hwloc"]["note"] = "hwloc could not load the topology";
  } else {
    hwloc_topology_t t = topo.get();
    nlohmann::json gpus = nlohmann::json::array(), nics = nlohmann::json::array();
    for (hwloc_obj_t pci = hwloc_get_next_pcidev(t, nullptr); pci != nullptr;
         pci = hwloc_get_next_pcidev(t, pci)) {
      const auto& a = pci->attr->pcidev;
      if (is_gpu_class(a.class_id, a.vendor_id)) gpus.push_back(pci_entry(t, pci));
      if (is_nic_class(a.class_id)) nics.push_back(pci_entry(t, pci));
    }
    m["hwloc"] = {{"source", hwloc_version()},
                  {"packages", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE)},
                  {"numa_nodes", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE)},
                  {"cores", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE)},
                  {"pus", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU)},
                  {"gpus", gpus},
                  {"nics", nics}};
  }
  m["cores"] = m["hwloc"]["cores"];
  m["hw_threads"] = m["hwloc"]["pus"];
  if (m["cpu_model"].get<std::string>().empty()) m["cpu_model"] = os_description();
  return m;
}

}  // namespace fb
