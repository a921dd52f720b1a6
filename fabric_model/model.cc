#include "fabric_model/model.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "fabric_model/algos/algorithm.h"
#include "fabric_model/flow_solver.h"
#include "fabric_model/routing.h"

namespace fb::model {

namespace {

struct NetStats {
  double r_min = 0;   // slowest subflow, Gb/s
  double r0_min = 0;  // slowest subflow without in-fabric contention, Gb/s
  double sum_rate = 0, sum_r0 = 0;
  int hops = 0;
  std::int64_t flows = 0;
  // One solved flow: its max-min rate and its rate without in-fabric contention.
  void add(double rate, double r0) {
    r0_min = std::min(r0_min, r0);
    r_min = std::min(r_min, rate);
    sum_r0 += r0;
    sum_rate += std::min(rate, r0);
  }
};

struct Cost {
  double bw = 0, hdr = 0, cong = 0;
};

struct SeedEval {
  Micros time = 0;
  Breakdown bd;
  double throughput = 1;
  std::int64_t flows = 0;
  int hops = 0;
};

class Evaluator {
 public:
  Evaluator(const ClosTopology& topo, const FabricProfile& fab, Placement placement, bool analytic,
            const FaultOptions& faults = {})
      : topo_(topo), fab_(fab), placement_(placement), analytic_(analytic), fault_opts_(faults) {
    adaptive_ = fab.routing == RoutingKind::kAdaptive;
    qps_ = fab.qps();
    subflows_ = adaptive_ ? 1 : qps_ * topo.planes();
  }

  // Solves the network patterns of `plans` (one seed) that are not cached yet, up to
  // `threads` at a time (independent flow problems; the machine's cores share them).
  void presolve(const std::vector<CollectivePlan>& plans, std::uint64_t seed, unsigned threads) {
    if (analytic_ || plans.empty()) return;
    place(plans.front().ranks, seed);
    std::vector<const Phase*> todo;
    std::vector<std::string> keys;
    for (const CollectivePlan& p : plans)
      for (const Phase& ph : p.phases)
        if (ph.resource == Resource::kNetwork && !cache_.count({seed, ph.pattern_key}) &&
            std::find(keys.begin(), keys.end(), ph.pattern_key) == keys.end()) {
          todo.push_back(&ph);
          keys.push_back(ph.pattern_key);
        }
    std::vector<NetStats> out(todo.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i = next++; i < todo.size(); i = next++) out[i] = solve(*todo[i], seed);
    };
    std::vector<std::thread> pool;
    const unsigned n = std::min<unsigned>(threads, static_cast<unsigned>(todo.size()));
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    for (std::size_t i = 0; i < todo.size(); ++i) cache_[{seed, keys[i]}] = out[i];
  }

  // Rank -> GPU from the caller (concurrent communicators) instead of make_placement.
  void set_placer(std::function<std::vector<std::int64_t>(std::uint64_t)> placer) {
    placer_ = std::move(placer);
    gpu_of_rank_.clear();
  }

