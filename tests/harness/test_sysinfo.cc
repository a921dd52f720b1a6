// Machine summary and rank binding. The machine varies, so these check consistency between
// independent views (hwloc against /proc, sched_getaffinity against what bind_rank reports) and
// formats, and binding exactly against hwloc's core list.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>

#include "fb_config.h"
#include "harness/sysinfo.h"

#if FB_HAVE_HWLOC
#include <hwloc.h>
#endif

namespace fb {
namespace {

const std::regex kCpuList(R"(\d+(-\d+)?(,\d+(-\d+)?)*)");

// Restores the test process's CPU affinity, whatever a test bound it to.
class AffinityGuard {
 public:
  AffinityGuard() { sched_getaffinity(0, sizeof saved_, &saved_); }
  ~AffinityGuard() { sched_setaffinity(0, sizeof saved_, &saved_); }

 private:
  cpu_set_t saved_;
};

TEST(Sysinfo, UtcNowIsIso8601) {
  EXPECT_TRUE(std::regex_match(utc_now(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << utc_now();
}

TEST(Sysinfo, HostnameIsTheKernels) {
  char buf[256] = {};
  ASSERT_EQ(gethostname(buf, sizeof buf - 1), 0);
  EXPECT_EQ(hostname(), buf);
}

TEST(Sysinfo, MemoryIsPositiveAndAvailableFitsInTotal) {
  EXPECT_GT(total_memory_bytes(), 0u);
  EXPECT_GT(available_memory_bytes(), 0u);
  EXPECT_LE(available_memory_bytes(), total_memory_bytes());
}

TEST(Sysinfo, CurrentCpusetMatchesAffinity) {
  const std::string set = current_cpuset();
  EXPECT_TRUE(std::regex_match(set, kCpuList)) << set;
  cpu_set_t mask;
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  // The first CPU of the list is the lowest one set in the mask.
  int lowest = 0;
  while (!CPU_ISSET(lowest, &mask)) ++lowest;
  EXPECT_EQ(std::stoi(set), lowest);
}

void expect_topology_counts(const nlohmann::json& t) {
  ASSERT_TRUE(t.is_object());
  for (const char* key : {"packages", "numa_nodes", "cores", "pus"}) {
    ASSERT_TRUE(t[key].is_number_integer()) << key;
    EXPECT_GE(t[key].get<int>(), 1) << key;
  }
  EXPECT_LE(t["packages"].get<int>(), t["cores"].get<int>());
  EXPECT_LE(t["cores"].get<int>(), t["pus"].get<int>());
  ASSERT_TRUE(t["gpus"].is_array());
  ASSERT_TRUE(t["nics"].is_array());
  const std::regex bus_id(R"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f])");
  for (const char* kind : {"gpus", "nics"}) {
    for (const auto& d : t[kind]) {
      EXPECT_TRUE(std::regex_match(d["pci_bus_id"].get<std::string>(), bus_id)) << d.dump();
      EXPECT_EQ(d["vendor_id"].get<std::string>().size(), 6u) << d.dump();
    }
  }
}

TEST(Sysinfo, MachineSummaryHasEveryField) {
  const nlohmann::json m = machine_summary();
  EXPECT_EQ(m["hostname"], hostname());
  EXPECT_FALSE(m["cpu_model"].get<std::string>().empty());
  EXPECT_EQ(m["memory_bytes"].get<std::size_t>(), total_memory_bytes());
  EXPECT_FALSE(m["os"].get<std::string>().empty());
  expect_topology_counts(m["hwloc"]);
  EXPECT_EQ(m["cores"], m["hwloc"]["cores"]);
  EXPECT_EQ(m["hw_threads"], m["hwloc"]["pus"]);
}

TEST(Sysinfo, ProcSummaryAgreesWithHwloc) {
  const nlohmann::json proc = proc_topology_summary();
  expect_topology_counts(proc);
  const nlohmann::json hw = machine_summary()["hwloc"];
  // hwloc sees the CPUs this process may use; /proc lists every online one.
  EXPECT_GE(proc["pus"].get<int>(), hw["pus"].get<int>());
  EXPECT_GE(proc["cores"].get<int>(), hw["cores"].get<int>());
  EXPECT_EQ(proc["gpus"].size(), hw["gpus"].size());
  // Both views list the same PCI network devices (hwloc keeps the important ones: all NICs).
  EXPECT_EQ(proc["nics"].size(), hw["nics"].size());
  EXPECT_GE(static_cast<long>(sysconf(_SC_NPROCESSORS_ONLN)), proc["pus"].get<long>());
}

#if FB_HAVE_HWLOC
// PU list of core `index` from hwloc directly, the expected binding.
std::string core_pus(int index) {
  hwloc_topology_t t;
  hwloc_topology_init(&t);
  hwloc_topology_load(t);
  hwloc_obj_t core = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, static_cast<unsigned>(index));
  char* text = nullptr;
  hwloc_bitmap_list_asprintf(&text, core->cpuset);
  std::string out(text);
  free(text);
  hwloc_topology_destroy(t);
  return out;
}

int hwloc_cores() { return machine_summary()["hwloc"]["cores"].get<int>(); }

TEST(BindRank, OneCorePerLocalRankRoundRobin) {
  AffinityGuard guard;
  const int cores = hwloc_cores();
  // One more rank than cores: the last one wraps around to core 0.
  for (int local = 0; local <= cores; ++local) {
    const BindResult r = bind_rank(local, cores + 1, "");
    ASSERT_TRUE(r.bound) << r.description;
    EXPECT_EQ(r.cpuset, core_pus(local % cores)) << local;
    EXPECT_EQ(r.cpuset, current_cpuset());
    EXPECT_EQ(r.description.rfind("core " + std::to_string(local % cores) + " (local rank " +
                                      std::to_string(local) + " of " + std::to_string(cores + 1),
                                  0),
              0u)
        << r.description;
    EXPECT_NE(r.description.find("oversubscribed on " + std::to_string(cores) + " cores"),
              std::string::npos)
        << r.description;
  }
}

TEST(BindRank, UnknownGpuFallsBackToACoreAndSaysWhy) {
  AffinityGuard guard;
  const BindResult r = bind_rank(0, 1, "0000:ff:1f.7");
  ASSERT_TRUE(r.bound) << r.description;
  EXPECT_EQ(r.cpuset, core_pus(0));
  EXPECT_EQ(r.description, "core 0 (local rank 0 of 1); GPU 0000:ff:1f.7 not found by hwloc");
}
#endif

// The sanitizers replace malloc; their mallopt does nothing, so --keep-heap must say it failed.
#if defined(__SANITIZE_ADDRESS__)
#define FB_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FB_TEST_ASAN 1
#endif
#endif

#if !defined(FB_TEST_ASAN)
long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Allocates, touches every page and frees 64 MiB (above glibc's largest mmap threshold, 32 MiB);
// returns the page faults the touching took.
long faults_of_fresh_block() {
  constexpr std::size_t kBytes = 64u << 20;
  auto* p = static_cast<char*>(std::malloc(kBytes));
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return -1;
  const long before = minor_faults();
  std::memset(p, 1, kBytes);
  const long faults = minor_faults() - before;
  volatile char sink = p[kBytes / 2];
  (void)sink;
  std::free(p);
  return faults;
}
#endif

// (Each test runs in its own process under ctest, so the process-wide mallopt stays here.)
TEST(KeepHeap, FreedBlocksStayMappedSoReuseTakesNoPageFaults) {
#if defined(FB_TEST_ASAN)
  EXPECT_NE(keep_freed_heap(), "");
#else
  ASSERT_EQ(keep_freed_heap(), "");
  faults_of_fresh_block();  // the first time the pages are new
  // The same size again reuses the pages kept mapped: (almost) no faults. Without --keep-heap,
  // glibc maps 64 MiB afresh on each malloc and this is ~16384 faults (4 KiB pages).
  const long again = faults_of_fresh_block();
  EXPECT_LT(again, 64) << "a freed 64 MiB block was unmapped and faulted in again";
#endif
}

}  // namespace
}  // namespace fb
