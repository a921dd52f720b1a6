// machine_summary() without hwloc: the reduced view from /proc and /sys.
#include "harness/sysinfo.h"
#include "harness/sysinfo_proc.h"

namespace fb {

using sysinfo::cpuinfo_value;
using sysinfo::os_description;

nlohmann::json machine_summary() {
  nlohmann::json m = {{"hostname", hostname()},
                      {"cpu_model", cpuinfo_value({"model name", "Hardware", "cpu model"})},
                      {"memory_bytes", total_memory_bytes()},
                      {"os", os_description()},
                      {"hwloc", proc_topology_summary()}};
  m["cores"] = m["hwloc"]["cores"];
  m["hw_threads"] = m["hwloc"]["pus"];
  return m;
}

}  // namespace fb