  SeedEval run(const CollectivePlan& plan, std::uint64_t seed) {
    const ClusterConfig& cfg = topo_.config();
    if (!analytic_ || placer_) place(plan.ranks, seed);
    std::map<int, std::map<Resource, Cost>> groups;
    SeedEval ev;
    double lat = fab_.base_latency_us.value;
    // A slow GPU gates its group's scale-up, kernel and reduction phases (every kind has one group
    // holding it); its NIC links are slowed in the max-min problem (LinkFaults::apply).
    const double slow = fault_opts_.slow_gpu_factor;
    double offered = 0, delivered = 0;
    const double pf = fab_.payload_fraction();
    for (const Phase& ph : plan.phases) {
      const double lsteps = ph.latency_steps >= 0 ? ph.latency_steps : ph.steps;
      Cost c;
      if (ph.resource == Resource::kNetwork) {
        NetStats s;
        // Rates do not depend on message size: a pattern is solved once per seed (and shared by
        // every algorithm of an auto evaluation that uses it).
        const auto key = std::make_pair(seed, ph.pattern_key);
        auto it = cache_.find(key);
        if (it != cache_.end()) {
          s = it->second;
        } else {
          s = analytic_ ? analytic(ph) : solve(ph, seed);
          cache_[key] = s;
        }
        double r_min = s.r_min, r0_min = s.r0_min;
        if (ph.rate_cap_gbps > 0) {
          r_min = std::min(r_min, ph.rate_cap_gbps);
          r0_min = std::min(r0_min, ph.rate_cap_gbps);
        }
        const double sub = ph.bytes_per_step / (ph.link_flows ? topo_.planes() : subflows_);
        const double ideal = sub / bytes_per_us(r0_min);
        c.bw = ph.steps * ideal;
        c.hdr = ph.steps * (ideal / pf - ideal);
        c.cong = ph.steps * (sub / bytes_per_us(r_min) / pf - ideal / pf);
        if (ph.step_latency)
          lat += lsteps * ((ph.step_latency_us >= 0 ? ph.step_latency_us
                                                    : fab_.network_step_latency_us.value) +
                           s.hops * fab_.switch_latency_ns.value * 1e-3 +
                           (s.hops + 1) * ph.aggregation_latency_ns * 1e-3);
        offered += ph.steps * s.sum_r0;
        delivered += ph.steps * s.sum_rate;
        ev.flows = std::max(ev.flows, s.flows);
        ev.hops = std::max(ev.hops, s.hops);
      } else if (ph.resource == Resource::kScaleUp) {
        c.bw = slow * ph.steps * ph.bytes_per_step /
               (bytes_per_us(cfg.scaleup_gbps) * ph.scaleup_efficiency);
        if (ph.step_latency)
          lat +=
              lsteps * (ph.step_latency_us >= 0 ? ph.step_latency_us : cfg.scaleup_step_latency_us);
      } else if (ph.resource == Resource::kKernel) {
        c.bw = slow * ph.steps * ph.bytes_per_step / bytes_per_us(ph.rate_cap_gbps);
      } else if (cfg.gpu_reduce_gbytes_per_s > 0) {
        c.bw = slow * ph.steps * ph.bytes_per_step /
               (cfg.gpu_reduce_gbytes_per_s * 1e3);  // GB/s = 1e3 B/us
      }
      Cost& g = groups[ph.group][ph.resource];
      g.bw += c.bw;
      g.hdr += c.hdr;
      g.cong += c.cong;
    }
    // Pipelined group: the busiest resource sets the time. Congestion is what contention adds
    // over the uncontended busiest resource, so it is never charged when NVLink still dominates.
    for (const auto& [gid, res] : groups) {
      double t0 = 0, t1 = 0;
      Cost best0;
      for (const auto& [r, c] : res) {
        if (c.bw + c.hdr > t0) {
          t0 = c.bw + c.hdr;
          best0 = c;
        }
        t1 = std::max(t1, c.bw + c.hdr + c.cong);
      }
      ev.bd.bandwidth_us += best0.bw;
      ev.bd.header_us += best0.hdr;
      ev.bd.congestion_us += t1 - t0;
    }
    ev.bd.latency_us = lat;
    ev.time = ev.bd.latency_us + ev.bd.bandwidth_us + ev.bd.header_us + ev.bd.congestion_us;
    ev.throughput = offered > 0 ? delivered / offered : 1.0;
    return ev;
  }

 private:
  void place(std::int64_t ranks, std::uint64_t seed) {
    if (!gpu_of_rank_.empty() && placement_seed_ == seed) return;
    gpu_of_rank_ =
        placer_ ? placer_(seed)
                : make_placement(placement_, ranks, topo_.config().scaleup_domain_gpus, seed);
    placement_seed_ = seed;
  }

  // The failure set of a seed (nullptr when healthy); built once, shared by solver threads.
  const LinkFaults* faults_for(std::uint64_t seed) const {
    if (!fault_opts_.any()) return nullptr;
    const std::lock_guard<std::mutex> lock(faults_mutex_);
    auto& f = faults_[seed];
    if (!f) f = choose_faults(topo_, fault_opts_, seed);
    return f.get();
  }

  // Uncontended rate of one subflow when `fan` connections share a NIC.
  double uncontended_rate(int fan) const {
    if (adaptive_) return topo_.host_link_gbps() * topo_.planes() / fan;
    return topo_.host_link_gbps() / (static_cast<double>(fan) * qps_);
  }

  NetStats analytic(const Phase& ph) const {
    NetStats s;
    s.r0_min = s.r_min = ph.link_flows ? topo_.host_link_gbps() : uncontended_rate(ph.max_fan);
    s.sum_rate = s.sum_r0 = 1;
    if (placer_ && !gpu_of_rank_.empty()) {  // concurrent groups: the far pair's real GPUs
      s.hops =
          topo_.switch_hops(topo_.host_of_gpu(gpu_of_rank_[static_cast<std::size_t>(ph.hop_src)]),
                            topo_.host_of_gpu(gpu_of_rank_[static_cast<std::size_t>(ph.hop_dst)]));
    } else if (placement_ == Placement::kAligned) {
      s.hops = topo_.switch_hops(topo_.host_of_gpu(ph.hop_src), topo_.host_of_gpu(ph.hop_dst));
    } else {
      s.hops = 2 * topo_.tiers() - 1;  // scattered job: assume the far pair crosses the top
    }
    return s;
  }

  NetStats solve_link_flows(const Phase& ph, std::uint64_t seed) const {
    NetStats s;
    FlowProblemBuilder builder(topo_.link_slots());
    const HostOfRank host = [&](std::int64_t rank) {
      return topo_.host_of_gpu(gpu_of_rank_[static_cast<std::size_t>(rank)]);
    };
    s.hops = ph.link_flows(topo_, host, [&](const std::vector<LinkId>& p) { builder.add_flow(p); });
    FlowProblem prob = builder.finish(topo_);
    if (const LinkFaults* lf = faults_for(seed)) lf->apply(prob.capacity, prob.link_ids);
    const std::vector<double> rate = solve_max_min(prob);
    s.r_min = s.r0_min = std::numeric_limits<double>::infinity();
    for (std::size_t f = 0; f < prob.flows(); ++f) {
      double r0 = std::numeric_limits<double>::infinity();
      for (std::int64_t k = prob.offsets[f]; k < prob.offsets[f + 1]; ++k)
        r0 = std::min(r0, prob.capacity[static_cast<std::size_t>(prob.links[k])]);
      s.add(rate[f], r0);
    }
    s.flows = static_cast<std::int64_t>(prob.flows());
    return s;
  }

