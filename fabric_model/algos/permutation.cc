// Random permutation traffic: every rank sends B to one other rank outside its domain (a
// fabric stress pattern, not a collective).
#include <algorithm>
#include <numeric>
#include <random>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {
namespace {

std::string permutation_na(const PlanRequest& r) {
  if (r.collective != Collective::kPermutation) return "models permutation traffic only";
  if (r.ranks / r.domain < 2) return "permutation traffic needs at least 2 scale-up domains";
  return "";
}

CollectivePlan permutation_plan(const PlanRequest& r) {
  CollectivePlan plan = algo_util::start(r, "permutation");
  const std::int64_t n = r.ranks;
  const int d = r.domain;
  const std::uint64_t seed = r.seed;
  Phase p;
  p.name = "random permutation";
  p.bytes_per_step = static_cast<double>(r.bytes);
  p.pattern_key = "permutation";
  p.hop_src = 0;
  p.hop_dst = n - 1;
  p.connections = [n, d, seed](std::vector<Connection>& out) {
    // Uniform random permutation of ranks, then swaps until no rank targets its own domain.
    std::vector<std::int64_t> dst(static_cast<std::size_t>(n));
    std::iota(dst.begin(), dst.end(), 0);
    std::mt19937_64 rng(seed * 0x2545f4914f6cdd1dULL + 11);
    std::shuffle(dst.begin(), dst.end(), rng);
    std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
    for (int pass = 0; pass < 64; ++pass) {
      bool clean = true;
      for (std::int64_t q = 0; q < n; ++q) {
        auto& x = dst[static_cast<std::size_t>(q)];
        if (x / d != q / d) continue;
        clean = false;
        const std::int64_t o = pick(rng);
        auto& y = dst[static_cast<std::size_t>(o)];
        if (y / d != q / d && x / d != o / d) std::swap(x, y);
      }
      if (clean) break;
    }
    out.reserve(static_cast<std::size_t>(n));
    for (std::int64_t q = 0; q < n; ++q)
      if (dst[static_cast<std::size_t>(q)] / d != q / d)
        out.push_back({q, dst[static_cast<std::size_t>(q)]});
  };
  plan.phases.push_back(std::move(p));
  return plan;
}

}  // namespace

extern const ModelAlgorithm kPermutationAlgorithm = {
    "permutation", "random permutation traffic (fabric stress pattern)", permutation_na,
    permutation_plan, "p2p"};

}  // namespace fb::model
