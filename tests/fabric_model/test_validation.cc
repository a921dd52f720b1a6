// Calibration from imported logs (which measurement may replace which parameter) and
// `fabricbench validate`'s leave-one-log-out comparison, on hand-made fits and on the dev set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric_model/calibration.h"
#include "fabric_model/config.h"
#include "fabric_model/nccl_tests_import.h"
#include "fabric_model/validation.h"

namespace fb::model {
namespace {

std::string data_dir() {
  return std::filesystem::path(__FILE__).parent_path().string() + "/data/nccl_tests";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Exact alpha-beta samples: t(n) = alpha + beta n at 1 MiB .. 1 GiB (x4).
std::vector<CalibrationSample> linear(double alpha_us, double beta_us_per_byte) {
  std::vector<CalibrationSample> s;
  for (double n = 1 << 20; n <= (1 << 30); n *= 4)
    s.push_back({n, alpha_us + beta_us_per_byte * n});
  return s;
}

GroupFit group(const std::string& device, const std::string& algo, int ranks, int servers,
               double alpha_us, double beta, const std::string& gpu = "NVIDIA H100 80GB HBM3",
               const std::string& preset = "hgx_h100", const std::string& fabric = "") {
  CalibrationKey k{"nccl", algo, device, "all_reduce", "float", "sum", "cluster-a", ranks};
  GroupFit g = calibrate_group(k, linear(alpha_us, beta));
  g.scope.gpu_model = gpu;
  g.scope.servers = servers;
  g.scope.gpus_per_server = ranks / servers;
  g.scope.topology_preset = preset;
  g.scope.fabric_profile = fabric;
  return g;
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines)
    if (l.find(what) != std::string::npos) return true;
  return false;
}

TEST(CalibrationFromLogs, SingleServerRingReplacesScaleUpOnly) {
  // 8 ranks, alpha 28 us, beta 5e-6 us/B: 1/beta = 200 GB/s, busbw = 200 x 2 x 7/8 = 350 GB/s
  // (exact data: the largest size's bytes / (t - alpha) is 1/beta); alpha / 14 ring steps = 2 us.
  Calibration c;
  c.groups.push_back(group("cuda", "ring", 8, 1, 28, 5e-6));
  ASSERT_TRUE(c.groups[0].accepted) << c.groups[0].refusal;
  EXPECT_NEAR(c.groups[0].busbw_asymptote_gbps, 350, 1e-6);
  const ClusterConfig h100 = load_cluster_config("hgx_h100");
  const CalibratedOverrides o = calibration_overrides_for(c, h100, "infiniband_ndr");
  ASSERT_EQ(o.measured.size(), 2u);
  EXPECT_EQ(o.measured[0].parameter, "scaleup_gbps");
  EXPECT_NEAR(*o.overrides.scaleup_gbps, 2800, 1e-6);
  EXPECT_EQ(o.measured[1].parameter, "scaleup_step_latency_us");
  EXPECT_NEAR(*o.overrides.scaleup_step_latency_us, 2.0, 1e-9);
  EXPECT_FALSE(o.overrides.network_step_latency_us);
  EXPECT_FALSE(o.nic_gbps);
  EXPECT_TRUE(o.refused.empty());
  EXPECT_TRUE(mentions(o.from_profile, "nic_gbps"));
  EXPECT_TRUE(mentions(o.from_profile, "network_step_latency_us"));
}

TEST(CalibrationFromLogs, OtherDevicesAndAlgorithmsAreRefusedWithWhy) {
  Calibration c;
  c.groups.push_back(group("cpu", "library", 2, 1, 5, 1e-4, ""));
  c.groups.push_back(group("cuda", "library", 16, 2, 60, 6.25e-6, "NVIDIA H100 80GB HBM3",
                           "hgx_h100", "infiniband_ndr"));  // NCCL's choice across 2 servers
  const ClusterConfig h100 = load_cluster_config("hgx_h100");
  const CalibratedOverrides o = calibration_overrides_for(c, h100, "infiniband_ndr");
  EXPECT_TRUE(o.measured.empty());
  ASSERT_EQ(o.refused.size(), 2u);
  EXPECT_NE(o.refused[0].find("measured on device 'cpu'"), std::string::npos) << o.refused[0];
  EXPECT_NE(o.refused[0].find("replaces nothing of a GPU cluster"), std::string::npos);
  EXPECT_NE(o.refused[1].find("NVLSTree"), std::string::npos) << o.refused[1];
  // The same H100 ring never stands for another generation's NVLink.
  Calibration ring;
  ring.groups.push_back(group("cuda", "ring", 8, 1, 28, 5e-6));
  const CalibratedOverrides b =
      calibration_overrides_for(ring, load_cluster_config("hgx_b200"), "");
  EXPECT_TRUE(b.measured.empty());
  ASSERT_EQ(b.refused.size(), 1u);
  EXPECT_NE(b.refused[0].find("SM 9"), std::string::npos) << b.refused[0];
  // Without NVLS (A100), NCCL's own single-server choice is a ring: accepted.
  Calibration a100;
  a100.groups.push_back(
      group("cuda", "library", 8, 1, 28, 5e-6, "NVIDIA A100-SXM4-80GB", "hgx_a100"));
  const CalibratedOverrides a =
      calibration_overrides_for(a100, load_cluster_config("hgx_a100"), "");
  ASSERT_EQ(a.measured.size(), 2u);
  EXPECT_NEAR(*a.overrides.scaleup_gbps, 2800, 1e-6);
}

TEST(CalibrationFromLogs, SingleServerNvlsReplacesScaleUpBandwidthOnly) {
  // NCCL's own choice on one H100 server (NVSwitch with multicast): NVLS, whose busbw is
  // NVLink x nvlsEfficiency (0.85 Hopper) x 2(d-1)/(d+1) = x 0.85 x 14/9 at d = 8, above a
  // ring's x 1. busbw 350 GB/s (as above) -> NVLink = 350 x 8 / (0.85 x 14/9) Gb/s.
  Calibration c;
  c.groups.push_back(group("cuda", "library", 8, 1, 28, 5e-6));
  const ClusterConfig h100 = load_cluster_config("hgx_h100");
  const CalibratedOverrides o = calibration_overrides_for(c, h100, "infiniband_ndr");
  ASSERT_EQ(o.measured.size(), 1u);
  EXPECT_EQ(o.measured[0].parameter, "scaleup_gbps");
  EXPECT_NEAR(*o.overrides.scaleup_gbps, 2800 / (0.85 * 14 / 9), 1e-9);
  EXPECT_NE(o.measured[0].source.find("NVLS"), std::string::npos) << o.measured[0].source;
  // Its latency is one NVLS operation, not ring steps: the per-step latency stays the preset's.
  EXPECT_FALSE(o.overrides.scaleup_step_latency_us);
  EXPECT_FALSE(o.overrides.network_step_latency_us);
  EXPECT_FALSE(o.nic_gbps);
  EXPECT_TRUE(o.refused.empty());
  EXPECT_TRUE(mentions(o.from_profile, "scaleup_step_latency_us"));
  EXPECT_TRUE(mentions(o.from_profile, "nic_gbps"));
  // A Ring-forced run of the same domain measures the link directly and is preferred.
  c.groups.push_back(group("cuda", "ring", 8, 1, 28, 5e-6));
  const CalibratedOverrides r = calibration_overrides_for(c, h100, "infiniband_ndr");
  ASSERT_EQ(r.measured.size(), 2u);
  EXPECT_NEAR(*r.overrides.scaleup_gbps, 2800, 1e-6);
  // all_gather: NVLS reaches 0.85 x 7/8 < 1 of NVLink, a ring wins, busbw = the link: x 8.
  Calibration ag;
  ag.groups.push_back(group("cuda", "library", 8, 1, 28, 5e-6));
  ag.groups[0].key.collective = "all_gather";
  const CalibratedOverrides a = calibration_overrides_for(ag, h100, "infiniband_ndr");
  EXPECT_TRUE(a.measured.empty());
  ASSERT_EQ(a.refused.size(), 1u);
  EXPECT_NE(a.refused[0].find("NCCL_ALGO=Ring"), std::string::npos) << a.refused[0];
}

TEST(CalibrationFromLogs, MultiServerRingReplacesNicAndNetworkLatency) {
  // 16 ranks on 2 servers, alpha 60 us, beta 6.25e-6 us/B: 1/beta = 160 GB/s, busbw = 160 x 2 x
  // 15/16 = 300 GB/s (below NVLink's 370.8) over 8 ring channels, one per NIC -> 300 x 8 / 8 =
  // 300 Gb/s per NIC; alpha / 30 ring steps = 2 us per network step.
  Calibration c;
  c.groups.push_back(group("cuda", "ring", 16, 2, 60, 6.25e-6, "NVIDIA H100 80GB HBM3", "hgx_h100",
                           "infiniband_ndr"));
  ASSERT_TRUE(c.groups[0].accepted) << c.groups[0].refusal;
  ClusterConfig h100 = load_cluster_config("hgx_h100");
  const CalibratedOverrides o = calibration_overrides_for(c, h100, "infiniband_ndr");
  ASSERT_EQ(o.measured.size(), 2u);
  EXPECT_NEAR(*o.nic_gbps, 300, 1e-6);
  EXPECT_NEAR(*o.overrides.network_step_latency_us, 2.0, 1e-9);
  EXPECT_FALSE(o.overrides.scaleup_gbps);
  ModelOverrides mo;
  const auto set = apply_calibration(o, h100, mo);
  EXPECT_EQ(set, (std::vector<std::string>{"network_step_latency_us", "nic_gbps"}));
  EXPECT_DOUBLE_EQ(h100.nic_gbps, o.nic_gbps.value());
  // Another kind of network, or NCCL's own (tree) choice across servers: refused.
  EXPECT_TRUE(
      calibration_overrides_for(c, load_cluster_config("hgx_h100"), "roce_ecmp").measured.empty());
  Calibration tree;
  tree.groups.push_back(group("cuda", "library", 16, 2, 60, 6.25e-6, "NVIDIA H100 80GB HBM3",
                              "hgx_h100", "infiniband_ndr"));
  const auto t = calibration_overrides_for(tree, load_cluster_config("hgx_h100"), "infiniband_ndr");
  EXPECT_TRUE(t.measured.empty());
  ASSERT_EQ(t.refused.size(), 1u);
  EXPECT_NE(t.refused[0].find("NCCL_ALGO=Ring"), std::string::npos) << t.refused[0];
}

TEST(CalibrationFromLogs, BusFactorComesFromTheCollectiveTable) {
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 8), bus_factor(Collective::kAllReduce, 8));
  EXPECT_DOUBLE_EQ(bus_factor("allgather", 4), 0.75);
  EXPECT_EQ(ring_steps("all_reduce", 16), 30);
  EXPECT_DOUBLE_EQ(bus_factor("broadcast", 4), 1);  // no model plan: nccl-tests' factor 1
  EXPECT_EQ(gpu_compute_capability_of("NVIDIA H100 80GB HBM3"), 90);
  EXPECT_EQ(gpu_compute_capability_of("NVIDIA A100-SXM4-80GB"), 80);
  EXPECT_EQ(gpu_compute_capability_of("NVIDIA GB200"), 100);
  EXPECT_EQ(gpu_compute_capability_of("Intel(R) Xeon(R)"), 0);
}

