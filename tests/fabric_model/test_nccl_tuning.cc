// NCCL's cost model (fabric_model/nccl_tuning.*): every expected value is worked out by hand in
// a comment from the constants of fabric_model/tuning/nccl_2_30.json (NCCL src/tuning/*.cc).
#include <gtest/gtest.h>

#include <string>

#include "fabric_model/config.h"
#include "fabric_model/embedded_data.h"
#include "fabric_model/nccl_tuning.h"
#include "fabric_model/profile.h"

namespace fb::model::nccl {
namespace {

constexpr Bytes kGiB = 1ULL << 30;
constexpr Bytes kMiB = 1ULL << 20;

// 0.1 % agreement.
void expect_near_rel(double got, double want) {
  EXPECT_NEAR(got, want, std::abs(want) * 1e-3) << "want " << want;
}

// Hopper, Intel CPU, NVLink intra, `nodes` x `ppn` ranks; every graph 8 channels x 45 GB/s
// (what derive_graphs gives for 8 x 400G NICs and 370.8 GB/s NVLink), no network latency.
Job hopper_job(std::int64_t nodes, std::int64_t ppn = 8) {
  Job j;
  j.ranks = nodes * ppn;
  j.nodes = nodes;
  j.compute_capability = 90;
  for (auto& g : j.graphs) {
    g.channels = 8;
    g.bw_intra_gbytes_per_s = 45;
    g.bw_inter_gbytes_per_s = 45;
    g.pattern = "balanced_tree";
  }
  return j;
}

double lat(const Job& j, Collective c, Algorithm a, Protocol p) {
  const Table t = build_table(j, default_constants());
  const Entry& e = t.at(c, a, p);
  EXPECT_TRUE(e.applicable) << e.reason;
  return e.latency_us;
}

// All-reduce time of one (algorithm, protocol) for `bytes` on `job`.
AlgoTime ar_time(const Job& job, Algorithm a, Protocol p, Bytes bytes) {
  const Constants& k = default_constants();
  return algo_time(build_table(job, k), k, Collective::kAllReduce, a, p, bytes);
}

TEST(NcclTuning, TreeLatencyAt128And131072Nodes) {
  // Tree AR: base + 2 * ((ppn - 1) * hwLat[NVLink][Tree] + log2(nodes) * hwLat[NET][Tree]).
  // 128 nodes, LL:     6.8 + 2 * (7 * 0.6 + 7 * 5.0)   = 6.8 + 78.4  = 85.2
  // 128 nodes, Simple: 8.4 + 2 * (7 * 4.0 + 7 * 14)   = 8.4 + 252   = 260.4
  // 131072 nodes (log2 = 17), LL:     6.8 + 2 * (4.2 + 17 * 5)  = 185.2
  // 131072 nodes,             Simple: 8.4 + 2 * (28 + 17 * 14)  = 540.4
  expect_near_rel(lat(hopper_job(128), Collective::kAllReduce, Algorithm::kTree, Protocol::kLL),
                  85.2);
  expect_near_rel(lat(hopper_job(128), Collective::kAllReduce, Algorithm::kTree, Protocol::kSimple),
                  260.4);
  expect_near_rel(lat(hopper_job(131072), Collective::kAllReduce, Algorithm::kTree, Protocol::kLL),
                  185.2);
  expect_near_rel(
      lat(hopper_job(131072), Collective::kAllReduce, Algorithm::kTree, Protocol::kSimple), 540.4);
}

TEST(NcclTuning, RingLatencyAt128And131072Nodes) {
  // Ring AR: base + (nsteps - ninter) * max(hwLat[NVLink][Ring], netOverhead) + ninter * hwLat
  // [NET][Ring]; nsteps = 2(n-1), ninter = 2(nodes-1); netOverhead Intel 1.0 us, x3 for Simple.
  // 128 nodes, n = 1024: nsteps 2046, ninter 254, intra steps 1792.
  //   LL:     6.6 + 1792 * max(0.6, 1.0) + 254 * 2.7  = 6.6 + 1792 + 685.8   = 2484.4
  //   Simple: 8.4 + 1792 * max(3.4, 3.0) + 254 * 14   = 8.4 + 6092.8 + 3556  = 9657.2
  // 131072 nodes, n = 1048576: nsteps 2097150, ninter 262142, intra steps 1835008.
  //   LL:     6.6 + 1835008 * 1.0 + 262142 * 2.7      = 2542798.0
  //   Simple: 8.4 + 1835008 * 3.4 + 262142 * 14       = 8.4 + 6239027.2 + 3669988 = 9909023.6
  expect_near_rel(lat(hopper_job(128), Collective::kAllReduce, Algorithm::kRing, Protocol::kLL),
                  2484.4);
  expect_near_rel(lat(hopper_job(128), Collective::kAllReduce, Algorithm::kRing, Protocol::kSimple),
                  9657.2);
  expect_near_rel(lat(hopper_job(131072), Collective::kAllReduce, Algorithm::kRing, Protocol::kLL),
                  2542798.0);
  expect_near_rel(
      lat(hopper_job(131072), Collective::kAllReduce, Algorithm::kRing, Protocol::kSimple),
      9909023.6);
}

TEST(NcclTuning, AmdCpuDoublesRingNetOverhead) {
  // AMD: netOverhead 2.0 us (x3 = 6.0 for Simple) now exceeds hwLat[NVLink][Ring][Simple] 3.4.
  // 128 nodes Simple: 8.4 + 1792 * 6.0 + 254 * 14 = 8.4 + 10752 + 3556 = 14316.4
  Job j = hopper_job(128);
  j.cpu = CpuVendor::kAmd;
  expect_near_rel(lat(j, Collective::kAllReduce, Algorithm::kRing, Protocol::kSimple), 14316.4);
}

TEST(NcclTuning, CollNetDirectLatency) {
  // base 0 + 2 * (min(1, ppn-1) * hwLat[NVLink][CollNetDirect] + (ppn-1) * 0.4) + hwLat[NET]
  // = 2 * (1 * 3.7 + 7 * 0.4) + 31 = 2 * 6.5 + 31 = 44.0
  Job j = hopper_job(128);
  j.in_network_reduction = true;
  j.collnet_enable = true;
  expect_near_rel(lat(j, Collective::kAllReduce, Algorithm::kCollNetDirect, Protocol::kSimple),
                  44.0);
}

TEST(NcclTuning, PatLatencyAt1024RanksOneGpuPerNode) {
  // PAT: baseLat 8 + log2(1024) * (hwLat[NET][PAT][Simple] / 3.5) + nRanks * 2.8
  //    = 8 + 10 * (14 / 3.5) + 1024 * 2.8 = 8 + 40 + 2867.2 = 2915.2
  const Job j = hopper_job(1024, 1);
  expect_near_rel(lat(j, Collective::kAllGather, Algorithm::kPat, Protocol::kSimple), 2915.2);
  // Bandwidth: min(bwInter, bwIntra) * channels * 0.75 = 45 * 8 * 0.75 = 270 GB/s.
  const Table t = build_table(j, default_constants());
  expect_near_rel(
      t.at(Collective::kReduceScatter, Algorithm::kPat, Protocol::kSimple).bandwidth_gbytes_per_s,
      270.0);
}

TEST(NcclTuning, TreeSimpleFullTimeWithCorrectionFactor) {
  // Tree AR bw, 128 nodes (index2 = 2), Hopper: bus = 8 x 45 = 360;
  //   min(360 * .92 = 331.2, 8 * perChMaxTreeBw 36.0 = 288) = 288; x 0.5 = 144 GB/s.
  // 1 GiB: logSize = log2(2^30 >> 6) = 24 >= 23, no correction:
  //   260.4 + 2^30 / (1000 * 144) = 260.4 + 7456.5404 = 7716.9404 us
  // 1 MiB: logSize = 14, treeCorrectionFactor[Simple][14] = 0.5 -> bw 72:
  //   260.4 + 2^20 / 72000 = 260.4 + 14.5636 = 274.9636 us
  const AlgoTime big = ar_time(hopper_job(128), Algorithm::kTree, Protocol::kSimple, kGiB);
  expect_near_rel(big.bandwidth_gbytes_per_s, 144.0);
  expect_near_rel(big.time_us, 7716.9404);
  const AlgoTime small = ar_time(hopper_job(128), Algorithm::kTree, Protocol::kSimple, kMiB);
  expect_near_rel(small.bandwidth_gbytes_per_s, 72.0);
  expect_near_rel(small.time_us, 274.9636);
}

TEST(NcclTuning, RingPlateauAboveSixtyFourBytesPerRankPerChannel) {
  // Ring AR Simple, 128 nodes: bw = 8 x 45 x n / nsteps = 360 * 1024 / 2046 = 180.176 GB/s.
  // 1 GiB: 2^30 / (8 ch * 1024 ranks) = 131072 >= 64 -> lat x 1.4 = 9657.2 * 1.4 = 13520.08;
  //   bandwidth term 2^30 * 2046 / (360 * 1024 * 1000) = 5959.4069 -> 19479.487 us
  // 256 KiB: 262144 / 8192 = 32 < 64 -> lat 9657.2; 262144 * 2046 / 368640000 = 1.4549
  //   -> 9658.655 us
  const AlgoTime big = ar_time(hopper_job(128), Algorithm::kRing, Protocol::kSimple, kGiB);
  expect_near_rel(big.latency_us, 13520.08);
  expect_near_rel(big.time_us, 19479.487);
  const AlgoTime small = ar_time(hopper_job(128), Algorithm::kRing, Protocol::kSimple, 262144);
  expect_near_rel(small.latency_us, 9657.2);
  expect_near_rel(small.time_us, 9658.655);
}

TEST(NcclTuning, TinyAllReducePicksTreeLL) {
  // 2 nodes x 8 (index2 = 1). Tree LL lat = 6.8 + 2 * (7 * 0.6 + 1 * 5.0) = 25.2;
  //   bw: min(360 * .92, 8 * 41.4) = 331.2; LL min(331.2 / 3.8, llMaxBw[Intel][2 nodes] 39) =
  //   39; x 0.5 = 19.5; 1 KiB: logSize 4, factor[LL][4] = 0.9 -> 17.55 GB/s.
  //   time = 25.2 + 1024 / 17550 = 25.2583 us
  // Next: Ring LL 6.6 + 28 * 1.0 + 2 * 2.7 = 40.0 (+ tiny bw term); Tree LL128 14 + 2 * (8.75 +
  //   8.5) = 48.5.
  const Constants& k = default_constants();
  const Table t = build_table(hopper_job(2), k);
  const auto ranked = rank_candidates(t, k, Collective::kAllReduce, 1024);
  ASSERT_EQ(ranked.size(), 21u);
  EXPECT_EQ(ranked[0].algo, Algorithm::kTree);
  EXPECT_EQ(ranked[0].proto, Protocol::kLL);
  expect_near_rel(ranked[0].time_us, 25.2583);
  EXPECT_EQ(ranked[1].algo, Algorithm::kRing);
  EXPECT_EQ(ranked[1].proto, Protocol::kLL);
  expect_near_rel(ranked[1].latency_us, 40.0);
}

TEST(NcclTuning, OneGiBAtTwoNodesRingWithoutMulticastNvlsTreeWith) {
  const Constants& k = default_constants();
  // No NVLS: Ring Simple. lat = 8.4 + 28 * 3.4 + 2 * 14 = 131.6, plateau x1.4 = 184.24;
  //   bw = 360 * 16 / 30 = 192 -> 184.24 + 2^30 / 192000 = 184.24 + 5592.4053 = 5776.645 us.
  //   Tree Simple: 92.4 + 2^30 / (331.2 * 0.5 * 1000) = 92.4 + 6483.9 = 6576.3 (second).
  {
    const Table t = build_table(hopper_job(2), k);
    const auto ranked = rank_candidates(t, k, Collective::kAllReduce, kGiB);
    EXPECT_EQ(ranked[0].algo, Algorithm::kRing);
    EXPECT_EQ(ranked[0].proto, Protocol::kSimple);
    expect_near_rel(ranked[0].time_us, 5776.645);
    EXPECT_EQ(ranked[1].algo, Algorithm::kTree);
  }
  // NVSwitch multicast, NVLS graph 8 x 48: NVLSTree. intraBw = 48 * 0.85 * 7/8 * 2 = 71.4;
  //   interBw = 48 * 2 (<= 2 nodes) = 96; perChMaxNVLSTreeBw[Hopper][2 nodes] = 57.7 -> 57.7 *
  //   8 * 16/30 = 246.187 GB/s; lat = 0 + 25 + 2 * 1 * 20.9 = 66.8;
  //   time = 66.8 + 2^30 / 246186.67 = 66.8 + 4361.498 = 4428.298 us
  {
    Job j = hopper_job(2);
    j.nvls_multicast = true;
    for (Algorithm a : {Algorithm::kNvls, Algorithm::kNvlsTree}) {
      j.graphs[static_cast<int>(a)].bw_intra_gbytes_per_s = 48;
      j.graphs[static_cast<int>(a)].bw_inter_gbytes_per_s = 48;
    }
    const Table t = build_table(j, k);
    const auto ranked = rank_candidates(t, k, Collective::kAllReduce, kGiB);
    EXPECT_EQ(ranked[0].algo, Algorithm::kNvlsTree);
    expect_near_rel(ranked[0].time_us, 4428.298);
    // NVLS itself: multi-node needs NCCL_COLLNET_ENABLE=1.
    EXPECT_NE(t.at(Collective::kAllReduce, Algorithm::kNvls, Protocol::kSimple)
                  .reason.find("NCCL_COLLNET_ENABLE"),
              std::string::npos);
  }
}

TEST(NcclTuning, BlackwellNvlsTreeCorrectionOnX86Only) {
  // Blackwell (compcap index 3), 2 nodes (index2 = 1), NVLS graph 8 x 48:
  //   intraBw = 48 * nvlsEfficiency 0.74 * 7/8 * 2 = 62.16; interBw = 48 * 2 = 96;
  //   perChMaxNVLSTreeBw[Blackwell][2 nodes] = 96 -> 62.16 * 8 * 16/30 = 265.216 GB/s;
  //   lat = 25 + 2 * log2(2) * 20.9 = 66.8.
  // 1 MiB on x86: logSize 14, treeCorrectionFactor[Simple][14] = 0.5 -> 132.608 GB/s:
  //   66.8 + 2^20 / 132608 = 66.8 + 7.9073 = 74.7073 us; not x86: 66.8 + 3.9537 = 70.7537 us
  Job j = hopper_job(2);
  j.compute_capability = 100;
  j.nvls_multicast = true;
  j.graphs[static_cast<int>(Algorithm::kNvlsTree)].bw_intra_gbytes_per_s = 48;
  j.graphs[static_cast<int>(Algorithm::kNvlsTree)].bw_inter_gbytes_per_s = 48;
  expect_near_rel(ar_time(j, Algorithm::kNvlsTree, Protocol::kSimple, kMiB).time_us, 74.7073);
  j.x86 = false;
  expect_near_rel(ar_time(j, Algorithm::kNvlsTree, Protocol::kSimple, kMiB).time_us, 70.7537);
}

TEST(NcclTuning, TreePatternPenalty) {
  // pattern tree (not balanced_tree): Tree Simple bus 288 x .85 = 244.8, x 0.5 = 122.4 GB/s.
  Job j = hopper_job(128);
  j.graphs[static_cast<int>(Algorithm::kTree)].pattern = "tree";
  expect_near_rel(ar_time(j, Algorithm::kTree, Protocol::kSimple, kGiB).bandwidth_gbytes_per_s,
                  122.4);
}

TEST(NcclTuning, DerivedGraphsOneNode) {
  // One 8-GPU node, NVLink 370.8 GB/s, SM90: ring = largest sm90 intra speed <= 370.8 = 60,
  // floor(370.8 / 60) = 6 channels, duplicated (60 >= 25 and not < 50) to 12 x 30.
  // NVLS: 8 heads, largest intra speed <= 370.8 * 8/7 / 8 = 52.97 -> 50.
  const DerivedGraphs d = derive_graphs(load_cluster_config("cluster_1m"), 8, default_constants());
  EXPECT_EQ(d.graphs[static_cast<int>(Algorithm::kRing)].channels, 12);
  EXPECT_DOUBLE_EQ(d.graphs[static_cast<int>(Algorithm::kRing)].bw_intra_gbytes_per_s, 30.0);
  EXPECT_EQ(d.graphs[static_cast<int>(Algorithm::kNvls)].channels, 8);
  EXPECT_DOUBLE_EQ(d.graphs[static_cast<int>(Algorithm::kNvls)].bw_intra_gbytes_per_s, 50.0);
}

TEST(NcclTuning, GatingReasons) {
  const Table t = build_table(hopper_job(128), default_constants());
  EXPECT_FALSE(t.at(Collective::kAllReduce, Algorithm::kPat, Protocol::kSimple).applicable);
  EXPECT_NE(t.at(Collective::kAllReduce, Algorithm::kPat, Protocol::kSimple)
                .reason.find("all_gather and reduce_scatter"),
            std::string::npos);
  EXPECT_NE(t.at(Collective::kAllGather, Algorithm::kPat, Protocol::kSimple)
                .reason.find("one GPU per node"),
            std::string::npos);
  EXPECT_NE(t.at(Collective::kAllReduce, Algorithm::kCollNetDirect, Protocol::kSimple)
                .reason.find("no in-network reduction"),
            std::string::npos);
  EXPECT_NE(t.at(Collective::kAllReduce, Algorithm::kNvls, Protocol::kLL).reason.find("Simple"),
            std::string::npos);
  EXPECT_NE(t.at(Collective::kAllGather, Algorithm::kTree, Protocol::kSimple)
                .reason.find("only for all_reduce"),
            std::string::npos);
  Job one = hopper_job(1);
  one.nvls_multicast = true;
  const Table t1 = build_table(one, default_constants());
  EXPECT_NE(t1.at(Collective::kAllReduce, Algorithm::kNvlsTree, Protocol::kSimple)
                .reason.find("more than one node"),
            std::string::npos);
  EXPECT_TRUE(t1.at(Collective::kAllReduce, Algorithm::kNvls, Protocol::kSimple).applicable);
  Job pci = hopper_job(2);
  pci.nvlink_intra = false;
  EXPECT_NE(build_table(pci, default_constants())
                .at(Collective::kAllReduce, Algorithm::kRing, Protocol::kLL128)
                .reason.find("PCI"),
            std::string::npos);
  // Every reason is one line, and only non-applicable entries carry one.
  for (const auto& coll : t.e)
    for (const auto& algo : coll)
      for (const auto& e : algo) {
        EXPECT_EQ(e.applicable, e.reason.empty());
        EXPECT_EQ(e.reason.find('\n'), std::string::npos);
      }
}

TEST(NcclTuning, DerivedGraphsForCluster1m) {
  // 8 GPUs/server, 400 Gb/s NIC = 50 GB/s, NVLink 2966.4 Gb/s = 370.8 GB/s, SM90:
  // ring: 8 channels; largest sm90 inter speed <= min(50, 370.8 / 8 = 46.35) = 45; no
  // duplication (SM > 80, 45 < 50 and 8 > 4 channels). NVLS: 8 heads x 48 (<= 50).
  const ClusterConfig topo = load_cluster_config("cluster_1m");
  const DerivedGraphs d = derive_graphs(topo, 1024, default_constants());
  const GraphInfo& ring = d.graphs[static_cast<int>(Algorithm::kRing)];
  EXPECT_EQ(ring.channels, 8);
  EXPECT_DOUBLE_EQ(ring.bw_inter_gbytes_per_s, 45.0);
  EXPECT_EQ(d.graphs[static_cast<int>(Algorithm::kNvls)].channels, 8);
  EXPECT_DOUBLE_EQ(d.graphs[static_cast<int>(Algorithm::kNvls)].bw_inter_gbytes_per_s, 48.0);
  EXPECT_FALSE(d.unknowns.empty());
  // One GPU per node (PAT case): 1 channel at 48 (<= 50), then duplicated (48 >= 25, 1 channel)
  // to 2 x 24.
  ClusterConfig single = topo;
  single.gpus_per_server = 1;
  const DerivedGraphs d1 = derive_graphs(single, 1024, default_constants());
  EXPECT_EQ(d1.graphs[static_cast<int>(Algorithm::kRing)].channels, 2);
  EXPECT_DOUBLE_EQ(d1.graphs[static_cast<int>(Algorithm::kRing)].bw_inter_gbytes_per_s, 24.0);
  // Overrides replace the derived values.
  Options o;
  o.graphs[static_cast<int>(Algorithm::kRing)].channels = 16;
  o.graphs[static_cast<int>(Algorithm::kRing)].bw_inter_gbytes_per_s = 20.0;
  const DerivedGraphs d2 = derive_graphs(topo, 1024, default_constants(), o);
  EXPECT_EQ(d2.graphs[static_cast<int>(Algorithm::kRing)].channels, 16);
  EXPECT_DOUBLE_EQ(d2.graphs[static_cast<int>(Algorithm::kRing)].bw_inter_gbytes_per_s, 20.0);
}

TEST(NcclTuning, EvaluateSizesAutoForcedAndErrors) {
  const ClusterConfig topo = load_cluster_config("cluster_1m");
  const FabricProfile fab = load_fabric_profile("infiniband_ndr");
  EvalOptions o;
  o.collective = Collective::kAllReduce;
  o.gpus = 1024;
  const auto all = evaluate_sizes(topo, fab, o, "all", "", {kGiB});
  ASSERT_EQ(all.size(), 1u);
  const ModelResult& r = all[0];
  EXPECT_EQ(r.method, "nccl");
  EXPECT_EQ(r.selection, "auto");
  ASSERT_EQ(r.candidates.size(), 21u);
  EXPECT_EQ(r.candidates[0].algo, r.algo);
  EXPECT_EQ(r.candidates[0].protocol, r.protocol);
  EXPECT_DOUBLE_EQ(r.candidates[0].time_us, r.time_us);
  for (std::size_t i = 1; i < r.candidates.size(); ++i)
    if (r.candidates[i].applicable) {
      EXPECT_LE(r.candidates[i - 1].time_us, r.candidates[i].time_us);
    }
  EXPECT_DOUBLE_EQ(r.time_us, r.breakdown.latency_us + r.breakdown.bandwidth_us);
  // busbw = algbw * 2 (n - 1) / n.
  expect_near_rel(r.busbw_gbps, r.algbw_gbps * 2 * 1023.0 / 1024.0);
  // Forced Tree Simple at 1024 GPUs = 128 nodes with the derived 8 x 45 graph: 7716.9404 us
  // (TreeSimpleFullTimeWithCorrectionFactor).
  const auto tree = evaluate_sizes(topo, fab, o, "tree", "Simple", {kGiB});
  EXPECT_EQ(tree[0].selection, "forced");
  expect_near_rel(tree[0].time_us, 7716.9404);
  // Forced algorithm that does not apply: one line naming why.
  try {
    evaluate_sizes(topo, fab, o, "pat", "", {kGiB});
    FAIL() << "PAT for all_reduce accepted";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("all_gather and reduce_scatter"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "collnet_direct", "", {kGiB}), ModelError);
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "nvls", "LL", {kGiB}), ModelError);
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "bogus", "", {kGiB}), ModelError);
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "ring", "LL64", {kGiB}), ModelError);
  // Shapes NCCL cannot form here: a partial server, a single rank.
  o.gpus = 1004;  // 125.5 servers
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "auto", "", {kGiB}), ModelError);
  o.gpus = 1;
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "auto", "", {kGiB}), ModelError);
  ClusterConfig no_nic = topo;
  no_nic.nic_gbps = 0;
  o.gpus = 16;
  EXPECT_THROW(evaluate_sizes(no_nic, fab, o, "auto", "", {kGiB}), ModelError);
  o.gpus = 1024;
  o.collective = Collective::kAllToAll;
  EXPECT_THROW(evaluate_sizes(topo, fab, o, "auto", "", {kGiB}), ModelError);
}

