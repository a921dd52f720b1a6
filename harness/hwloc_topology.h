// A loaded hwloc topology (builds with hwloc only: machine_info_hwloc.cc, cpu_bind_hwloc.cc).
#pragma once

#include <hwloc.h>

namespace fb::sysinfo {

// Owns a loaded topology; `io` adds PCI and OS devices (GPUs, NICs), which costs a /sys scan.
class Topology {
 public:
  explicit Topology(bool io) {
    if (hwloc_topology_init(&topo_) != 0) {
      topo_ = nullptr;
      return;
    }
    if (io) hwloc_topology_set_io_types_filter(topo_, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    if (hwloc_topology_load(topo_) != 0) {
      hwloc_topology_destroy(topo_);
      topo_ = nullptr;
    }
  }
  ~Topology() {
    if (topo_ != nullptr) hwloc_topology_destroy(topo_);
  }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  hwloc_topology_t get() const { return topo_; }

 private:
  hwloc_topology_t topo_ = nullptr;
};

}  // namespace fb::sysinfo
