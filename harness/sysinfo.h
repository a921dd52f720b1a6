// What machine ran this: host, CPU model and cores, memory, hwloc summary (packages, NUMA nodes,
// cores, GPUs, NICs), and per-rank CPU binding. Everything here goes into the results' meta.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fb {

struct BindResult {
  bool bound = false;
  std::string cpuset;       // e.g. "0" or "0-3" (the cores this rank runs on)
  std::string description;  // "core 0 (local rank 0 of 2)", or why it was not bound
};

// Who a binding applies to: the whole process (a rank per process), or only the calling thread
// and those it creates later (ranks that are threads of one process, -g N).
enum class BindScope { kProcess, kThread };

// Binds the calling process to one core per local rank, round-robin over the cores (or to the
// cores nearest `gpu_pci_bus_id`, e.g. "0000:04:00.0", if not empty) with hwloc. Never fails the
// run: when binding is impossible the reason is returned. Without hwloc: one logical CPU per
// local rank for the calling thread and those it creates later, so call it early.
BindResult bind_rank(int local_rank, int local_size, const std::string& gpu_pci_bus_id,
                     BindScope scope = BindScope::kProcess);

// "0-3,8,10-11" from integers in any order (CPU lists, rank lists), as Linux and hwloc write them.
std::string format_ranges(std::vector<int> values);

// Current binding of the calling process, without changing it.
std::string current_cpuset();

// {"hostname", "cpu_model", "cores", "hw_threads", "memory_bytes", "os",
//  "hwloc": {"packages", "numa_nodes", "cores", "pus", "gpus": [...], "nics": [...]}}
nlohmann::json machine_summary();
// The reduced "hwloc" part of the summary from /proc and /sys, what machine_summary() reports
// when built without hwloc (exposed so tests can compare the two views).
nlohmann::json proc_topology_summary();

std::string hostname();
std::size_t total_memory_bytes();
std::size_t available_memory_bytes();
// --keep-heap: freed host memory stays mapped in this process (glibc: no mmap for large blocks,
// no trimming), so a library's per-call temporary buffers are not page-faulted anew on every
// call. Open MPI's all_reduce allocates one per call; glibc serves blocks of 32 MiB and more with
// a fresh mmap each time, so without this every call above that size pays its page faults.
// Returns "" on success, else why it could not be done (not glibc, mallopt refused).
std::string keep_freed_heap();
// ISO 8601 UTC, e.g. 2026-11-25T21:37:54Z.
std::string utc_now();

}  // namespace fb
