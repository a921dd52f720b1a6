// bind_rank() without hwloc: sched_setaffinity to one logical CPU per local rank.
#include <sched.h>

#include <string>
#include <vector>

#include "harness/sysinfo.h"
#include "harness/sysinfo_proc.h"

namespace fb {

BindResult bind_rank(int local_rank, int local_size, const std::string& gpu_pci_bus_id,
                     BindScope) {  // sched_setaffinity(0) binds the calling thread either way
  // Without hwloc the core structure is unknown: one logical CPU per local rank, round-robin over
  // the CPUs of the machine (not this process's affinity, which a launcher may have narrowed
  // already). GPU locality needs hwloc.
  BindResult r;
  const std::vector<int> cpus = sysinfo::machine_cpus();
  if (cpus.empty() || local_rank < 0) {
    r.cpuset = current_cpuset();
    r.description = "not bound: no usable CPU found (built without hwloc)";
    return r;
  }
  const int cpu = cpus[static_cast<std::size_t>(local_rank) % cpus.size()];
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    r.cpuset = current_cpuset();
    r.description = "not bound: cpu " + std::to_string(cpu) +
                    " is not available to this process (built without hwloc)";
    return r;
  }
  r.bound = true;
  r.cpuset = current_cpuset();
  r.description = "cpu " + std::to_string(cpu) + " (local rank " + std::to_string(local_rank) +
                  " of " + std::to_string(local_size) + ", built without hwloc" +
                  (gpu_pci_bus_id.empty() ? "" : ": GPU locality unknown") + ")";
  return r;
}

}  // namespace fb