  NetStats solve(const Phase& ph, std::uint64_t seed) const {
    if (ph.link_flows) return solve_link_flows(ph, seed);
    std::vector<Connection> conns;
    ph.connections(conns);
    NetStats s;
    if (conns.empty()) {
      s.r_min = s.r0_min = uncontended_rate(1);
      return s;
    }
    const LinkFaults* lf = faults_for(seed);
    const Router router(topo_, fab_.routing, seed, lf);
    const int planes = adaptive_ ? 1 : topo_.planes();
    const std::int64_t ports = topo_.host_slots() * planes;
    std::vector<std::int32_t> out_fan(static_cast<std::size_t>(ports), 0), in_fan(out_fan);
    FlowProblemBuilder builder(topo_.link_slots());
    std::vector<LinkId> path;
    auto host = [&](std::int64_t rank) {
      return topo_.host_of_gpu(gpu_of_rank_[static_cast<std::size_t>(rank)]);
    };
    // Channels of one pair are distinct QPs: distinct 5-tuples (UDP source ports).
    auto qp = [&](const Connection& c, int q) {
      return static_cast<std::uint32_t>(c.channel * subflows_ + q);
    };
    // Static destination routing ignores the plane and the QP: every plane carries the same
    // flows on identical links, so plane 0 alone gives every rate (exact).
    // (Not with failures: each plane has its own.)
    const int solved_planes =
        fab_.routing == RoutingKind::kStaticDmodK && (lf == nullptr || !lf->fabric_faults())
            ? 1
            : planes;
    {
      // Every solved subflow, each over at most 2 x tiers links (or bundles).
      const std::size_t n = conns.size() * static_cast<std::size_t>(subflows_ / planes) *
                            static_cast<std::size_t>(solved_planes);
      builder.reserve(n, n * 2 * static_cast<std::size_t>(topo_.tiers()));
    }
    for (const Connection& c : conns) {
      const std::int64_t sh = host(c.src_rank), dh = host(c.dst_rank);
      for (int q = 0; q < subflows_; ++q) {
        if (q % planes >= solved_planes) continue;
        FlowKey k{sh, dh, q % planes, qp(c, q)};
        path.clear();
        s.hops = std::max(s.hops, router.route(k, path));
        builder.add_flow(path);
        ++out_fan[static_cast<std::size_t>(sh * planes + k.plane)];
        ++in_fan[static_cast<std::size_t>(dh * planes + k.plane)];
      }
    }
    FlowProblem prob = builder.finish(topo_);
    if (lf != nullptr) lf->apply(prob.capacity, prob.link_ids);
    const std::vector<double> rate = solve_max_min(prob);
    const double port =
        adaptive_ ? topo_.host_link_gbps() * topo_.planes() : topo_.host_link_gbps();
    s.r_min = s.r0_min = std::numeric_limits<double>::infinity();
    std::size_t f = 0;
    for (const Connection& c : conns) {
      const std::int64_t sh = host(c.src_rank), dh = host(c.dst_rank);
      for (int q = 0; q < subflows_; ++q) {
        const int pl = q % planes;
        if (pl >= solved_planes) continue;
        const double r0 = std::min(port / out_fan[static_cast<std::size_t>(sh * planes + pl)],
                                   port / in_fan[static_cast<std::size_t>(dh * planes + pl)]);
        s.add(rate[f++], r0);
      }
    }
    s.flows = static_cast<std::int64_t>(prob.flows());
    return s;
  }

