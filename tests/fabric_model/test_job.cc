// Training-job communicators and step collectives (fabric_model/job.h), job spec validation,
// and concurrent communicators sharing a fabric (evaluate_concurrent).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "fabric_model/job.h"
#include "fabric_model/model.h"
#include "test_util.h"

namespace fm = fb::model;

namespace {

const fm::StepCollective& find(const fm::JobLayout& j, const std::string& kind, fm::Collective c) {
  for (const auto& s : j.collectives)
    if (s.kind == kind && s.collective == c) return s;
  throw std::runtime_error("no " + kind + " collective");
}

nlohmann::json llama_json() {
  return nlohmann::json::parse(R"({
    "name": "t", "gpus": 16384,
    "parallelism": {"tp": 8, "pp": 16, "dp": 128, "pipeline_balance_layers": 2},
    "model": {"parameters": 405000000000, "layers": 126, "hidden_size": 16384,
              "attention_heads": 128, "kv_heads": 8},
    "batch": {"micro_batch_sequences": 1, "sequence_length_tokens": 8192,
              "micro_batches_per_step": 16},
    "bucket_parameters": 40000000})");
}

std::string error_of(const nlohmann::json& j) {
  try {
    fm::parse_job_spec(j, "test");
  } catch (const fm::ModelError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Job, LlamaPresetCommunicators) {
  const fm::JobSpec spec = fm::load_job_spec("llama3_405b_16k");
  EXPECT_EQ(spec.tp * spec.cp * spec.pp * spec.dp, 16384);
  const fm::JobLayout job = fm::build_job(spec, fm::load_cluster_config("colossus_like"));
  const fm::Communicator& dp = job.communicator("dp");
  EXPECT_EQ(dp.ranks, 128);
  EXPECT_EQ(dp.groups, 128);
  EXPECT_EQ(dp.gpus_per_server, 1);
  EXPECT_EQ(dp.concurrent_per_server, 8);
  // DP stride = TP x CP x PP = 128 GPUs = 16 servers.
  EXPECT_EQ(dp.members[0], 0);
  EXPECT_EQ(dp.members[1], 128);
  EXPECT_EQ(dp.members[127], 127 * 128);
  EXPECT_EQ(dp.members[128], 1);  // group 1 starts at rank 1 (TP rank 1: the next rail)
  const fm::Communicator& tp = job.communicator("tp");
  EXPECT_EQ(tp.ranks, 8);
  EXPECT_EQ(tp.groups, 2048);
  EXPECT_EQ(tp.gpus_per_server, 8);
  EXPECT_EQ(tp.concurrent_per_server, 1);
  const fm::Communicator& pp = job.communicator("pp");
  EXPECT_EQ(pp.ranks, 16);
  EXPECT_EQ(pp.groups, 1024);
  EXPECT_EQ(pp.gpus_per_server, 1);
  EXPECT_EQ(pp.concurrent_per_server, 8);
  EXPECT_THROW(job.communicator("ep"), fm::ModelError);
}

TEST(Job, LlamaStepCollectiveSizes) {
  const fm::JobLayout job =
      fm::build_job(fm::load_job_spec("llama3_405b_16k"), fm::load_cluster_config("colossus_like"));
  // Activations of one micro-batch: 1 x 8192 tokens x 16384 hidden x 2 B (bf16) = 256 MiB.
  const fm::StepCollective& tp = find(job, "tp", fm::Collective::kAllReduce);
  EXPECT_EQ(tp.bytes, 268435456u);
  // 4 all-reduces x (126 + 2) / 16 = 8 layers x 16 micro-batches.
  EXPECT_EQ(tp.calls, 512);
  const fm::StepCollective& pp = find(job, "pp", fm::Collective::kPermutation);
  EXPECT_TRUE(pp.p2p);
  EXPECT_EQ(pp.bytes, 268435456u / 8);  // split over the 8 TP ranks
  EXPECT_EQ(pp.calls, 32);              // forward + backward per micro-batch
  // DP: 405e9 / (8 x 16) = 3,164,062,500 parameters per GPU in 40M-parameter buckets:
  // 79 full buckets + 4,062,500 parameters.
  const fm::StepCollective& rs = find(job, "dp", fm::Collective::kReduceScatter);
  EXPECT_EQ(rs.bytes, 160000000u);  // fp32 gradients
  EXPECT_EQ(rs.calls, 79);
  EXPECT_EQ(rs.last_bytes, 16250000u);
  const fm::StepCollective& ag = find(job, "dp", fm::Collective::kAllGather);
  EXPECT_EQ(ag.bytes, 80000000u);  // bf16 parameters
  EXPECT_EQ(ag.calls, 79);
  EXPECT_EQ(ag.last_bytes, 8125000u);
  EXPECT_DOUBLE_EQ(rs.bytes_per_step(), 3164062500.0 * 4);
  EXPECT_EQ(job.collectives.size(), 4u);
}

TEST(Job, UnshardedOptimizerAllReduces) {
  nlohmann::json j = llama_json();
  j["sharded_optimizer"] = false;
  const fm::JobLayout job =
      fm::build_job(fm::parse_job_spec(j, "t"), fm::load_cluster_config("colossus_like"));
  const fm::StepCollective& ar = find(job, "dp", fm::Collective::kAllReduce);
  EXPECT_EQ(ar.bytes, 160000000u);
  EXPECT_EQ(ar.calls, 79);
  EXPECT_THROW(find(job, "dp", fm::Collective::kReduceScatter), std::runtime_error);
}

TEST(Job, MoePresetExpertAllToAllSpansServers) {
  const fm::JobLayout job = fm::build_job(fm::load_job_spec("deepseek_v3_moe_2k"),
                                          fm::load_cluster_config("colossus_like"));
  const fm::Communicator& ep = job.communicator("ep");
  EXPECT_EQ(ep.ranks, 64);
  EXPECT_EQ(ep.gpus_per_server, 8);  // 64 consecutive GPUs = 8 servers
  EXPECT_EQ(ep.groups, 32);
  const fm::Communicator& edp = job.communicator("edp");
  EXPECT_EQ(edp.ranks, 2);
  EXPECT_EQ(edp.members[1], 64);
  // 1 x 4096 tokens x top-8 x 7168 x 2 B per all-to-all; 4 per MoE layer, 4 MoE layers on the
  // busiest stage, 8 micro-batches.
  const fm::StepCollective& a2a = find(job, "ep", fm::Collective::kAllToAll);
  EXPECT_EQ(a2a.bytes, 4096u * 8 * 7168 * 2);
  EXPECT_EQ(a2a.calls, 4 * 4 * 8);
}

TEST(Job, BadSpecsAreOneLineErrors) {
  nlohmann::json j = llama_json();
  j["gpus"] = 16000;
  EXPECT_NE(error_of(j).find("is not the job's GPU count 16000"), std::string::npos);
  j = llama_json();
  j["parallelism"]["ep"] = 3;
  j["model"]["experts"] = 6;
  j["model"]["top_k"] = 1;
  j["model"]["moe_layers"] = 2;
  EXPECT_NE(error_of(j).find("ep (3) does not divide dp (128)"), std::string::npos);
  j = llama_json();
  j["parallelism"]["pipeline_balance_layers"] = 0;
  EXPECT_NE(error_of(j).find("layers (126) not divisible by pp (16)"), std::string::npos);
  j = llama_json();
  j["model"]["vocabulary"] = 128256;
  EXPECT_NE(error_of(j).find("unknown key 'vocabulary'"), std::string::npos);
  j = llama_json();
  j["bucket_parameters"] = 0;
  EXPECT_NE(error_of(j).find("bucket_parameters must be positive"), std::string::npos);
  j = llama_json();
  j["batch"]["micro_batches_per_step"] = -1;
  EXPECT_NE(error_of(j).find("must not be negative"), std::string::npos);
  j = llama_json();
  j["parallelism"]["tp"] = 16;
  j["parallelism"]["pp"] = 8;
  const fm::JobSpec tp16 = fm::parse_job_spec(j, "t");
  try {
    tp16.validate_on(fm::load_cluster_config("colossus_like"));
    FAIL() << "tp 16 accepted";
  } catch (const fm::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("tp (16) larger than the scale-up domain (8 GPUs)"),
              std::string::npos);
  }
  try {
    fm::load_job_spec("no_such_job");
    FAIL() << "unknown preset accepted";
  } catch (const fm::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("llama3_405b_16k"), std::string::npos);
  }
  const std::string missing = error_of(nlohmann::json::object());
  EXPECT_EQ(missing, "job test: missing key 'gpus'");
}

