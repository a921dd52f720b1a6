// bind_rank() with hwloc: the cores nearest the rank's GPU, else one core per local rank.
#include <hwloc.h>

#include <string>

#include "harness/hwloc_topology.h"
#include "harness/sysinfo.h"

namespace fb {

using sysinfo::Topology;

BindResult bind_rank(int local_rank, int local_size, const std::string& gpu_pci_bus_id,
                     BindScope scope) {
  const int how = scope == BindScope::kThread ? HWLOC_CPUBIND_THREAD : HWLOC_CPUBIND_PROCESS;
  BindResult r;
  Topology topo(!gpu_pci_bus_id.empty());
  if (topo.get() == nullptr) {
    r.cpuset = current_cpuset();
    r.description = "not bound: hwloc could not load the topology";
    return r;
  }
  hwloc_topology_t t = topo.get();
  std::string note;
  if (!gpu_pci_bus_id.empty()) {
    hwloc_obj_t pci = hwloc_get_pcidev_by_busidstring(t, gpu_pci_bus_id.c_str());
    hwloc_obj_t near = pci == nullptr ? nullptr : hwloc_get_non_io_ancestor_obj(t, pci);
    if (near != nullptr && hwloc_set_cpubind(t, near->cpuset, how) == 0) {
      r.bound = true;
      r.cpuset = current_cpuset();
      r.description = "cores near GPU " + gpu_pci_bus_id + " (local rank " +
                      std::to_string(local_rank) + " of " + std::to_string(local_size) + ")";
      return r;
    }
    note = near == nullptr ? "; GPU " + gpu_pci_bus_id + " not found by hwloc"
                           : "; binding near GPU " + gpu_pci_bus_id + " failed";
  }
  const int ncores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
  if (ncores <= 0 || local_rank < 0) {
    r.cpuset = current_cpuset();
    r.description = "not bound: hwloc found no cores" + note;
    return r;
  }
  // Round-robin: local rank i on core i mod cores, so oversubscription shares cores evenly.
  const int core_index = local_rank % ncores;
  hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(core_index));
  if (core == nullptr || hwloc_set_cpubind(t, core->cpuset, how) != 0) {
    r.cpuset = current_cpuset();
    r.description = "not bound: binding to core " + std::to_string(core_index) + " failed" + note;
    return r;
  }
  r.bound = true;
  r.cpuset = current_cpuset();
  r.description = "core " + std::to_string(core_index) + " (local rank " +
                  std::to_string(local_rank) + " of " + std::to_string(local_size) +
                  (local_size > ncores ? ", oversubscribed on " + std::to_string(ncores) + " cores"
                                       : std::string()) +
                  ")" + note;
  return r;
}

}  // namespace fb