  const ClosTopology& topo_;
  const FabricProfile& fab_;
  Placement placement_;
  bool analytic_ = false;
  bool adaptive_ = false;
  int qps_ = 1;
  int subflows_ = 1;
  std::vector<std::int64_t> gpu_of_rank_;
  std::function<std::vector<std::int64_t>(std::uint64_t)> placer_;
  std::uint64_t placement_seed_ = 0;
  std::map<std::pair<std::uint64_t, std::string>, NetStats> cache_;
  FaultOptions fault_opts_;
  mutable std::mutex faults_mutex_;
  mutable std::map<std::uint64_t, std::shared_ptr<const LinkFaults>> faults_;
};

// The point to evaluate: config and profile with overrides applied, the topology, the request.
struct Point {
  ClusterConfig cfg;
  FabricProfile fab;
  std::unique_ptr<ClosTopology> topo;
  PlanRequest req;
  bool seeded = false;
};

Point prepare(const ClusterConfig& topology, const FabricProfile& fabric, const EvalOptions& o) {
  if (o.seeds < 1) throw ModelError("seeds must be at least 1");
  Point pt;
  ClusterConfig& cfg = pt.cfg;
  cfg = topology;
  if (o.gpus > 0) cfg.gpus = o.gpus;
  const ModelOverrides& ov = o.overrides;
  if (ov.scaleup_gbps) cfg.scaleup_gbps = *ov.scaleup_gbps;
  if (ov.scaleup_step_latency_us) cfg.scaleup_step_latency_us = *ov.scaleup_step_latency_us;
  if (ov.gpu_reduce_gbytes_per_s) cfg.gpu_reduce_gbytes_per_s = *ov.gpu_reduce_gbytes_per_s;
  FabricProfile& fab = pt.fab;
  fab = fabric;
  if (ov.network_step_latency_us) {
    if (*ov.network_step_latency_us < 0) throw ModelError("network_step_latency_us is negative");
    fab.network_step_latency_us = {*ov.network_step_latency_us, "override"};
  }
  if (ov.base_latency_us) {
    if (*ov.base_latency_us < 0) throw ModelError("base_latency_us is negative");
    fab.base_latency_us = {*ov.base_latency_us, "override"};
  }
  if (ov.qps) {
    if (*ov.qps < 1 || *ov.qps > 64) throw ModelError("qps must be in 1..64");
    fab.qps_per_connection = {static_cast<double>(*ov.qps), "override"};
  }
  o.faults.validate();
  pt.topo = std::make_unique<ClosTopology>(cfg);  // validates
  if (o.faults.fabric() && pt.topo->tiers() < 2)
    throw ModelError("failed links or switches need a fabric of 2 or more tiers");
  PlanRequest& r = pt.req;
  r.collective = o.collective;
  r.ranks = cfg.gpus;
  r.domain = cfg.scaleup_domain_gpus;
  r.gpus_per_server = cfg.gpus_per_server;
  r.scaleup_multicast = cfg.scaleup_multicast;
  r.scaleup_multicast_latency_us = cfg.scaleup_multicast_latency_us;
  r.compute_capability = cfg.gpu_compute_capability;
  r.planes = cfg.planes;
  r.tree_step_latency_us = fab.tree_network_step_latency_us.value;
  const InNetworkReduction& inr = fab.in_network_reduction;
  r.in_network_reduction = inr.supported;
  if (inr.supported) {
    r.innet_switch_latency_ns = inr.switch_latency_ns.value;
    r.innet_reduction_gbps = inr.reduction_gbps.value;
    r.innet_max_trees = static_cast<std::int64_t>(inr.max_concurrent_trees.value);
  }
  // Aggregation trees rebuilt around failures are not modelled: no in-network reduction then.
  if (o.faults.fabric()) r.in_network_reduction = false;
  // Seeds change ECMP hashes, placements and permutations; otherwise the result is identical.
  pt.seeded = !o.analytic &&
              (fab.routing == RoutingKind::kEcmp || fab.routing == RoutingKind::kEcmpPolarized ||
               o.placement == Placement::kFragmented || o.collective == Collective::kPermutation ||
               o.faults.any());
  return pt;
}

std::string plan_na(const Point& pt, const ModelAlgorithm& a) {
  if (pt.req.ranks < 2) return "a collective needs at least 2 ranks";
  return a.not_applicable(pt.req);
}

// One algorithm at every size. wall_s of the first result includes the solves.
// Every network phase of `p` carried by `groups` copies of the communicator at once: group g's
// rank r is rank g * p.ranks + r of the widened plan (see evaluate_concurrent).
CollectivePlan widen(CollectivePlan p, std::int64_t groups) {
  const std::int64_t ranks = p.ranks;
  for (Phase& ph : p.phases) {
    if (ph.resource != Resource::kNetwork) continue;
    ph.pattern_key = "x" + std::to_string(groups) + ":" + ph.pattern_key;
    if (ph.link_flows) {
      LinkFlows inner = ph.link_flows;
      ph.link_flows = [inner, ranks, groups](const ClosTopology& t, const HostOfRank& host,
                                             const AddPath& add) {
        int hops = 0;
        for (std::int64_t g = 0; g < groups; ++g) {
          const HostOfRank shifted = [&host, g, ranks](std::int64_t r) {
            return host(g * ranks + r);
          };
          hops = std::max(hops, inner(t, shifted, add));
        }
        return hops;
      };
    } else if (ph.connections) {
      auto inner = ph.connections;
      ph.connections = [inner, ranks, groups](std::vector<Connection>& out) {
        std::vector<Connection> one;
        inner(one);
        out.reserve(one.size() * static_cast<std::size_t>(groups));
        for (std::int64_t g = 0; g < groups; ++g)
          for (const Connection& c : one)
            out.push_back({c.src_rank + g * ranks, c.dst_rank + g * ranks, c.channel});
      };
    }
  }
  return p;
}

// Independent flow problems solved at once (each holds its own problem in memory).
unsigned solver_threads() {
  return std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
}

// The request and group count of concurrent communicators (nullptr: one collective over all).
struct Concurrent {
  PlanRequest req;
  std::int64_t groups = 1;
};

std::vector<ModelResult> evaluate_algo(const Point& pt, Evaluator& ev, const EvalOptions& o,
                                       const ModelAlgorithm& algo, const std::vector<Bytes>& sizes,
                                       bool analytic, const Concurrent* conc = nullptr) {
  auto plan_of = [&](const PlanRequest& q) {
    return conc != nullptr ? widen(algo.plan(q), conc->groups) : make_plan(algo.name, q);
  };
  auto t_start = std::chrono::steady_clock::now();
  const ClusterConfig& cfg = pt.cfg;
  const FabricProfile& fab = pt.fab;
  std::vector<ModelResult> results;
  for (const Bytes bytes : sizes) {
    PlanRequest req = conc != nullptr ? conc->req : pt.req;
    req.bytes = bytes;
    std::vector<SeedEval> runs;
    for (int i = 0; i < o.seeds; ++i) {
      if (i > 0 && !pt.seeded) {
        runs.push_back(runs.front());
        continue;
      }
      req.seed = o.seed_base + static_cast<std::uint64_t>(i);
      const CollectivePlan seed_plan = plan_of(req);
      // The plan's network phases are independent problems: solve them side by side first
      // (cached; the rates do not depend on the order).
      if (!analytic) ev.presolve({seed_plan}, req.seed, solver_threads());
      runs.push_back(ev.run(seed_plan, req.seed));
    }
    req.seed = 0;
    const CollectivePlan plan = plan_of(req);

    ModelResult r;
    r.topology = cfg.name;
    r.fabric = fab.name;
    r.routing = to_string(fab.routing);
    r.collective = to_string(o.collective);
    r.algo = algo.name;
    r.placement = to_string(o.placement);
    r.method = analytic ? "analytic" : "flow";
    r.selection = "forced";
    r.gpus = cfg.gpus;
    r.tiers = pt.topo->tiers();
    r.bytes = bytes;
    r.seeds = o.seeds;
    double sum = 0, sum2 = 0;
    r.time_us_min = std::numeric_limits<double>::infinity();
    for (const SeedEval& s : runs) {
      r.seed_time_us.push_back(s.time);
      sum += s.time;
      sum2 += s.time * s.time;
      r.time_us_min = std::min(r.time_us_min, s.time);
      r.time_us_max = std::max(r.time_us_max, s.time);
      r.breakdown.latency_us += s.bd.latency_us / o.seeds;
      r.breakdown.bandwidth_us += s.bd.bandwidth_us / o.seeds;
      r.breakdown.header_us += s.bd.header_us / o.seeds;
      r.breakdown.congestion_us += s.bd.congestion_us / o.seeds;
      r.throughput_fraction += (s.throughput - 1.0) / o.seeds;
      r.flows = std::max(r.flows, s.flows);
      r.max_switch_hops = std::max(r.max_switch_hops, s.hops);
    }
    r.time_us = sum / o.seeds;
    r.time_us_stddev = std::sqrt(std::max(0.0, sum2 / o.seeds - r.time_us * r.time_us));
    r.algbw_gbps = static_cast<double>(bytes) / r.time_us * 1e-3;  // B/us -> GB/s
    r.busbw_gbps = r.algbw_gbps * plan.bus_factor;

    auto& a = r.approximations;
    a.push_back(
        "step time = bytes / slowest max-min fair rate of the step (rates held for the "
        "whole step; a lower bound on the makespan)");
    a.push_back(
        "scale-up (NVLink) and reduction modelled analytically: per-GPU bandwidth, no "
        "contention, no header overhead");
    a.push_back("pipelined phases overlap: a group's transfer time is its busiest resource");
    a.push_back("identical steps of a pattern are solved once (exact: same flows every step)");
    if (fab.routing == RoutingKind::kStaticDmodK && cfg.planes > 1 && !analytic)
      a.push_back(
          "static routing: the planes carry identical flows on identical links, one plane "
          "solved (exact)");
    if (fab.routing == RoutingKind::kAdaptive)
      a.push_back(
          "adaptive routing: fluid even split over equal-cost links and planes (the "
          "least-loaded equilibrium on a symmetric Clos); reordering cost not modelled");
    if (analytic) {
      a.push_back("analytic: no in-fabric contention; NIC sharing only");
      if (o.placement == Placement::kFragmented)
        a.push_back("analytic, fragmented placement: farthest pair assumed to cross the top tier");
    }
    if (o.faults.fabric())
      a.push_back(
          "failures: " + std::to_string(o.faults.failed_links) + " switch-to-switch links and " +
          std::to_string(o.faults.failed_switches) +
          " spine/core switches failed, drawn per seed; ECMP rehashes the flows of dead ports "
          "over the live ones, static routing is recomputed over live ports, adaptive routing "
          "spreads over the live capacity (fluid); in-network reduction off");
    if (o.faults.slow_gpu_factor > 1)
      a.push_back(
          "slow GPU (one per seed, --slow-gpu factor): its NIC links at 1/factor of their rate, "
          "its scale-up and reduction phases factor times longer; a straggler gates the "
          "synchronous step");
    for (const auto& n : plan.notes) a.push_back(n);
    const auto now = std::chrono::steady_clock::now();
    r.wall_s = std::chrono::duration<double>(now - t_start).count();
    t_start = now;
    results.push_back(std::move(r));
  }
  return results;
}

Candidate candidate_of(const ModelResult& r) {
  Candidate c;
  c.algo = r.algo;
  c.protocol = r.protocol;
  c.time_us = r.time_us;
  c.busbw_gbps = r.busbw_gbps;
  return c;
}

// Every registered algorithm at every size: results[size] best first, each with the candidate
// list. With `prune` (auto on aligned placement, flow-level), an algorithm whose contention-free
// (analytic) time exceeds the best flow-level time at every size is not solved: flow-level time
// is never below the analytic one there (same latency terms, contention only adds).
std::vector<std::vector<ModelResult>> evaluate_candidates(const ClusterConfig& topology,
                                                          const FabricProfile& fabric,
                                                          const EvalOptions& o,
                                                          const std::vector<Bytes>& sizes,
                                                          bool prune, bool nccl_only) {
  const auto t0 = std::chrono::steady_clock::now();
  const Point pt = prepare(topology, fabric, o);
  prune = prune && !o.analytic && o.placement == Placement::kAligned;
  Evaluator flow(*pt.topo, pt.fab, o.placement, o.analytic, o.faults);
  Evaluator bound(*pt.topo, pt.fab, o.placement, true, o.faults);
  const auto& algos = model_algorithms();
  const std::size_t na = algos.size(), ns = sizes.size();
  std::vector<std::string> why(na);
  std::vector<std::vector<ModelResult>> lower(na), res(na);
  for (std::size_t k = 0; k < na; ++k) {
    why[k] = plan_na(pt, *algos[k]);
    if (why[k].empty() && nccl_only && algos[k]->nccl_counterpart == nullptr)
      why[k] =
          "not among auto's candidates: NCCL does not run it (the suite's own composition; "
          "select it by name, or see --algo all)";
    if (why[k].empty() && prune) lower[k] = evaluate_algo(pt, bound, o, *algos[k], sizes, true);
  }
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < na; ++k)
    if (why[k].empty()) order.push_back(k);
  if (order.empty())
    throw ModelError("no model algorithm applies to " + to_string(o.collective) + " here");
  if (prune) {  // most promising first: the best contention-free time at any size
    auto rank = [&](std::size_t k) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t s = 0; s < ns; ++s) {
        int better = 0;
        for (std::size_t q : order) better += lower[q][s].time_us < lower[k][s].time_us ? 1 : 0;
        best = std::min(best, static_cast<double>(better));
      }
      return best;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
  }
  if (prune) {
    // First wave, solved concurrently: each size's most promising candidate.
    std::vector<std::size_t> wave;
    for (std::size_t s = 0; s < ns; ++s) {
      std::size_t b = order.front();
      for (std::size_t k : order)
        if (lower[k][s].time_us < lower[b][s].time_us) b = k;
      if (std::find(wave.begin(), wave.end(), b) == wave.end()) wave.push_back(b);
    }
    const unsigned threads = solver_threads();
    for (int i = 0; i < (pt.seeded ? o.seeds : 1); ++i) {
      PlanRequest req = pt.req;
      req.bytes = sizes.front();
      req.seed = o.seed_base + static_cast<std::uint64_t>(i);
      std::vector<CollectivePlan> plans;
      for (std::size_t k : wave) plans.push_back(make_plan(algos[k]->name, req));
      flow.presolve(plans, req.seed, threads);
    }
  }
  std::vector<double> best(ns, std::numeric_limits<double>::infinity());
  for (std::size_t k : order) {
    if (prune) {
      bool useful = false;
      for (std::size_t s = 0; s < ns; ++s) useful = useful || lower[k][s].time_us <= best[s];
      if (!useful) continue;
    }
    res[k] = evaluate_algo(pt, flow, o, *algos[k], sizes, o.analytic);
    for (std::size_t s = 0; s < ns; ++s) best[s] = std::min(best[s], res[k][s].time_us);
  }
  std::vector<std::vector<ModelResult>> out(ns);
  for (std::size_t s = 0; s < ns; ++s) {
    std::vector<Candidate> cands;
    for (std::size_t k : order) {
      if (!res[k].empty()) {
        out[s].push_back(res[k][s]);
        cands.push_back(candidate_of(res[k][s]));
      } else {
        Candidate c = candidate_of(lower[k][s]);
        c.reason = "not solved: its contention-free time exceeds the winner's at every size";
        cands.push_back(c);
      }
    }
    std::stable_sort(out[s].begin(), out[s].end(), [](const ModelResult& a, const ModelResult& b) {
      return a.time_us < b.time_us;
    });
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Candidate& a, const Candidate& b) { return a.time_us < b.time_us; });
    for (std::size_t k = 0; k < na; ++k) {
      if (why[k].empty()) continue;
      Candidate c;
      c.algo = algos[k]->name;
      c.applicable = false;
      c.reason = why[k];
      cands.push_back(c);
    }
    for (ModelResult& r : out[s]) r.candidates = cands;
  }
  // The solves are shared by every candidate: the first size's rows carry the wall time.
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (std::size_t s = 0; s < ns; ++s)
    for (ModelResult& r : out[s]) r.wall_s = s == 0 ? wall : 0.0;
  return out;
}

}  // namespace

