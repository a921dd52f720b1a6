// Host memory: what the machine has, what this process may still use, and --keep-heap.
#include <unistd.h>  // first: it defines __GLIBC__ on glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <limits>
#include <string>

#include "harness/sysinfo.h"
#include "harness/sysinfo_proc.h"

namespace fb {

using sysinfo::cgroup_headroom_bytes;
using sysinfo::meminfo_bytes;

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

}  // namespace fb
