#include "fabric_model/traffic.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {

std::string to_string(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kAllToAll:
      return "alltoall";
    case Collective::kPermutation:
      return "permutation";
  }
  return "?";
}
std::string to_string(Placement p) { return p == Placement::kAligned ? "aligned" : "fragmented"; }

Collective collective_from_string(const std::string& s) {
  if (s == "all_reduce" || s == "allreduce") return Collective::kAllReduce;
  if (s == "all_gather" || s == "allgather") return Collective::kAllGather;
  if (s == "reduce_scatter" || s == "reducescatter") return Collective::kReduceScatter;
  if (s == "alltoall" || s == "all_to_all") return Collective::kAllToAll;
  if (s == "permutation") return Collective::kPermutation;
  throw ModelError("unknown collective '" + s +
                   "' (expected all_reduce, all_gather, reduce_scatter, alltoall, permutation)");
}

double bus_factor(Collective c, std::int64_t ranks) {
  const double n = static_cast<double>(ranks);
  if (ranks < 1) return 1;
  switch (c) {
    case Collective::kAllReduce:
      return 2 * (n - 1) / n;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll:
      return (n - 1) / n;
    case Collective::kPermutation:
      return 1;
  }
  return 1;
}

int ring_steps(Collective c, std::int64_t ranks) {
  if (ranks < 2) return 1;
  const int p = static_cast<int>(ranks);
  switch (c) {
    case Collective::kAllReduce:
      return 2 * (p - 1);
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll:
      return p - 1;
    case Collective::kPermutation:
      return 1;
  }
  return 1;
}

bool is_ring_collective(Collective c) {
  return c == Collective::kAllReduce || c == Collective::kAllGather ||
         c == Collective::kReduceScatter;
}

std::string algo_from_string(const std::string& s) {
  if (s == "auto") return s;
  if (s == "hierarchical") return "hier";
  if (s == "dbtree") return "tree";
  if (find_model_algorithm(s) != nullptr) return s;
  std::string names = "auto";
  for (const ModelAlgorithm* a : model_algorithms()) names.append(", ").append(a->name);
  throw ModelError("unknown algo '" + s + "' (expected " + names + ")");
}

Placement placement_from_string(const std::string& s) {
  if (s == "aligned") return Placement::kAligned;
  if (s == "fragmented") return Placement::kFragmented;
  throw ModelError("unknown placement '" + s + "' (expected aligned or fragmented)");
}

std::vector<std::int64_t> make_placement(Placement p, std::int64_t ranks, int domain,
                                         std::uint64_t seed) {
  std::vector<std::int64_t> gpu(static_cast<std::size_t>(ranks));
  std::iota(gpu.begin(), gpu.end(), 0);
  if (p == Placement::kAligned) return gpu;
  const std::int64_t domains = ranks / domain;
  std::vector<std::int64_t> perm(static_cast<std::size_t>(domains));
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + 7);
  std::shuffle(perm.begin(), perm.end(), rng);
  for (std::int64_t r = 0; r < ranks; ++r)
    gpu[static_cast<std::size_t>(r)] =
        perm[static_cast<std::size_t>(r / domain)] * domain + r % domain;
  return gpu;
}

std::int64_t dbt_parent(std::int64_t n, int tree, std::int64_t i) {
  // Heap-ordered binary tree; the second tree mirrors node ids so that most interior nodes of
  // one tree are leaves of the other (NCCL's double binary tree uses mirroring/shifting alike).
  if (tree == 0) return i == 0 ? -1 : (i - 1) / 2;
  const std::int64_t m = n - 1 - i;
  return m == 0 ? -1 : n - 1 - (m - 1) / 2;
}

CollectivePlan make_plan(const std::string& algo, const PlanRequest& r) {
  if (r.ranks < 2) throw ModelError("a collective needs at least 2 ranks");
  if (r.domain < 1 || r.ranks % r.domain != 0)
    throw ModelError("ranks must be a multiple of the scale-up domain");
  const ModelAlgorithm* a = find_model_algorithm(algo_from_string(algo));
  if (a == nullptr) throw ModelError("algo 'auto' is a selection, not a plan");
  const std::string why = a->not_applicable(r);
  if (!why.empty()) throw ModelError("algo '" + std::string(a->name) + "' does not apply: " + why);
  return a->plan(r);
}

CollectivePlan make_plan(Collective c, const std::string& algo, std::int64_t ranks, int domain,
                         Bytes bytes, std::uint64_t seed) {
  PlanRequest r;
  r.collective = c;
  r.ranks = ranks;
  r.domain = domain;
  r.gpus_per_server = domain;
  r.bytes = bytes;
  r.seed = seed;
  return make_plan(algo, r);
}

