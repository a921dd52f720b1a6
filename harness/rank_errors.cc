#include "harness/rank_errors.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace fb {
namespace {

// Every rank learns whether any rank failed.
bool any_rank_failed(World& world, bool failed) {
  double f = failed ? 1.0 : 0.0;
  world.allreduce_max(&f, 1);
  return f > 0;
}

}  // namespace

bool report_rank_errors(World& world, const std::string& error) {
  if (!any_rank_failed(world, !error.empty())) return false;
  const std::vector<std::string> all = world.allgather_string(error);
  if (world.rank() != 0) return true;
  std::vector<std::pair<std::string, std::string>> distinct;  // message, ranks
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty()) continue;
    auto it = std::find_if(distinct.begin(), distinct.end(),
                           [&](const auto& d) { return d.first == all[r]; });
    if (it == distinct.end()) it = distinct.insert(distinct.end(), {all[r], ""});
    if (!it->second.empty()) it->second += ',';
    it->second += std::to_string(r);
  }
  for (const auto& [message, ranks] : distinct) {
    const bool everywhere =
        std::count(all.begin(), all.end(), message) == static_cast<std::ptrdiff_t>(all.size());
    if (everywhere || all.size() == 1) {
      std::fprintf(stderr, "fabricbench: %s\n", message.c_str());
    } else {
      std::fprintf(stderr, "fabricbench: rank%s %s: %s\n",
                   ranks.find(',') == std::string::npos ? "" : "s", ranks.c_str(), message.c_str());
    }
  }
  return true;
}

}  // namespace fb