std::string not_applicable(const ClusterConfig& topology, const FabricProfile& fabric,
                           const EvalOptions& options, const std::string& algo) {
  const std::string name = algo_from_string(algo);
  const ModelAlgorithm* a = find_model_algorithm(name);
  if (a == nullptr) return "";  // auto
  return plan_na(prepare(topology, fabric, options), *a);
}

std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topology, const FabricProfile& fabric,
                                        const EvalOptions& o, const std::vector<Bytes>& sizes) {
  const std::string name = algo_from_string(o.algo);
  if (name == "auto") {
    std::vector<std::vector<ModelResult>> all =
        evaluate_candidates(topology, fabric, o, sizes, true, true);
    std::vector<ModelResult> out;
    for (auto& rows : all) {
      out.push_back(std::move(rows.front()));
      out.back().selection = "auto";
      out.back().approximations.push_back(
          "auto: every applicable algorithm that NCCL runs (ring, tree, nvls, nvls_tree, innet, "
          "pat, "
          "p2p) evaluated, the fastest reported (as NCCL's tuner picks the least predicted "
          "time); on aligned placement an algorithm whose "
          "contention-free time exceeds the best flow-level time is not solved");
    }
    return out;
  }
  const ModelAlgorithm& algo = *find_model_algorithm(name);
  const Point pt = prepare(topology, fabric, o);
  const std::string why = plan_na(pt, algo);
  if (!why.empty()) throw ModelError("algo '" + name + "' does not apply: " + why);
  Evaluator ev(*pt.topo, pt.fab, o.placement, o.analytic, o.faults);
  return evaluate_algo(pt, ev, o, algo, sizes, o.analytic);
}

