#include "fabric_model/job.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <memory>

#include "fabric_model/algos/algorithm.h"

namespace fb::model {

namespace {

// Pipeline send/recv: stage s sends to stage s + 1, every boundary at once (the steady state of
// a 1F1B schedule, where each stage forwards one micro-batch's activations while receiving the
// next); pairs inside one scale-up domain use NVLink.
CollectivePlan p2p_chain_plan(const PlanRequest& r) {
  CollectivePlan plan = algo_util::start(r, "p2p");
  plan.bus_factor = 1;
  const std::int64_t n = r.ranks;
  const int d = r.domain;
  if (n / d > 1) {
    Phase ph;
    ph.name = "pipeline send/recv";
    ph.steps = 1;
    ph.bytes_per_step = static_cast<double>(r.bytes);
    ph.pattern_key = "p2p_chain";
    ph.max_fan = 1;
    ph.hop_src = d - 1;
    ph.hop_dst = d;
    ph.connections = [n, d](std::vector<Connection>& out) {
      for (std::int64_t s = 0; s + 1 < n; ++s)
        if (s / d != (s + 1) / d) out.push_back({s, s + 1});
    };
    plan.phases.push_back(ph);
  }
  if (d > 1)
    plan.phases.push_back(algo_util::scaleup("pipeline send/recv scale-up", 1,
                                             static_cast<double>(r.bytes), 0, n / d == 1));
  return plan;
}

std::string p2p_chain_na(const PlanRequest&) { return ""; }

const ModelAlgorithm kPipelineP2P = {"p2p", "pipeline send/recv between neighbouring stages",
                                     p2p_chain_na, p2p_chain_plan, nullptr};

// Groups of the kind whose degree is `degree` and stride `stride` among ranks whose other
// coordinates agree; `member` says whether a rank starts a group.
template <typename StartsGroup>
std::vector<std::int64_t> strided_groups(std::int64_t n, std::int64_t degree, std::int64_t stride,
                                         StartsGroup starts) {
  std::vector<std::int64_t> m;
  m.reserve(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r)
    if (starts(r))
      for (std::int64_t i = 0; i < degree; ++i) m.push_back(r + i * stride);
  return m;
}

// GPUs of group 0 in one unit of `unit` consecutive GPUs (server, scale-up domain); every unit
// the group touches must hold the same number.
int per_unit(const Communicator& c, std::int64_t unit, const std::string& what) {
  std::map<std::int64_t, int> count;
  for (std::int64_t i = 0; i < c.ranks; ++i) ++count[c.members[static_cast<std::size_t>(i)] / unit];
  const int first = count.begin()->second;
  for (const auto& [u, k] : count)
    if (k != first)
      throw ModelError(c.kind + " groups hold unequal numbers of GPUs per " + what +
                       " (the nesting order splits them)");
  return first;
}

}  // namespace

const Communicator& JobLayout::communicator(const std::string& kind) const {
  for (const Communicator& c : communicators)
    if (c.kind == kind) return c;
  throw ModelError("job has no " + kind + " communicator");
}

JobLayout build_job(const JobSpec& spec, const ClusterConfig& cluster) {
  spec.validate();
  spec.validate_on(cluster);
  JobLayout job;
  job.spec = spec;
  const std::int64_t n = spec.gpus;
  std::map<std::string, std::int64_t> stride;
  std::int64_t s = 1;
  for (const std::string& k : spec.order) {
    stride[k] = s;
    s *= spec.degree(k);
  }
  auto coord = [&](std::int64_t r, const std::string& k) {
    return (r / stride[k]) % spec.degree(k);
  };
  auto add = [&](const std::string& kind, std::int64_t degree, std::vector<std::int64_t> members) {
    Communicator c;
    c.kind = kind;
    c.ranks = degree;
    c.groups = static_cast<std::int64_t>(members.size()) / degree;
    c.members = std::move(members);
    c.gpus_per_server = per_unit(c, cluster.gpus_per_server, "server");
    c.ranks_per_domain = per_unit(c, cluster.scaleup_domain_gpus, "scale-up domain");
    c.concurrent_per_server = cluster.gpus_per_server / c.gpus_per_server;
    job.communicators.push_back(std::move(c));
  };
  for (const std::string& k :
       {std::string("tp"), std::string("cp"), std::string("pp"), std::string("dp")}) {
    const std::int64_t deg = spec.degree(k);
    if (deg < 2) continue;
    add(k, deg,
        strided_groups(n, deg, stride[k], [&](std::int64_t r) { return coord(r, k) == 0; }));
  }
  if (spec.ep > 1) {
    add("ep", spec.ep, strided_groups(n, spec.ep, stride["dp"], [&](std::int64_t r) {
          return coord(r, "dp") % spec.ep == 0;
        }));
    if (spec.dp / spec.ep > 1)
      add("edp", spec.dp / spec.ep,
          strided_groups(n, spec.dp / spec.ep, stride["dp"] * spec.ep,
                         [&](std::int64_t r) { return coord(r, "dp") < spec.ep; }));
  }
  if (spec.tp > 1) {
    const Communicator& tp = job.communicator("tp");
    if (tp.ranks_per_domain != tp.ranks)
      throw ModelError("job '" + spec.name +
                       "': tp groups span scale-up domains (put tp innermost in 'order')");
  }

  // Step collectives, per GPU.
  const auto ab = static_cast<Bytes>(spec.activation_bytes);
  const auto mb = static_cast<Bytes>(spec.micro_batch_sequences);
  const auto seq_local = static_cast<Bytes>(spec.sequence_length_tokens / spec.cp);
  const auto hidden = static_cast<Bytes>(spec.hidden_size);
  const Bytes activations = mb * seq_local * hidden * ab;  // one layer's output, one micro-batch
  const std::int64_t layers_local = spec.stage_layers();
  const std::int64_t mbs = spec.micro_batches_per_step;
  auto push = [&](const std::string& kind, Collective c, Bytes bytes, std::int64_t calls,
                  const std::string& per, bool p2p = false, Bytes last = 0) {
    StepCollective sc;
    sc.kind = kind;
    sc.collective = c;
    sc.bytes = bytes;
    sc.calls = calls;
    sc.per = per;
    sc.p2p = p2p;
    sc.last_bytes = last;
    job.collectives.push_back(sc);
  };
  if (spec.tp > 1)
    push("tp", Collective::kAllReduce, activations, 4 * layers_local * mbs,
         "layer x micro-batch (2 forward + 2 backward)");
  if (spec.cp > 1) {
    const Bytes kv = mb * static_cast<Bytes>(spec.sequence_length_tokens) * 2 * hidden *
                     static_cast<Bytes>(spec.kv_heads) / static_cast<Bytes>(spec.attention_heads) *
                     ab / static_cast<Bytes>(spec.tp);
    push("cp", Collective::kAllGather, kv, layers_local * mbs, "layer x micro-batch (forward K,V)");
    push("cp", Collective::kReduceScatter, kv, layers_local * mbs,
         "layer x micro-batch (backward dK,dV)");
  }
  if (spec.pp > 1)
    push("pp", Collective::kPermutation, activations / static_cast<Bytes>(spec.tp), 2 * mbs,
         "micro-batch (forward activations + backward gradients)", true);
  if (spec.ep > 1) {
    const Bytes tokens = mb * seq_local / static_cast<Bytes>(spec.tp);
    push("ep", Collective::kAllToAll, tokens * static_cast<Bytes>(spec.top_k) * hidden * ab,
         4 * spec.stage_moe_layers() * mbs,
         "MoE layer x micro-batch (dispatch + combine, forward and backward)");
  }
  auto buckets = [&](const std::string& kind, std::int64_t params) {
    if (params <= 0) return;
    const auto bucket = static_cast<Bytes>(spec.bucket_parameters);
    const auto p = static_cast<Bytes>(params);
    const std::int64_t full = static_cast<std::int64_t>(p / bucket);
    const Bytes rest = p % bucket;
    auto one = [&](Collective c, int elem_bytes) {
      const auto eb = static_cast<Bytes>(elem_bytes);
      if (full > 0)
        push(kind, c, bucket * eb, full, "bucket", false, rest * eb);
      else
        push(kind, c, rest * eb, 1, "bucket");
    };
    if (spec.sharded_optimizer) {
      one(Collective::kReduceScatter, spec.gradient_bytes);
      one(Collective::kAllGather, spec.parameter_bytes);
    } else {
      one(Collective::kAllReduce, spec.gradient_bytes);
    }
  };
  const std::int64_t shard = spec.tp * spec.pp;
  if (spec.dp > 1) buckets("dp", (spec.parameters - spec.expert_parameters) / shard);
  if (spec.ep > 1 && spec.dp / spec.ep > 1)
    buckets("edp", spec.expert_parameters / (spec.ep * shard));
  auto& a = job.approximations;
  a.push_back(
      "sizes per GPU: activations = micro-batch x sequence / CP x hidden x activation bytes; TP: "
      "4 all-reduces of the activations per layer and micro-batch (Megatron-LM without sequence "
      "parallelism); PP: each stage sends activations / TP forward and gradients backward per "
      "micro-batch (scatter/gather over TP ranks), all boundaries at once; EP: 4 all-to-alls of "
      "tokens / TP x top-k x hidden per MoE layer and micro-batch; DP: parameters / (TP x PP) "
      "in buckets; per-layer counts are the busiest pipeline stage's (layers + "
      "pipeline_balance_layers) / PP, each reduce-scattered (gradient dtype) and all-gathered "
      "(parameter dtype) "
      "once per step when sharded, else all-reduced");
  if (spec.ep > 1)
    a.push_back(
        "MoE: dense parameters' gradients over the DP group, routed experts' (expert_parameters "
        "/ EP) over the expert-data-parallel group of DP / EP ranks");
  a.push_back("job ranks numbered by the nesting order (innermost first); rank = GPU when aligned");
  if (spec.gpus < cluster.gpus)
    a.push_back("the cluster is resized to the job's " + std::to_string(spec.gpus) +
                " GPUs (same switches and tiers; the rest of the cluster idle)");
  return job;
}

std::vector<std::int64_t> job_placement(const JobLayout& job, const ClusterConfig& cluster,
                                        Placement placement, std::uint64_t seed) {
  return make_placement(placement, job.spec.gpus, cluster.scaleup_domain_gpus, seed);
}

JobFabricResult evaluate_job(const JobLayout& job, const ClusterConfig& cluster,
                             const FabricProfile& fabric, const JobEvalOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  JobFabricResult res;
  res.fabric = fabric.name;
  res.routing = to_string(fabric.routing);
  Micros dp_time = 0, other_time = 0, net_time = 0;
  double weighted_tf = 0;
  // One session per communicator kind: a kind's collectives reuse each other's solved flows.
  std::map<std::string, std::unique_ptr<ConcurrentSession>> sessions;
  for (const StepCollective& sc : job.collectives) {
    const Communicator& comm = job.communicator(sc.kind);
    EvalOptions eo;
    eo.collective = sc.p2p ? Collective::kAllGather : sc.collective;
    eo.algo = o.algo;
    eo.gpus = job.spec.gpus;
    eo.seeds = o.seeds;
    eo.seed_base = o.seed_base;
    eo.placement = o.placement;
    eo.faults = o.faults;
    const std::string key = sc.kind + (sc.p2p ? ":p2p" : "");
    auto& session = sessions[key];
    if (!session) {
      ConcurrentGroups g;
      g.ranks = comm.ranks;
      g.groups = comm.groups;
      g.domain = comm.ranks_per_domain;
      g.custom = sc.p2p ? &kPipelineP2P : nullptr;
      g.gpus = [&job, &cluster, &comm, &o](std::uint64_t seed) {
        const std::vector<std::int64_t> place = job_placement(job, cluster, o.placement, seed);
        std::vector<std::int64_t> out(comm.members.size());
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = place[static_cast<std::size_t>(comm.members[i])];
        return out;
      };
      session = std::make_unique<ConcurrentSession>(cluster, fabric, eo, std::move(g));
    }
    std::vector<Bytes> sizes = {sc.bytes};
    if (sc.last_bytes > 0) sizes.push_back(sc.last_bytes);
    const std::vector<ModelResult> r = session->evaluate(eo, sizes);
    CollectiveTime ct;
    ct.kind = sc.kind;
    ct.collective = sc.name();
    ct.algo = r[0].algo;
    ct.per = sc.per;
    ct.bytes = sc.bytes;
    ct.calls = sc.calls;
    ct.bytes_per_step = sc.bytes_per_step();
    ct.time_us_per_call = r[0].time_us;
    ct.time_us_per_step = r[0].time_us * static_cast<double>(sc.calls);
    ct.congestion_us_per_step = r[0].breakdown.congestion_us * static_cast<double>(sc.calls);
    if (r.size() > 1) {
      ct.time_us_per_step += r[1].time_us;
      ct.congestion_us_per_step += r[1].breakdown.congestion_us;
      if (r[1].algo != ct.algo) ct.algo += "/" + r[1].algo + " (last bucket)";
    }
    ct.throughput_fraction = r[0].throughput_fraction;
    ct.network = comm.ranks_per_domain < comm.ranks;
    ct.flows = r[0].flows;
    ct.wall_s = r[0].wall_s;
    for (const std::string& s : r[0].approximations)
      if (std::find(res.approximations.begin(), res.approximations.end(), s) ==
          res.approximations.end())
        res.approximations.push_back(s);
    res.comm_time_us_per_step += ct.time_us_per_step;
    res.congestion_us_per_step += ct.congestion_us_per_step;
    if (sc.kind == "dp" || sc.kind == "edp")
      dp_time += ct.time_us_per_step;
    else
      other_time += ct.time_us_per_step;
    if (ct.network) {
      net_time += ct.time_us_per_step;
      weighted_tf += ct.throughput_fraction * ct.time_us_per_step;
    }
    res.collectives.push_back(std::move(ct));
  }
  res.throughput_fraction = net_time > 0 ? weighted_tf / net_time : 1.0;
  const Micros compute = job.spec.compute_time_us_per_step();
  if (compute > 0) res.exposed_time_us_per_step = other_time + std::max(0.0, dp_time - compute);
  res.approximations.insert(res.approximations.begin(), job.approximations.begin(),
                            job.approximations.end());
  res.approximations.push_back(
      "collectives of different kinds (and successive calls of one kind) do not overlap each "
      "other on the network: the step's communication time is their sum");
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

void rank_fabrics(std::vector<JobFabricResult>& results) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& r : results) best = std::min(best, r.comm_time_us_per_step);
  for (auto& r : results) r.ratio_to_best = best > 0 ? r.comm_time_us_per_step / best : 1.0;
}

nlohmann::json to_json(const Communicator& c) {
  return {{"kind", c.kind},
          {"ranks", c.ranks},
          {"groups", c.groups},
          {"gpus_per_server", c.gpus_per_server},
          {"ranks_per_scaleup_domain", c.ranks_per_domain},
          {"concurrent_per_server", c.concurrent_per_server}};
}

}  // namespace fb::model
