// What /proc and /sys tell about this machine, shared by the machine description, the CPU binding
// and the host memory checks (harness/sysinfo*.cc, host_memory.cc, cpu_bind_*.cc). Each returns
// an empty or zero value when the file is missing or malformed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fb::sysinfo {

std::string trim(const std::string& s);
// First line of a file, trimmed.
std::string read_first_line(const std::string& path);
// Value of the first "key : value" line of /proc/cpuinfo whose key is one of `keys`.
std::string cpuinfo_value(const std::vector<std::string>& keys);
// Value in bytes of a "Key:   123 kB" line of /proc/meminfo, 0 if absent.
std::size_t meminfo_bytes(const std::string& key);
// Memory this process may still use under its cgroup (v2, then v1), or 0 when unlimited.
std::size_t cgroup_headroom_bytes();
std::string os_description();
// The CPUs this process may run on.
std::vector<int> allowed_cpus();
// "0-3,8" -> {0, 1, 2, 3, 8}; empty on anything malformed.
std::vector<int> parse_ranges(const std::string& text);
// The CPUs this machine lets the job use: the cgroup's (v2), else the online ones.
std::vector<int> machine_cpus();
std::vector<std::string> list_dir(const std::string& path);
std::string hex16(unsigned v);
// Display-class devices from GPU vendors, and 3D controllers (datacenter GPUs).
bool is_gpu_class(unsigned class_id, unsigned vendor_id);
bool is_nic_class(unsigned class_id);

}  // namespace fb::sysinfo