// Imports a dev-set log as `fabricbench import` does, with the descriptor beside it.
ValidationInput imported(const std::string& file) {
  const std::string path = data_dir() + "/" + file;
  const NcclTestsRun run = parse_nccl_tests_any(slurp(path), file);
  ImportDescriptor given;
  const std::string d = path.substr(0, path.size() - 4) + ".descriptor.json";
  if (std::filesystem::exists(d))
    given = parse_import_descriptor(nlohmann::json::parse(slurp(d)), d);
  return {file, to_results_json(run, resolve_descriptor(run, given))};
}

const char* const kDevSet[] = {
    "a100-efa-2n16g-p4de-awsome.txt",
    "a100-ib-hdr-4n8g-nccltests311.txt",
    "a100-nvswitch-1n8g-thanos-blog.txt",
    "b200-roce-2n16g-gcp-a4-dstack.txt",
    "gb200-nvl72-ib-18n72g-coreweave-1rack.txt",
    "h100-ib-2n16g-nccltests290-default.txt",
    "h100-ib-2n16g-nccltests290-ring.txt",
    "h100-ib-2n16g-nccltests309-gjaion-default.txt",
    "h100-ib-2n16g-nccltests319-doca-ring.txt",
    "h100-nvswitch-1n8g-p5-awsbatch.txt",
    "h100-slingshot-16n64g-nrel-kestrel.txt",
    "h100-tcpxo-2n16g-gcp-a3mega-dstack-allgather.txt",
    "h20-roce-2n4g-alltoall-nccltests321.txt",
};

