// Machine description and rank binding. hwloc when built with it; otherwise a reduced view from
// /proc and /sys and sched_setaffinity. Nothing here fails the run: what cannot be learned is
// left out or reported as a reason.
#include "harness/sysinfo.h"

#include <dirent.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fb_config.h"

#if FB_HAVE_HWLOC
#include <hwloc.h>
#endif

namespace fb {
namespace {

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
[[maybe_unused]] std::vector<int> machine_cpus() {
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

}  // namespace

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::size_t total_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return meminfo_bytes("MemTotal");
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
}

std::string keep_freed_heap() {
#if defined(__GLIBC__)
  // Trim threshold first: mallopt(M_MMAP_MAX) alone would still return the heap top to the OS.
  if (mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) != 1 ||
      mallopt(M_MMAP_MAX, 0) != 1) {
    return "--keep-heap: mallopt refused (M_TRIM_THRESHOLD, M_MMAP_MAX)";
  }
  return "";
#else
  return "--keep-heap needs glibc's malloc (mallopt M_MMAP_MAX, M_TRIM_THRESHOLD)";
#endif
}

std::size_t available_memory_bytes() {
  std::size_t avail = meminfo_bytes("MemAvailable");
  if (avail == 0) {
    const long pages = sysconf(_SC_AVPHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0)
      avail = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
  }
  const std::size_t headroom = cgroup_headroom_bytes();
  return headroom > 0 ? std::min(avail, headroom) : avail;
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

#if FB_HAVE_HWLOC
namespace {

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

#else  // !FB_HAVE_HWLOC

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

BindResult bind_rank(int local_rank, int local_size, const std::string& gpu_pci_bus_id,
                     BindScope) {  // sched_setaffinity(0) binds the calling thread either way
  // Without hwloc the core structure is unknown: one logical CPU per local rank, round-robin over
  // the CPUs of the machine (not this process's affinity, which a launcher may have narrowed
  // already). GPU locality needs hwloc.
  BindResult r;
  const std::vector<int> cpus = machine_cpus();
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

#endif

}  // namespace fb
