// What machine ran this: host, CPU model and cores, memory, hwloc summary (packages, NUMA nodes,
// cores, GPUs, NICs), and per-rank CPU binding. Everything here goes into the results' meta.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fb {

struct BindResult {
  bool bound = false;
  std::string cpuset;       // e.g. "0" or "0-3" (the cores this rank runs on)
  std::string description;  // "core 0 (local rank 0 of 2)", or why it was not bound
};

// Binds the calling process to one core per local rank (or the cores nearest `gpu_pci_bus_id` if
// not empty) with hwloc. Never fails the run: when binding is impossible the reason is returned.
BindResult bind_rank(int local_rank, int local_size, const std::string& gpu_pci_bus_id);

// Current binding of the calling process, without changing it.
std::string current_cpuset();

// {"hostname", "cpu_model", "cores", "hw_threads", "memory_bytes", "os",
//  "hwloc": {"packages", "numa_nodes", "cores", "pus", "gpus": [...], "nics": [...]}}
nlohmann::json machine_summary();

std::string hostname();
std::size_t total_memory_bytes();
std::size_t available_memory_bytes();
// ISO 8601 UTC, e.g. 2026-11-25T21:37:54Z.
std::string utc_now();

}  // namespace fb