const ValidationLog& log_of(const ValidationReport& r, const std::string& origin) {
  for (const auto& l : r.logs)
    if (l.origin == origin) return l;
  throw std::runtime_error("no log " + origin);
}

TEST(Validation, DevSetEveryLogPredictedOrListedWithWhy) {
  std::vector<ValidationInput> in;
  for (const char* f : kDevSet) in.push_back(imported(f));
  ValidationOptions opt;
  opt.analytic = true;  // the statuses and bookkeeping, fast; the CLI runs the flow level
  const ValidationReport r = validate_runs(in, opt);
  ASSERT_EQ(r.logs.size(), 13u);
  // Fabrics without a profile, servers without a preset: listed, never predicted.
  EXPECT_EQ(log_of(r, "a100-efa-2n16g-p4de-awsome.txt").status.rfind("no profile", 0), 0u);
  EXPECT_EQ(log_of(r, "h100-tcpxo-2n16g-gcp-a3mega-dstack-allgather.txt")
                .status.rfind("no profile for this fabric (GCP GPUDirect-TCPXO", 0),
            0u);
  EXPECT_EQ(log_of(r, "h100-slingshot-16n64g-nrel-kestrel.txt").status.rfind("no preset", 0), 0u);
  EXPECT_EQ(log_of(r, "a100-ib-hdr-4n8g-nccltests311.txt").status,
            "no preset: 2 GPUs per server, preset hgx_a100 has 8");
  EXPECT_EQ(log_of(r, "h20-roce-2n4g-alltoall-nccltests321.txt").status.rfind("no preset", 0), 0u);
  int predicted = 0;
  for (const auto& l : r.logs) predicted += l.predicted;
  EXPECT_EQ(predicted, 8);
  EXPECT_EQ(r.all.logs, 8);
  // Headline: healthy logs only (a100 1n, b200 2n, gb200 rack, h100 309 2n, h100 p5 1n).
  EXPECT_EQ(r.headline.logs, 5);
  const ValidationLog& ring = log_of(r, "h100-ib-2n16g-nccltests290-ring.txt");
  EXPECT_EQ(ring.report, RunReport::kProblem);
  EXPECT_EQ(ring.algo, "ring");
  EXPECT_EQ(log_of(r, "h100-nvswitch-1n8g-p5-awsbatch.txt").algo, "auto");
  const ValidationLog& gb = log_of(r, "gb200-nvl72-ib-18n72g-coreweave-1rack.txt");
  ASSERT_EQ(gb.adjustments.size(), 1u);  // NCCL_NVLS_ENABLE=0 in its env
  EXPECT_EQ(gb.points.size(), 5u);
  EXPECT_EQ(gb.headline_points, 5);
  // Leave one out: the single-server H100 log (NCCL's choice: NVLS) calibrates the scale-up
  // bandwidth of the 2-server H100 logs and nothing else (the ring logs are reported problems);
  // it is itself predicted from the preset (no other single-server H100 log).
  const auto& cal = log_of(r, "h100-ib-2n16g-nccltests309-gjaion-default.txt").calibrated;
  ASSERT_EQ(cal.size(), 1u);
  EXPECT_EQ(cal[0].rfind("scaleup_gbps = ", 0), 0u) << cal[0];
  EXPECT_NE(cal[0].find("h100-nvswitch-1n8g-p5-awsbatch.txt"), std::string::npos) << cal[0];
  EXPECT_TRUE(log_of(r, "h100-nvswitch-1n8g-p5-awsbatch.txt").calibrated.empty());
  for (const auto& l : r.logs)
    for (const auto& p : l.points) {
      EXPECT_GT(p.predicted_busbw_gbps, 0) << l.origin;
      EXPECT_DOUBLE_EQ(p.error, p.predicted_busbw_gbps / p.measured_busbw_gbps - 1);
    }
  const std::string md = validation_markdown(r);
  EXPECT_NE(
      md.find("| h100-slingshot-16n64g-nrel-kestrel.txt | healthy | all_reduce | 64 (16 x 4)"),
      std::string::npos);
  EXPECT_EQ(to_json(r)["schema"], kValidationSchema);
}

