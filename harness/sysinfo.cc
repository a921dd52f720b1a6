// Machine description from /proc and /sys (the parts every build has). hwloc's view, when built
// with it, is in machine_info_hwloc.cc; binding in cpu_bind_*.cc; memory in host_memory.cc.
// Nothing here fails the run: what cannot be learned is left out or reported as a reason.
#include "harness/sysinfo.h"

#include <dirent.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/sysinfo_proc.h"

namespace fb {
namespace sysinfo {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

// Value of the first "key : value" line of /proc/cpuinfo whose key is one of `keys`.
std::string cpuinfo_value(const std::vector<std::string>& keys) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      return trim(line.substr(colon + 1));
    }
  }
  return "";
}

// Value in bytes of a "Key:   123 kB" line of /proc/meminfo, 0 if absent.
std::size_t meminfo_bytes(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::size_t kb = 0;
  std::string unit;
  while (in >> name >> kb) {
    std::getline(in, unit);
    if (name == key + ":") return kb * 1024;
  }
  return 0;
}

// Memory this process may still use under its cgroup (v2, then v1), or 0 when unlimited.
std::size_t cgroup_headroom_bytes() {
  const std::pair<const char*, const char*> files[] = {
      {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
      {"/sys/fs/cgroup/memory/memory.limit_in_bytes",
       "/sys/fs/cgroup/memory/memory.usage_in_bytes"}};
  for (const auto& f : files) {
    const std::string limit = read_first_line(f.first);
    if (limit.empty() || limit == "max") continue;
    try {
      const unsigned long long lim = std::stoull(limit);
      const unsigned long long used = std::stoull(read_first_line(f.second));
      // v1 reports "unlimited" as a huge page-rounded number; anything above RAM is no limit.
      if (lim >= total_memory_bytes()) continue;
      return lim > used ? static_cast<std::size_t>(lim - used) : 0;
    } catch (const std::exception&) {
      continue;
    }
  }
  return 0;
}

std::string os_description() {
  std::string os;
  struct utsname u;
  if (uname(&u) == 0) os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string name = line.substr(12);
    name.erase(std::remove(name.begin(), name.end(), '"'), name.end());
    os += " (" + name + ")";
    break;
  }
  return os;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

// "0-3,8" -> {0, 1, 2, 3, 8}; empty on anything malformed.
std::vector<int> parse_ranges(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    try {
      const auto dash = part.find('-');
      const int lo = std::stoi(part.substr(0, dash));
      const int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      for (int c = lo; c <= hi; ++c) out.push_back(c);
    } catch (const std::exception&) {
      return {};
    }
  }
  return out;
}

// The CPUs this machine lets the job use: the cgroup's (v2), else the online ones.
std::vector<int> machine_cpus() {
  for (const char* f : {"/sys/fs/cgroup/cpuset.cpus.effective", "/sys/devices/system/cpu/online"}) {
    std::vector<int> cpus = parse_ranges(read_first_line(f));
    if (!cpus.empty()) return cpus;
  }
  return allowed_cpus();
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
  if (!dir) return names;
  while (const dirent* e = readdir(dir.get())) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string hex16(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v & 0xffffu);
  return buf;
}

// Display-class devices from GPU vendors, and 3D controllers (datacenter GPUs); a VM's emulated
// VGA or a server's BMC graphics is not a GPU worth listing.
bool is_gpu_class(unsigned class_id, unsigned vendor_id) {
  const bool display = (class_id >> 8) == 0x03;
  const bool gpu_vendor = vendor_id == 0x10de || vendor_id == 0x1002 || vendor_id == 0x8086;
  return class_id == 0x0302 || (display && gpu_vendor);
}
bool is_nic_class(unsigned class_id) { return (class_id >> 8) == 0x02; }

}  // namespace sysinfo

using sysinfo::allowed_cpus;
using sysinfo::hex16;
using sysinfo::is_gpu_class;
using sysinfo::is_nic_class;
using sysinfo::list_dir;
using sysinfo::read_first_line;
using sysinfo::trim;

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_ranges(std::vector<int> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string out;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(values[i]);
    if (j > i) out += "-" + std::to_string(values[j]);
    i = j + 1;
  }
  return out;
}

std::string current_cpuset() { return format_ranges(allowed_cpus()); }

nlohmann::json proc_topology_summary() {
  std::set<std::string> packages;
  std::set<std::pair<std::string, std::string>> cores;
  int pus = 0;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line, package = "0";
    while (std::getline(in, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = trim(line.substr(0, colon));
      const std::string value = trim(line.substr(colon + 1));
      if (key == "processor") {
        ++pus;
        package = "0";
      } else if (key == "physical id") {
        package = value;
        packages.insert(value);
      } else if (key == "core id") {
        cores.insert({package, value});
      }
    }
  }
  nlohmann::json gpus = nlohmann::json::array(), nics = nlohmann::json::array();
  for (const auto& dev : list_dir("/sys/bus/pci/devices")) {
    const std::string base = "/sys/bus/pci/devices/" + dev + "/";
    unsigned long cls = 0, vendor = 0, device = 0;
    try {
      cls = std::stoul(read_first_line(base + "class"), nullptr, 16) >> 8;  // drop prog-if
      vendor = std::stoul(read_first_line(base + "vendor"), nullptr, 16);
      device = std::stoul(read_first_line(base + "device"), nullptr, 16);
    } catch (const std::exception&) {
      continue;
    }
    const auto c = static_cast<unsigned>(cls), v = static_cast<unsigned>(vendor);
    if (!is_gpu_class(c, v) && !is_nic_class(c)) continue;
    nlohmann::json entry = {{"pci_bus_id", dev},
                            {"vendor_id", hex16(v)},
                            {"device_id", hex16(static_cast<unsigned>(device))}};
    if (is_nic_class(c)) {
      std::vector<std::string> names = list_dir(base + "net");
      for (const auto& sub : list_dir(base)) {  // virtio-net: <dev>/virtio0/net/eth0
        if (sub.rfind("virtio", 0) != 0) continue;
        for (auto& n : list_dir(base + sub + "/net")) names.push_back(n);
      }
      entry["os_devices"] = names;
      nics.push_back(entry);
    } else {
      gpus.push_back(entry);
    }
  }
  const auto nodes = list_dir("/sys/devices/system/node");
  const auto numa = std::count_if(nodes.begin(), nodes.end(), [](const std::string& n) {
    return n.rfind("node", 0) == 0 && n.size() > 4 &&
           std::isdigit(static_cast<unsigned char>(n[4]));
  });
  return {{"source", "/proc and /sys"},
          {"packages", std::max<std::size_t>(packages.size(), 1)},
          {"numa_nodes", std::max<long>(static_cast<long>(numa), 1)},
          {"cores", cores.empty() ? pus : static_cast<int>(cores.size())},
          {"pus", pus},
          {"gpus", gpus},
          {"nics", nics}};
}

}  // namespace fb