TEST(Job, EveryPresetBuildsOnItsTopology) {
  const std::pair<const char*, const char*> presets[] = {{"llama3_405b_16k", "colossus_like"},
                                                         {"dense_100k_colossus", "colossus_like"},
                                                         {"dense_1m", "cluster_1m"},
                                                         {"deepseek_v3_moe_2k", "colossus_like"}};
  EXPECT_EQ(fm::list_job_presets().size(), 4u);
  for (const auto& [job, topo] : presets) {
    const fm::JobSpec s = fm::load_job_spec(job);
    EXPECT_FALSE(s.sources.empty()) << job;
    EXPECT_NO_THROW(fm::build_job(s, fm::load_cluster_config(topo))) << job;
  }
}

// Two 2-rank communicators on 4 hosts, leaves of 2 hosts with one uplink each: group 0 = hosts
// {0, 2}, group 1 = hosts {1, 3}, so both rings cross the same leaf uplinks. Ring all-gather of
// 2 ranks: one step, B/2 per connection; alone a flow gets the whole 100 Gb/s link, together
// each gets half: the transfer time doubles (congestion = bandwidth + header) and half the
// offered rate is delivered.
TEST(Job, TwoCommunicatorsThroughOneLinkGetHalfTheRate) {
  fm::ClusterConfig c = fm::testing::plain_tree(4, 3, 2, 100);
  c.tiers = {{3, 100, 2.0}};
  const fm::ClosTopology topo(c);
  ASSERT_EQ(topo.up(1), 1);
  ASSERT_EQ(topo.hosts_under(1), 2);
  const fm::FabricProfile fab = fm::load_fabric_profile("infiniband_ndr");
  fm::EvalOptions o;
  o.collective = fm::Collective::kAllGather;
  o.algo = "ring";
  fm::ConcurrentGroups g;
  g.ranks = 2;
  g.domain = 1;
  g.groups = 2;
  g.gpus = [](std::uint64_t) { return std::vector<std::int64_t>{0, 2, 1, 3}; };
  const fm::Bytes b = 1000000;
  const fm::ModelResult both = fm::evaluate_concurrent(c, fab, o, g, {b}).front();
  g.groups = 1;
  const fm::ModelResult one = fm::evaluate_concurrent(c, fab, o, g, {b}).front();
  // B/2 = 500,000 B at 100 Gb/s = 12,500 B/us: 40 us of payload.
  EXPECT_DOUBLE_EQ(one.breakdown.bandwidth_us, 40.0);
  EXPECT_DOUBLE_EQ(both.breakdown.bandwidth_us, 40.0);
  EXPECT_NEAR(one.breakdown.congestion_us, 0.0, 1e-9);
  EXPECT_NEAR(both.breakdown.congestion_us, both.breakdown.bandwidth_us + both.breakdown.header_us,
              1e-9);
  EXPECT_NEAR(both.throughput_fraction, 0.5, 1e-12);
  EXPECT_NEAR(one.throughput_fraction, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(both.breakdown.latency_us, one.breakdown.latency_us);
}

// colossus_like, Llama 3 405B layout scattered over the cluster (fragmented placement): the 128
// concurrent DP rings collide under ECMP hashing (congestion, delivered < offered) and adaptive
// routing spreads them (no congestion), for every seed.
TEST(Job, FragmentedDpCongestsUnderEcmpNotAdaptive) {
  const fm::ClusterConfig cfg = fm::load_cluster_config("colossus_like");
  fm::JobLayout job = fm::build_job(fm::load_job_spec("llama3_405b_16k"), cfg);
  job.collectives.erase(std::remove_if(job.collectives.begin(), job.collectives.end(),
                                       [](const fm::StepCollective& s) {
                                         return s.kind != "dp" ||
                                                s.collective != fm::Collective::kReduceScatter;
                                       }),
                        job.collectives.end());
  job.collectives.front().last_bytes = 0;
  ASSERT_EQ(job.collectives.size(), 1u);
  const fm::FabricProfile ecmp = fm::load_fabric_profile("roce_ecmp");
  const fm::FabricProfile adaptive = fm::load_fabric_profile("roce_adaptive");
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    fm::JobEvalOptions o;
    o.placement = fm::Placement::kFragmented;
    o.seed_base = seed;
    o.algo = "ring";
    const fm::JobFabricResult e = fm::evaluate_job(job, cfg, ecmp, o);
    const fm::JobFabricResult a = fm::evaluate_job(job, cfg, adaptive, o);
    EXPECT_GT(e.congestion_us_per_step, 0.3 * e.comm_time_us_per_step) << seed;
    EXPECT_LT(e.throughput_fraction, 0.9) << seed;
    EXPECT_NEAR(a.congestion_us_per_step, 0.0, 1e-6 * a.comm_time_us_per_step) << seed;
    EXPECT_NEAR(a.throughput_fraction, 1.0, 1e-9) << seed;
    EXPECT_LT(a.comm_time_us_per_step, 0.7 * e.comm_time_us_per_step) << seed;
  }
}