TEST(Validation, LeaveOneOutUsesTheOtherLogsMeasurement) {
  // Two A100 single-server logs (no NVLS: NCCL's choice is a ring): each is predicted with the
  // other's scale-up bandwidth, never its own.
  ValidationInput a = imported("a100-nvswitch-1n8g-thanos-blog.txt");
  ValidationInput b = a;
  b.origin = "copy.txt";
  b.doc["meta"]["machine"]["hostname"] = "other";
  for (auto& row : b.doc["results"]) {  // twice as slow: half the busbw
    row["time_us"] = row["time_us"].get<double>() * 2;
    row["busbw_gbps"] = row["busbw_gbps"].get<double>() / 2;
  }
  ValidationOptions opt;
  opt.analytic = true;
  const ValidationReport r = validate_runs({a, b}, opt);
  ASSERT_EQ(r.logs.size(), 2u);
  const GroupFit fb = fit_input(b).front();
  ASSERT_TRUE(fb.accepted) << fb.refusal;
  ASSERT_EQ(r.logs[0].calibrated.size(), 2u);
  EXPECT_NE(r.logs[0].calibrated[0].find("other"), std::string::npos) << r.logs[0].calibrated[0];
  EXPECT_NE(r.logs[1].calibrated[0].find("thanos"), std::string::npos) << r.logs[1].calibrated[0];
  // Log a predicted from b's ring: its largest size gets b's busbw asymptote (to latency).
  const ValidationPoint& top = r.logs[0].points.back();
  EXPECT_NEAR(top.predicted_busbw_gbps / fb.busbw_asymptote_gbps, 1.0, 0.02);
}

