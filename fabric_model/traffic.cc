#include "fabric_model/traffic.h"

#include <algorithm>
#include <numeric>
#include <random>

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
std::string to_string(Algo a) {
  switch (a) {
    case Algo::kRing:
      return "ring";
    case Algo::kHierarchical:
      return "hier";
    case Algo::kTree:
      return "tree";
    case Algo::kRhd:
      return "rhd";
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
Algo algo_from_string(const std::string& s) {
  if (s == "ring") return Algo::kRing;
  if (s == "hier" || s == "hierarchical") return Algo::kHierarchical;
  if (s == "tree" || s == "dbtree") return Algo::kTree;
  if (s == "rhd") return Algo::kRhd;
  throw ModelError("unknown algo '" + s + "' (expected ring, hier, tree, rhd)");
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

namespace {

std::int64_t ceil_log2(std::int64_t n) {
  std::int64_t d = 0;
  while ((std::int64_t{1} << d) < n) ++d;
  return d;
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

// Channel c of domain j sends to the same local GPU (rail) of domain j+1.
Phase domain_ring(const std::string& name, std::int64_t n, int d, double steps, double bytes,
                  int group) {
  Phase p;
  p.name = name;
  p.steps = steps;
  p.bytes_per_step = bytes;
  p.group = group;
  p.pattern_key = "domain_ring";
  const std::int64_t m = n / d;
  p.hop_src = (m - 1) * d;
  p.hop_dst = 0;
  p.connections = [n, d, m](std::vector<Connection>& out) {
    out.reserve(static_cast<std::size_t>(n));
    for (std::int64_t j = 0; j < m; ++j)
      for (std::int64_t c = 0; c < d; ++c) out.push_back({j * d + c, ((j + 1) % m) * d + c});
  };
  return p;
}

}  // namespace

CollectivePlan make_plan(Collective c, Algo a, std::int64_t n, int d, Bytes bytes,
                         std::uint64_t seed) {
  if (n < 2) throw ModelError("a collective needs at least 2 ranks");
  if (d < 1 || n % d != 0) throw ModelError("ranks must be a multiple of the scale-up domain");
  CollectivePlan plan;
  plan.collective = c;
  plan.algo = a;
  plan.ranks = n;
  plan.bytes = bytes;
  const double b = static_cast<double>(bytes);
  const double nd = static_cast<double>(n), dd = static_cast<double>(d);
  const std::int64_t m = n / d;  // scale-up domains
  const double md = static_cast<double>(m);
  auto& ph = plan.phases;

  if (c == Collective::kPermutation) {
    plan.bus_factor = 1;
    if (m < 2) throw ModelError("permutation traffic needs at least 2 scale-up domains");
    Phase p;
    p.name = "random permutation";
    p.bytes_per_step = b;
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
        for (std::int64_t r = 0; r < n; ++r) {
          auto& x = dst[static_cast<std::size_t>(r)];
          if (x / d != r / d) continue;
          clean = false;
          const std::int64_t q = pick(rng);
          auto& y = dst[static_cast<std::size_t>(q)];
          if (y / d != r / d && x / d != q / d) std::swap(x, y);
        }
        if (clean) break;
      }
      out.reserve(static_cast<std::size_t>(n));
      for (std::int64_t r = 0; r < n; ++r)
        if (dst[static_cast<std::size_t>(r)] / d != r / d)
          out.push_back({r, dst[static_cast<std::size_t>(r)]});
    };
    ph.push_back(std::move(p));
    return plan;
  }

  if (c == Collective::kAllToAll) {
    plan.bus_factor = (nd - 1) / nd;
    // Pairwise exchange: step s sends B/N to rank r+s. Large N: a sample of shifts stands for all.
    const std::int64_t shifts = n - 1;
    const std::int64_t kMaxShifts = 16;
    const std::int64_t k = std::min(shifts, kMaxShifts);
    if (k < shifts)
      plan.notes.push_back("alltoall: " + std::to_string(k) + " of " + std::to_string(shifts) +
                           " pairwise-exchange shifts solved, each standing for an equal share");
    for (std::int64_t i = 0; i < k; ++i) {
      const std::int64_t s = 1 + (i * shifts) / k;
      const double weight = static_cast<double>(shifts) / static_cast<double>(k);
      const int group = static_cast<int>(i);
      if (d > 1 && (s < d || n - s < d))
        ph.push_back(
            scaleup("shift " + std::to_string(s) + " scale-up", weight, b / nd, group, false));
      Phase p;
      p.name = "shift " + std::to_string(s);
      p.steps = weight;
      p.bytes_per_step = b / nd;
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
      if (m > 1) ph.push_back(std::move(p));
    }
    return plan;
  }

  const bool ar = c == Collective::kAllReduce;
  const bool rs = c == Collective::kReduceScatter;
  if (!ar && a != Algo::kRing)
    throw ModelError(to_string(c) + " is modelled with the ring algorithm only");
  plan.bus_factor = ar ? 2 * (nd - 1) / nd : (nd - 1) / nd;

  if (a == Algo::kRing) {
    // Ring of N ranks, 2(N-1) steps for all-reduce (N-1 for all-gather / reduce-scatter), each
    // rank sending B/N per step. With one channel per domain GPU, per step a domain sends one
    // chunk B/(dN) per channel over the network (B/N in total, one chunk per NIC) and
    // (d-1)/d * B/N per GPU over NVLink, concurrently.
    const double steps = ar ? 2 * (nd - 1) : nd - 1;
    if (m == 1) {
      ph.push_back(scaleup("ring (scale-up only)", steps, b / nd, 0, true));
    } else {
      ph.push_back(domain_ring("ring inter-domain", n, d, steps, b / (dd * nd), 0));
      if (d > 1)
        ph.push_back(scaleup("ring intra-domain", steps, (dd - 1) / dd * b / nd, 0, false));
    }
    if (ar || rs) ph.push_back(reduce((nd - 1) / nd * b, 0));
    return plan;
  }

  if (a == Algo::kHierarchical) {
    // Reduce-scatter in the domain, all-reduce of B/d per rail across domains (ring), all-gather
    // in the domain; chunks are pipelined so the three phases overlap (one group).
    if (d > 1) ph.push_back(scaleup("scale-up reduce-scatter", dd - 1, b / dd, 0, true));
    if (m > 1)
      ph.push_back(
          domain_ring("inter-domain ring all-reduce per rail", n, d, 2 * (md - 1), b / nd, 0));
    if (d > 1) ph.push_back(scaleup("scale-up all-gather", dd - 1, b / dd, 0, true));
    ph.push_back(reduce((dd - 1) / dd * b + (md - 1) / nd * b, 0));
    return plan;
  }

  if (a == Algo::kTree) {
    // Double binary tree across domains (one pair of trees per channel/rail), chain inside the
    // domain; reduce-up and broadcast-down are pipelined, so all tree edges carry data at once.
    const std::int64_t depth = ceil_log2(m + 1) - 1;
    if (m > 1) {
      Phase p;
      p.name = "double binary tree (both directions)";
      p.bytes_per_step = b / (2 * dd);
      p.latency_steps = 2 * static_cast<double>(std::max<std::int64_t>(depth, 1));
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
      ph.push_back(std::move(p));
    }
    if (d > 1) {
      Phase chain =
          scaleup("scale-up chain (reduce + broadcast)", 1, 2 * b * (dd - 1) / dd, 0, true);
      chain.latency_steps = 2 * (dd - 1);
      ph.push_back(std::move(chain));
    }
    ph.push_back(reduce(b, 0));
    plan.notes.push_back("tree: NVLink chain and network trees pipelined; depth " +
                         std::to_string(depth) + " network hops each way");
    return plan;
  }

  // Recursive vector halving with distance doubling (reduce-scatter), then the mirror image
  // (all-gather). Near partners first, so the largest chunks stay inside the scale-up domain and
  // only B/d per GPU crosses the network (Rabenseifner's variant suited to hierarchical machines).
  if ((n & (n - 1)) != 0 || (d & (d - 1)) != 0)
    throw ModelError("rhd needs power-of-two rank count and scale-up domain");
  const std::int64_t lg = ceil_log2(n);
  int group = 0;
  for (int half = 0; half < 2; ++half) {
    for (std::int64_t k = 0; k < lg; ++k) {
      const std::int64_t kk = half == 0 ? k : lg - 1 - k;
      const std::int64_t dist = std::int64_t{1} << kk;
      const double chunk = b / static_cast<double>(std::int64_t{1} << (kk + 1));
      if (dist < d) {
        ph.push_back(scaleup("rhd step distance " + std::to_string(dist), 1, chunk, group, true));
      } else {
        Phase p;
        p.name = "rhd step distance " + std::to_string(dist);
        p.bytes_per_step = chunk;
        p.group = group;
        p.pattern_key = "xor:" + std::to_string(dist);
        p.hop_src = 0;
        p.hop_dst = dist;
        p.connections = [n, dist](std::vector<Connection>& out) {
          out.reserve(static_cast<std::size_t>(n));
          for (std::int64_t r = 0; r < n; ++r) out.push_back({r, r ^ dist});
        };
        ph.push_back(std::move(p));
      }
      if (half == 0) ph.push_back(reduce(chunk, group));
      ++group;
    }
  }
  return plan;
}

}  // namespace fb::model
