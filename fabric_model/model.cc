#include "fabric_model/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>

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
  Evaluator(const ClosTopology& topo, const FabricProfile& fab, const EvalOptions& o)
      : topo_(topo), fab_(fab), o_(o) {
    adaptive_ = fab.routing == RoutingKind::kAdaptive;
    qps_ = fab.qps();
    subflows_ = adaptive_ ? 1 : qps_ * topo.planes();
  }

  SeedEval run(const CollectivePlan& plan, std::uint64_t seed) {
    const ClusterConfig& cfg = topo_.config();
    if (!o_.analytic)
      gpu_of_rank_ = make_placement(o_.placement, plan.ranks, cfg.scaleup_domain_gpus, seed);
    std::map<int, std::map<Resource, Cost>> groups;
    SeedEval ev;
    double lat = fab_.base_latency_us.value;
    double offered = 0, delivered = 0;
    const double pf = fab_.payload_fraction();
    for (const Phase& ph : plan.phases) {
      const double lsteps = ph.latency_steps >= 0 ? ph.latency_steps : ph.steps;
      Cost c;
      if (ph.resource == Resource::kNetwork) {
        NetStats s;
        // Rates do not depend on message size: a pattern is solved once per seed.
        const auto key = std::make_pair(seed, ph.pattern_key);
        auto it = cache_.find(key);
        if (it != cache_.end()) {
          s = it->second;
        } else {
          s = o_.analytic ? analytic(ph) : solve(ph, seed);
          cache_[key] = s;
        }
        const double sub = ph.bytes_per_step / subflows_;
        const double ideal = sub / bytes_per_us(s.r0_min);
        c.bw = ph.steps * ideal;
        c.hdr = ph.steps * (ideal / pf - ideal);
        c.cong = ph.steps * (sub / bytes_per_us(s.r_min) / pf - ideal / pf);
        if (ph.step_latency)
          lat += lsteps * (fab_.network_step_latency_us.value +
                           s.hops * fab_.switch_latency_ns.value * 1e-3);
        offered += ph.steps * s.sum_r0;
        delivered += ph.steps * s.sum_rate;
        ev.flows = std::max(ev.flows, s.flows);
        ev.hops = std::max(ev.hops, s.hops);
      } else if (ph.resource == Resource::kScaleUp) {
        c.bw = ph.steps * ph.bytes_per_step / bytes_per_us(cfg.scaleup_gbps);
        if (ph.step_latency) lat += lsteps * cfg.scaleup_step_latency_us;
      } else if (cfg.gpu_reduce_gbytes_per_s > 0) {
        c.bw =
            ph.steps * ph.bytes_per_step / (cfg.gpu_reduce_gbytes_per_s * 1e3);  // GB/s = 1e3 B/us
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
  // Uncontended rate of one subflow when `fan` connections share a NIC.
  double uncontended_rate(int fan) const {
    if (adaptive_) return topo_.host_link_gbps() * topo_.planes() / fan;
    return topo_.host_link_gbps() / (static_cast<double>(fan) * qps_);
  }

  NetStats analytic(const Phase& ph) const {
    NetStats s;
    s.r0_min = s.r_min = uncontended_rate(ph.max_fan);
    s.sum_rate = s.sum_r0 = 1;
    if (o_.placement == Placement::kAligned) {
      s.hops = topo_.switch_hops(topo_.host_of_gpu(ph.hop_src), topo_.host_of_gpu(ph.hop_dst));
    } else {
      s.hops = 2 * topo_.tiers() - 1;  // scattered job: assume the far pair crosses the top
    }
    return s;
  }

  NetStats solve(const Phase& ph, std::uint64_t seed) const {
    std::vector<Connection> conns;
    ph.connections(conns);
    NetStats s;
    if (conns.empty()) {
      s.r_min = s.r0_min = uncontended_rate(1);
      return s;
    }
    const Router router(topo_, fab_.routing, seed);
    const int planes = adaptive_ ? 1 : topo_.planes();
    const std::int64_t ports = topo_.host_slots() * planes;
    std::vector<std::int32_t> out_fan(static_cast<std::size_t>(ports), 0), in_fan(out_fan);
    FlowProblemBuilder builder(topo_.link_slots());
    std::vector<LinkId> path;
    auto host = [&](std::int64_t rank) {
      return topo_.host_of_gpu(gpu_of_rank_[static_cast<std::size_t>(rank)]);
    };
    for (const Connection& c : conns) {
      const std::int64_t sh = host(c.src_rank), dh = host(c.dst_rank);
      for (int q = 0; q < subflows_; ++q) {
        FlowKey k{sh, dh, q % planes, static_cast<std::uint32_t>(q)};
        path.clear();
        s.hops = std::max(s.hops, router.route(k, path));
        builder.add_flow(path);
        ++out_fan[static_cast<std::size_t>(sh * planes + k.plane)];
        ++in_fan[static_cast<std::size_t>(dh * planes + k.plane)];
      }
    }
    FlowProblem prob = builder.finish(topo_);
    const std::vector<double> rate = solve_max_min(prob);
    const double port =
        adaptive_ ? topo_.host_link_gbps() * topo_.planes() : topo_.host_link_gbps();
    s.r_min = s.r0_min = std::numeric_limits<double>::infinity();
    std::size_t f = 0;
    for (const Connection& c : conns) {
      const std::int64_t sh = host(c.src_rank), dh = host(c.dst_rank);
      for (int q = 0; q < subflows_; ++q, ++f) {
        const int pl = q % planes;
        const double r0 = std::min(port / out_fan[static_cast<std::size_t>(sh * planes + pl)],
                                   port / in_fan[static_cast<std::size_t>(dh * planes + pl)]);
        s.r0_min = std::min(s.r0_min, r0);
        s.r_min = std::min(s.r_min, rate[f]);
        s.sum_r0 += r0;
        s.sum_rate += std::min(rate[f], r0);
      }
    }
    s.flows = static_cast<std::int64_t>(prob.flows());
    return s;
  }

  const ClosTopology& topo_;
  const FabricProfile& fab_;
  const EvalOptions& o_;
  bool adaptive_ = false;
  int qps_ = 1;
  int subflows_ = 1;
  std::vector<std::int64_t> gpu_of_rank_;
  std::map<std::pair<std::uint64_t, std::string>, NetStats> cache_;
};

}  // namespace

std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topology, const FabricProfile& fabric,
                                        const EvalOptions& o, const std::vector<Bytes>& sizes) {
  auto t_start = std::chrono::steady_clock::now();
  if (o.seeds < 1) throw ModelError("seeds must be at least 1");
  ClusterConfig cfg = topology;
  if (o.gpus > 0) cfg.gpus = o.gpus;
  const ModelOverrides& ov = o.overrides;
  if (ov.scaleup_gbps) cfg.scaleup_gbps = *ov.scaleup_gbps;
  if (ov.scaleup_step_latency_us) cfg.scaleup_step_latency_us = *ov.scaleup_step_latency_us;
  if (ov.gpu_reduce_gbytes_per_s) cfg.gpu_reduce_gbytes_per_s = *ov.gpu_reduce_gbytes_per_s;
  FabricProfile fab = fabric;
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
  const ClosTopology topo(cfg);  // validates
  const int domain = cfg.scaleup_domain_gpus;

  // Seeds change ECMP hashes, placements and permutations; otherwise the result is identical.
  const bool seeded =
      !o.analytic &&
      (fab.routing == RoutingKind::kEcmp || fab.routing == RoutingKind::kEcmpPolarized ||
       o.placement == Placement::kFragmented || o.collective == Collective::kPermutation);
  Evaluator ev(topo, fab, o);
  std::vector<ModelResult> results;
  for (const Bytes bytes : sizes) {
    std::vector<SeedEval> runs;
    for (int i = 0; i < o.seeds; ++i) {
      if (i > 0 && !seeded) {
        runs.push_back(runs.front());
        continue;
      }
      const std::uint64_t seed = o.seed_base + static_cast<std::uint64_t>(i);
      const CollectivePlan plan = make_plan(o.collective, o.algo, cfg.gpus, domain, bytes, seed);
      runs.push_back(ev.run(plan, seed));
    }
    const CollectivePlan plan = make_plan(o.collective, o.algo, cfg.gpus, domain, bytes, 0);

    ModelResult r;
    r.topology = cfg.name;
    r.fabric = fab.name;
    r.routing = to_string(fab.routing);
    r.collective = to_string(o.collective);
    r.algo = o.collective == Collective::kPermutation ? "permutation" : to_string(o.algo);
    r.placement = to_string(o.placement);
    r.method = o.analytic ? "analytic" : "flow";
    r.gpus = cfg.gpus;
    r.tiers = topo.tiers();
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
    if (fab.routing == RoutingKind::kAdaptive)
      a.push_back(
          "adaptive routing: fluid even split over equal-cost links and planes (the "
          "least-loaded equilibrium on a symmetric Clos); reordering cost not modelled");
    if (o.analytic) {
      a.push_back("analytic: no in-fabric contention; NIC sharing only");
      if (o.placement == Placement::kFragmented)
        a.push_back("analytic, fragmented placement: farthest pair assumed to cross the top tier");
    }
    for (const auto& n : plan.notes) a.push_back(n);
    const auto now = std::chrono::steady_clock::now();
    r.wall_s = std::chrono::duration<double>(now - t_start).count();
    t_start = now;
    results.push_back(std::move(r));
  }
  return results;
}

ModelResult evaluate(const ClusterConfig& topology, const FabricProfile& fabric,
                     const EvalOptions& options) {
  return evaluate_sizes(topology, fabric, options, {options.bytes}).front();
}

nlohmann::json to_json(const ModelResult& r) {
  return {{"topology", r.topology},
          {"fabric", r.fabric},
          {"routing", r.routing},
          {"collective", r.collective},
          {"algo", r.algo},
          {"placement", r.placement},
          {"method", r.method},
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