TEST(Validation, SingleServerH100NvlsLogCalibratesScaleUpOnly) {
  // The dev set's one-server H100 log is NCCL's own choice on an NVSwitch with multicast (NVLS).
  // Its busbw asymptote over NVLS's fraction of NVLink (0.85 x 14/9) replaces scaleup_gbps and
  // nothing else of hgx_h100; the model applies exactly that one parameter.
  Calibration c;
  c.groups = fit_input(imported("h100-nvswitch-1n8g-p5-awsbatch.txt"));
  ASSERT_EQ(c.groups.size(), 1u);
  ASSERT_TRUE(c.groups[0].accepted) << c.groups[0].refusal;
  ClusterConfig h100 = load_cluster_config("hgx_h100");
  const ClusterConfig before = h100;
  const CalibratedOverrides o = calibration_overrides_for(c, h100, "infiniband_ndr");
  ASSERT_EQ(o.measured.size(), 1u);
  EXPECT_EQ(o.measured[0].parameter, "scaleup_gbps");
  EXPECT_NEAR(o.measured[0].value, c.groups[0].busbw_asymptote_gbps * 8 / (0.85 * 14 / 9), 1e-9);
  // 483 GB/s measured at 16 GiB: NVLink ~ 365 GB/s per direction, the preset's is 370.8.
  EXPECT_NEAR(o.measured[0].value / before.scaleup_gbps, 1.0, 0.02);
  EXPECT_TRUE(o.refused.empty());
  for (const char* p : {"scaleup_step_latency_us", "nic_gbps", "network_step_latency_us"})
    EXPECT_TRUE(mentions(o.from_profile, p)) << p;
  ModelOverrides mo;
  EXPECT_EQ(apply_calibration(o, h100, mo), std::vector<std::string>{"scaleup_gbps"});
  EXPECT_DOUBLE_EQ(h100.nic_gbps, before.nic_gbps);
  EXPECT_FALSE(mo.scaleup_step_latency_us);
  EXPECT_FALSE(mo.network_step_latency_us);
}

TEST(Validation, InputWithoutResultsIsOneLine) {
  try {
    validate_runs({{"x.json", nlohmann::json{{"schema", "fabricbench.results/1"}}}});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "x.json: no 'meta' object (not a fabricbench.results/1 document)");
  }
}

}  // namespace
}  // namespace fb::model