namespace algo_util {

std::int64_t ceil_log2(std::int64_t n) {
  std::int64_t d = 0;
  while ((std::int64_t{1} << d) < n) ++d;
  return d;
}

CollectivePlan start(const PlanRequest& r, const char* algo) {
  CollectivePlan p;
  p.collective = r.collective;
  p.algo = algo;
  p.ranks = r.ranks;
  p.bytes = r.bytes;
  p.bus_factor = bus_factor(r.collective, r.ranks);
  return p;
}

std::string only_all_reduce(const PlanRequest& r) {
  if (r.collective == Collective::kAllReduce) return "";
  return "modelled for all_reduce only (not " + to_string(r.collective) + ")";
}

std::string needs_several_domains(const PlanRequest& r) {
  if (r.ranks / r.domain > 1) return "";
  return "needs more than one scale-up domain (the job fits in one NVLink domain)";
}

std::string ring_collectives_only(const PlanRequest& r) {
  if (r.collective == Collective::kAllToAll || r.collective == Collective::kPermutation)
    return "models all_reduce, all_gather and reduce_scatter (not " + to_string(r.collective) + ")";
  return "";
}

CollectivePlan flat_ring(const PlanRequest& r, const char* algo, int channels) {
  // Ring of N ranks: 2(N-1) steps for all-reduce (N-1 for all-gather / reduce-scatter), each
  // rank sending B/N per step. With one channel per domain GPU, per step a domain sends one
  // chunk B/(dN) per channel over the network (B/N in total, one chunk per NIC) and
  // (d-1)/d * B/N per GPU over NVLink, concurrently.
  CollectivePlan plan = start(r, algo);
  const bool ar = r.collective == Collective::kAllReduce;
  const bool rs = r.collective == Collective::kReduceScatter;
  const std::int64_t n = r.ranks;
  const int d = r.domain;
  const double b = static_cast<double>(r.bytes), nd = static_cast<double>(n), dd = d;
  const double steps = ar ? 2 * (nd - 1) : nd - 1;
  auto& ph = plan.phases;
  if (n / d == 1) {
    ph.push_back(scaleup("ring (scale-up only)", steps, b / nd, 0, true));
  } else {
    ph.push_back(domain_ring(
        channels == 1 ? "ring inter-domain"
                      : "ring inter-domain, " + std::to_string(channels) + " channels per NIC",
        n, d, steps, b / (dd * nd * channels), 0, channels));
    if (d > 1) ph.push_back(scaleup("ring intra-domain", steps, (dd - 1) / dd * b / nd, 0, false));
  }
  if (ar || rs) ph.push_back(reduce((nd - 1) / nd * b, 0));
  return plan;
}

Phase scaleup(const std::string& name, double steps, double bytes, int group, bool latency) {
  Phase p;
  p.name = name;
  p.resource = Resource::kScaleUp;
  p.steps = steps;
  p.bytes_per_step = bytes;
  p.group = group;
  p.step_latency = latency;
  return p;
}

Phase reduce(double bytes, int group) {
  Phase p;
  p.name = "reduction";
  p.resource = Resource::kReduce;
  p.steps = 1;
  p.bytes_per_step = bytes;
  p.group = group;
  p.step_latency = false;
  return p;
}

Phase domain_ring(const std::string& name, std::int64_t n, int d, double steps, double bytes,
                  int group, int channels) {
  Phase p;
  p.name = name;
  p.steps = steps;
  p.bytes_per_step = bytes;
  p.group = group;
  p.pattern_key = channels == 1 ? "domain_ring" : "domain_ring:" + std::to_string(channels);
  p.max_fan = channels;
  const std::int64_t m = n / d;
  p.hop_src = (m - 1) * d;
  p.hop_dst = 0;
  p.connections = [n, d, m, channels](std::vector<Connection>& out) {
    out.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(channels));
    for (std::int64_t j = 0; j < m; ++j)
      for (std::int64_t c = 0; c < d; ++c)
        for (int ch = 0; ch < channels; ++ch) out.push_back({j * d + c, ((j + 1) % m) * d + c, ch});
  };
  return p;
}

std::int64_t dbtree_depth(std::int64_t m) { return ceil_log2(m + 1) - 1; }

Phase rail_dbtree(const std::string& name, std::int64_t n, int d, double bytes, int group,
                  double step_latency_us) {
  const std::int64_t m = n / d;
  Phase p;
  p.name = name;
  p.bytes_per_step = bytes;
  p.group = group;
  p.latency_steps = 2 * static_cast<double>(std::max<std::int64_t>(dbtree_depth(m), 1));
  p.step_latency_us = step_latency_us;
  p.pattern_key = "dbtree";
  p.hop_src = 0;
  p.hop_dst = (m - 1) * d;
  // Most connections at one NIC: tree-0 degree + tree-1 degree of a domain.
  int fan = 0;
  for (std::int64_t i = 0; i < m; ++i) {
    int deg = 0;
    for (int t = 0; t < 2; ++t) deg += dbt_parent(m, t, i) >= 0 ? 1 : 0;
    // Children in heap order: 2i+1, 2i+2 (tree 0); mirrored for tree 1.
    deg += static_cast<int>((2 * i + 1 < m) + (2 * i + 2 < m));
    const std::int64_t mi = m - 1 - i;
    deg += static_cast<int>((2 * mi + 1 < m) + (2 * mi + 2 < m));
    fan = std::max(fan, deg);
  }
  p.max_fan = fan;
  p.connections = [m, d](std::vector<Connection>& out) {
    out.reserve(static_cast<std::size_t>(4 * m) * static_cast<std::size_t>(d));
    for (int t = 0; t < 2; ++t)
      for (std::int64_t i = 0; i < m; ++i) {
        const std::int64_t par = dbt_parent(m, t, i);
        if (par < 0) continue;
        for (std::int64_t ch = 0; ch < d; ++ch) {
          out.push_back({i * d + ch, par * d + ch});
          out.push_back({par * d + ch, i * d + ch});
        }
      }
  };
  return p;
}

Phase shift(const std::string& name, std::int64_t n, int d, std::int64_t s, double steps,
            double bytes, int group) {
  Phase p;
  p.name = name;
  p.steps = steps;
  p.bytes_per_step = bytes;
  p.group = group;
  p.pattern_key = "shift:" + std::to_string(s);
  p.hop_src = 0;
  p.hop_dst = s;
  p.connections = [n, d, s](std::vector<Connection>& out) {
    for (std::int64_t r = 0; r < n; ++r) {
      const std::int64_t q = (r + s) % n;
      if (q / d != r / d) out.push_back({r, q});
    }
  };
  return p;
}

}  // namespace algo_util
}  // namespace fb::model