std::vector<std::vector<ModelResult>> evaluate_all(const ClusterConfig& topology,
                                                   const FabricProfile& fabric,
                                                   const EvalOptions& options,
                                                   const std::vector<Bytes>& sizes) {
  auto all = evaluate_candidates(topology, fabric, options, sizes, false, false);
  for (auto& rows : all)
    for (ModelResult& r : rows) r.selection = "all";
  return all;
}

ModelResult evaluate(const ClusterConfig& topology, const FabricProfile& fabric,
                     const EvalOptions& options) {
  return evaluate_sizes(topology, fabric, options, {options.bytes}).front();
}

struct ConcurrentSession::Impl {
  Point pt;
  ConcurrentGroups g;
  Concurrent conc;
  std::unique_ptr<Evaluator> flow, bound;
};

ConcurrentSession::ConcurrentSession(const ClusterConfig& topology, const FabricProfile& fabric,
                                     const EvalOptions& o, ConcurrentGroups g)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.pt = prepare(topology, fabric, o);
  if (g.ranks < 2) throw ModelError("a communicator needs at least 2 ranks");
  if (g.groups < 1) throw ModelError("concurrent groups: at least one group");
  if (g.domain < 1 || g.ranks % g.domain != 0)
    throw ModelError("concurrent groups: ranks must be a multiple of the ranks per domain");
  if (g.ranks * g.groups > m.pt.cfg.gpus)
    throw ModelError("concurrent groups: more ranks than GPUs");
  if (!g.gpus) throw ModelError("concurrent groups: no rank -> GPU map");
  m.conc.req = m.pt.req;
  m.conc.req.ranks = g.ranks;
  m.conc.req.domain = g.domain;
  m.conc.req.gpus_per_server = std::min(g.domain, m.pt.cfg.gpus_per_server);
  m.conc.groups = g.groups;
  m.flow = std::make_unique<Evaluator>(*m.pt.topo, m.pt.fab, o.placement, o.analytic, o.faults);
  m.bound = std::make_unique<Evaluator>(*m.pt.topo, m.pt.fab, o.placement, true, o.faults);
  m.flow->set_placer(g.gpus);
  m.bound->set_placer(g.gpus);
  m.g = std::move(g);
}