TEST(NcclTuning, EmbeddedDataLoadsWithSources) {
  const Constants& k = default_constants();
  EXPECT_EQ(k.commit, "1fc949c50bbd7e31fb27343def456d8d48993a90");
  EXPECT_EQ(k.sources.size(), 43u);
  for (const auto& [name, source] : k.sources) EXPECT_FALSE(source.empty()) << name;
  EXPECT_DOUBLE_EQ(k.hw_latency_us[2][static_cast<int>(Algorithm::kNvlsTree)][2], 20.9);
  EXPECT_DOUBLE_EQ(k.tree_correction_factor[2][14], 0.5);
}

std::string embedded_text() {
  for (const auto& f : embedded_files())
    if (std::string(f.kind) == "tuning" && std::string(f.name) == "nccl_2_30") return f.text;
  return {};
}

void expect_one_line_error(const std::string& text, const std::string& fragment) {
  try {
    constants_from_text(text, "bad.json");
    FAIL() << "accepted: " << fragment;
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(NcclTuning, BadDataFileIsOneLineError) {
  nlohmann::json j = nlohmann::json::parse(embedded_text());
  {
    nlohmann::json bad = j;
    bad["constants"]["mystery_factor"] = {{"value", 1}, {"source", "x"}};
    expect_one_line_error(bad.dump(), "unknown key 'mystery_factor'");
  }
  {
    nlohmann::json bad = j;
    bad["constants"]["pat_bw_factor"].erase("source");
    expect_one_line_error(bad.dump(), "'pat_bw_factor': needs a non-empty 'source'");
  }
  {
    nlohmann::json bad = j;
    bad["constants"]["ring_plateau_factor"]["units"] = "x";
    expect_one_line_error(bad.dump(), "unknown key 'units'");
  }
  {
    nlohmann::json bad = j;
    bad["constants"].erase("ring_max_channels");
    expect_one_line_error(bad.dump(), "'ring_max_channels' is missing");
  }
  {
    nlohmann::json bad = j;
    bad["constants"]["tree_correction_factor"]["value"][0].erase(0);
    expect_one_line_error(bad.dump(), "'tree_correction_factor': expected an array of 24");
  }
  expect_one_line_error("{\"nccl_version\": ", "invalid JSON");
}

}  // namespace
}  // namespace fb::model::nccl