ConcurrentSession::~ConcurrentSession() = default;

std::vector<ModelResult> ConcurrentSession::evaluate(const EvalOptions& o,
                                                     const std::vector<Bytes>& sizes) {
  const auto t0 = std::chrono::steady_clock::now();
  if (sizes.empty()) throw ModelError("concurrent groups: no sizes");
  if (o.seeds < 1) throw ModelError("seeds must be at least 1");
  Impl& m = *impl_;
  const Point& pt = m.pt;
  const ConcurrentGroups& g = m.g;
  Concurrent conc = m.conc;
  conc.req.collective = o.collective;
  Evaluator& flow = *m.flow;
  Evaluator& bound = *m.bound;
  std::vector<const ModelAlgorithm*> algos;
  std::vector<Candidate> skipped;
  std::string selection = "forced";
  if (g.custom != nullptr) {
    algos.push_back(g.custom);
  } else if (algo_from_string(o.algo) != "auto") {
    const ModelAlgorithm* a = find_model_algorithm(algo_from_string(o.algo));
    const std::string why = a->not_applicable(conc.req);
    if (!why.empty())
      throw ModelError("algo '" + std::string(a->name) + "' does not apply: " + why);
    algos.push_back(a);
  } else {
    selection = "auto";
    for (const ModelAlgorithm* a : model_algorithms()) {
      std::string why = a->nccl_counterpart == nullptr ? "not among auto's candidates"
                                                       : a->not_applicable(conc.req);
      if (why.empty() && conc.req.in_network_reduction &&
          g.groups * conc.req.planes > conc.req.innet_max_trees && std::string(a->name) == "innet")
        why = "more concurrent communicators than aggregation trees the switches hold";
      if (why.empty()) {
        algos.push_back(a);
      } else {
        Candidate c;
        c.algo = a->name;
        c.applicable = false;
        c.reason = why;
        skipped.push_back(c);
      }
    }
    if (algos.empty())
      throw ModelError("no model algorithm applies to " + to_string(o.collective) +
                       " on these communicators");
  }
  const std::size_t na = algos.size(), ns = sizes.size();
  std::vector<std::vector<ModelResult>> lower(na), res(na);
  if (na > 1)
    for (std::size_t k = 0; k < na; ++k)
      lower[k] = evaluate_algo(pt, bound, o, *algos[k], sizes, true, &conc);
  // Most promising first (contention-free time at the first size); an algorithm whose
  // contention-free time exceeds the best flow-level time at every size is not solved.
  std::vector<std::size_t> order(na);
  for (std::size_t k = 0; k < na; ++k) order[k] = k;
  if (na > 1)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return lower[a][0].time_us < lower[b][0].time_us;
    });
  std::vector<double> best(ns, std::numeric_limits<double>::infinity());
  for (std::size_t k : order) {
    if (na > 1) {
      bool useful = false;
      for (std::size_t s = 0; s < ns; ++s) useful = useful || lower[k][s].time_us <= best[s];
      if (!useful) continue;
    }
    res[k] = evaluate_algo(pt, flow, o, *algos[k], sizes, o.analytic, &conc);
    for (std::size_t s = 0; s < ns; ++s) best[s] = std::min(best[s], res[k][s].time_us);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<ModelResult> out;
  for (std::size_t s = 0; s < ns; ++s) {
    std::vector<Candidate> cands;
    const ModelResult* win = nullptr;
    for (std::size_t k : order) {
      if (res[k].empty()) {
        Candidate c = candidate_of(lower[k][s]);
        c.reason = "not solved: its contention-free time exceeds the winner's at every size";
        cands.push_back(c);
        continue;
      }
      cands.push_back(candidate_of(res[k][s]));
      if (win == nullptr || res[k][s].time_us < win->time_us) win = &res[k][s];
    }
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Candidate& a, const Candidate& b) { return a.time_us < b.time_us; });
    cands.insert(cands.end(), skipped.begin(), skipped.end());
    ModelResult r = *win;
    r.selection = selection;
    r.candidates = std::move(cands);
    r.gpus = g.ranks;
    r.wall_s = s == 0 ? wall : 0.0;
    r.approximations.push_back(
        std::to_string(g.groups) + " communicators of " + std::to_string(g.ranks) +
        " ranks routed together and solved as one max-min problem (they share links, switches "
        "and planes); a step lasts as long as the slowest communicator's slowest flow");
    if (selection == "auto")
      r.approximations.push_back(
          "auto: the fastest of the algorithms NCCL runs that apply, each solved with all "
          "communicators at once (one algorithm for all of them); an algorithm whose "
          "contention-free time exceeds the best flow-level time is not solved");
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ModelResult> evaluate_concurrent(const ClusterConfig& topology,
                                             const FabricProfile& fabric, const EvalOptions& o,
                                             const ConcurrentGroups& groups,
                                             const std::vector<Bytes>& sizes) {
  ConcurrentSession session(topology, fabric, o, groups);
  return session.evaluate(o, sizes);
}

nlohmann::json to_json(const ModelResult& r) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const Candidate& c : r.candidates) {
    nlohmann::json j = {{"algo", c.algo}, {"protocol", c.protocol}, {"applicable", c.applicable}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (c.applicable) {
      j["time_us"] = c.time_us;
      j["busbw_gbps"] = c.busbw_gbps;
    }
    candidates.push_back(std::move(j));
  }
  return {{"topology", r.topology},
          {"fabric", r.fabric},
          {"routing", r.routing},
          {"collective", r.collective},
          {"algo", r.algo},
          {"placement", r.placement},
          {"method", r.method},
          {"protocol", r.protocol},
          {"selection", r.selection},
          {"candidates", candidates},
          {"gpus", r.gpus},
          {"tiers", r.tiers},
          {"bytes", r.bytes},
          {"time_us", r.time_us},
          {"time_us_min", r.time_us_min},
          {"time_us_max", r.time_us_max},
          {"time_us_stddev", r.time_us_stddev},
          {"seed_time_us", r.seed_time_us},
          {"seeds", r.seeds},
          {"algbw_gbps", r.algbw_gbps},
          {"busbw_gbps", r.busbw_gbps},
          {"throughput_fraction", r.throughput_fraction},
          {"breakdown",
           {{"latency_us", r.breakdown.latency_us},
            {"bandwidth_us", r.breakdown.bandwidth_us},
            {"congestion_us", r.breakdown.congestion_us},
            {"header_us", r.breakdown.header_us}}},
          {"flows", r.flows},
          {"max_switch_hops", r.max_switch_hops},
          {"wall_s", r.wall_s},
          {"approximations", r.approximations}};
}

}  // namespace fb::model
