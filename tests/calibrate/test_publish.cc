// publish and calibrate commands on the committed fixtures: tables checked line by line, plots
// checked by type, bad inputs refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cmd_calibrate.h"
#include "harness/cmd_model.h"
#include "harness/cmd_publish.h"
#include "harness/report.h"

namespace fb {
namespace {

namespace fs = std::filesystem;
const std::string kData = FB_CALIBRATE_DATA;

int run(int (*cmd)(int, char**), std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cmd(static_cast<int>(argv.size()), argv.data());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fb_publish_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  int calibrate() {
    return run(cmd_calibrate, {"calibrate", kData + "/mpi_np2_run1.json",
                               kData + "/mpi_np2_run2.json", "--out", path("cal.json")});
  }
  fs::path dir_;
};

TEST_F(PublishTest, CalibrateWritesAndRefusesToOverwrite) {
  ASSERT_EQ(calibrate(), 0);
  const auto j = nlohmann::json::parse(slurp(path("cal.json")));
  EXPECT_EQ(j["schema"], "fabricbench.calibration/1");
  EXPECT_EQ(j["provenance"]["inputs"].size(), 2u);
  EXPECT_EQ(j["provenance"]["time_statistic"], "min-median");
  EXPECT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["accepted"], true);
  EXPECT_EQ(calibrate(), 2);  // exists, no --force
  // nccl-tests fixture has 3 sizes: written, but refused (exit 4).
  EXPECT_EQ(run(cmd_calibrate, {"calibrate", kData + "/nccl_tests.txt", "--out", path("n.json")}),
            4);
  EXPECT_EQ(run(cmd_calibrate, {"calibrate", kData + "/truncated.json", "--out", path("t.json")}),
            2);
  EXPECT_FALSE(fs::exists(path("t.json")));
  EXPECT_EQ(run(cmd_calibrate, {"calibrate", kData + "/mpi_np2_run1.json", "--out", path("s.json"),
                                "--stat", "mean"}),
            2);
}

// Collectives the model has no plan for are fitted with bus factor 1; those whose registry factor
// differs (gather's (n-1)/n) are refused with the reason, broadcast's (1) is kept.
TEST(CalibrateStat, RefusesCollectivesTheModelCannotScale) {
  std::vector<MeasuredFile> files(1);
  MeasuredFile& f = files[0];
  f.path = "run";
  f.backend = "mpi";
  f.algorithm = "library";
  f.device = "cpu";
  f.machine = "box";
  f.nranks = 4;
  for (const char* coll : {"gather", "broadcast"}) {
    for (std::size_t bytes = 64u << 10; bytes <= (16u << 20); bytes *= 2) {
      MeasuredRow r;
      r.collective = coll;
      r.dtype = "float";
      r.op = "none";
      r.bytes = bytes;
      r.algo = "library";
      r.time_us_min = r.time_us_median = r.time_us = 2.0 + static_cast<double>(bytes) / 5000.0;
      f.rows.push_back(r);
    }
  }
  const model::Calibration cal = calibrate_files(files, "min", nullptr);
  ASSERT_EQ(cal.groups.size(), 2u);
  for (const auto& g : cal.groups) {
    if (g.key.collective == "gather") {
      EXPECT_FALSE(g.accepted);
      EXPECT_EQ(g.refusal,
                "the model has no plan for gather (its bus factor on 4 ranks is 0.75, not 1)");
    } else {
      EXPECT_TRUE(g.accepted) << g.refusal;
    }
  }
}

// Three runs; at 1 MiB the third was lucky once (its fastest iteration 40% below the others').
// min-median takes the median of the runs' fastest iterations, min the fastest of all, median the
// median of the runs' medians.
TEST(CalibrateStat, CombinesRunsAsNamed) {
  std::vector<MeasuredFile> files(3);
  for (int f = 0; f < 3; ++f) {
    files[f].path = "run" + std::to_string(f);
    files[f].backend = "mpi";
    files[f].algorithm = "library";
    files[f].device = "cpu";
    files[f].machine = "box";
    files[f].nranks = 2;
    for (std::size_t bytes = 64u << 10; bytes <= (16u << 20); bytes *= 2) {
      MeasuredRow r;
      r.collective = "all_reduce";
      r.dtype = "float";
      r.op = "sum";
      r.bytes = bytes;
      r.wrong = 0;
      r.algo = "library";
      r.time_us_min = 2.0 + static_cast<double>(bytes) / 5000.0 * (1.0 + 0.01 * f);
      if (bytes == (1u << 20) && f == 2) r.time_us_min *= 0.6;
      r.time_us_median = r.time_us_min * 1.5;
      r.time_us = r.time_us_median;
      files[f].rows.push_back(r);
    }
  }
  const auto at_1mib = [&](const std::string& stat) {
    const model::Calibration cal = calibrate_files(files, stat, nullptr);
    EXPECT_EQ(cal.groups.size(), 1u);
    for (const auto& p : cal.groups.at(0).points)
      if (p.bytes == (1u << 20)) return p.time_us;
    return -1.0;
  };
  const auto t = [](int f) { return 2.0 + (1u << 20) / 5000.0 * (1.0 + 0.01 * f); };
  // Sorted minima: lucky run 2, run 0, run 1; the middle one is run 0's.
  EXPECT_DOUBLE_EQ(at_1mib("min-median"), t(0));
  EXPECT_DOUBLE_EQ(at_1mib("min"), t(2) * 0.6);  // the lucky one
  EXPECT_DOUBLE_EQ(at_1mib("median"), t(0) * 1.5);
  EXPECT_THROW(calibrate_files(files, "mean", nullptr), std::runtime_error);
}

TEST_F(PublishTest, TablesMatchFixtures) {
  ASSERT_EQ(calibrate(), 0);
  ASSERT_EQ(
      run(cmd_publish, {"publish", "--raw", kData + "/mpi_np2_run1.json", "--raw",
                        kData + "/mpi_np2_run2.json", "--calibration", path("cal.json"), "--model",
                        kData + "/model_small.json", "--out-dir", dir_.string(), "--no-plots"}),
      0);
  const std::string measured = slurp(path("tables/measured.md"));
  EXPECT_TRUE(has_line(measured, "## Machine: boxa (Test CPU, 2 cores)")) << measured;
  EXPECT_TRUE(has_line(measured, "### all_reduce float sum"));
  EXPECT_TRUE(has_line(measured, "| size | mpi/library/cpu np2 (2 runs) |"));
  // 1 KiB: run1 10.512 us -> 0.0974 GB/s; run2 x0.95 -> 0.1025; median 0.1000.
  EXPECT_TRUE(has_line(measured, "| 1 KiB | 0.100 [0.097-0.103] |")) << measured;
  // 4 MiB: run1 10 + 2097.152 us -> 1.99 GB/s, run2 time x0.95 -> 2.10.
  EXPECT_TRUE(has_line(measured, "| 4 MiB | 2.04 [1.99-2.10] |")) << measured;
  EXPECT_NE(measured.find("no roofline in the inputs"), std::string::npos);
  EXPECT_NE(measured.find("> Generated by `fabricbench publish`"), std::string::npos);
  EXPECT_NE(measured.find(kData + "/mpi_np2_run2.json"), std::string::npos);

  const std::string mvm = slurp(path("tables/model_vs_measured.md"));
  EXPECT_TRUE(
      has_line(mvm, "## mpi/library/cpu all_reduce float sum np2 @ boxa (Test CPU, 2 cores)"))
      << mvm;
  EXPECT_TRUE(has_line(mvm, "- verdict: accepted"));
  EXPECT_NE(mvm.find("statistic `min-median`"), std::string::npos);
  // 7 sizes, one LOO row each.
  std::size_t rows = 0;
  for (std::size_t p = mvm.find("\n| "); p != std::string::npos; p = mvm.find("\n| ", p + 1))
    ++rows;
  EXPECT_EQ(rows, 1u + 7u);

  const std::string fab = slurp(path("tables/fabric_comparison.md"));
  // A forced flat ring is labelled as the reference it is.
  EXPECT_TRUE(
      has_line(fab, "### all_reduce ring (flat-ring reference), 1 MiB (aligned placement, flow)"))
      << fab;
  EXPECT_TRUE(has_line(fab, "| 1024 | 2 | 24 | 16 / 8 | 2048 | 2048 | 8192 |")) << fab;
  // InfiniBand first, then ECMP, for each GPU count.
  const auto ib = fab.find("| 1024 | infiniband_ndr |"), ecmp = fab.find("| 1024 | roce_ecmp |");
  ASSERT_NE(ib, std::string::npos);
  ASSERT_NE(ecmp, std::string::npos);
  EXPECT_LT(ib, ecmp);
  EXPECT_NE(
      fab.find("- all_reduce flat-ring reference 1 MiB on 2048 GPUs (cluster_1m, aligned, flow): "
               "infiniband_ndr "),
      std::string::npos);
  // The calibrated view: the fixture's fit is a CPU box's (accepted), shown as what this
  // machine's transport does; it replaces nothing of the GPU preset, and says why.
  EXPECT_TRUE(has_line(
      fab,
      "## This machine's calibration: what its transport does (not a GPU cluster prediction)"));
  EXPECT_NE(fab.find("- cluster_1m on infiniband_ndr: nothing (every value from the preset and "
                     "profile); "),
            std::string::npos)
      << fab;
  EXPECT_NE(fab.find("measured on device 'cpu'"), std::string::npos);
  EXPECT_EQ(fab.find("### With the measured parameters"), std::string::npos) << fab;
  EXPECT_EQ(fab.find("n/a:"), std::string::npos) << fab;
  EXPECT_FALSE(fs::exists(path("plots")));
}

// Auto rows (fabricbench model --algo auto): one series whatever won each point, the winner and
// runner-up shown, the headline from the auto series with the winner per fabric.
TEST_F(PublishTest, AutoSeriesShowsWinnerAndRunnerUp) {
  ASSERT_EQ(run(cmd_publish, {"publish", "--model", kData + "/model_auto_small.json", "--model",
                              kData + "/model_small.json", "--out-dir", dir_.string(), "--no-plots",
                              "--no-calibration"}),
            0);
  const std::string fab = slurp(path("tables/fabric_comparison.md"));
  EXPECT_TRUE(has_line(fab,
                       "### all_reduce auto (fastest applicable algorithm per point), 1 MiB "
                       "(aligned placement, flow)"))
      << fab;
  const nlohmann::json doc = nlohmann::json::parse(slurp(kData + "/model_auto_small.json"));
  const auto& r = doc["results"][0];
  ASSERT_EQ(r["selection"], "auto");
  // The row names the winner and the second candidate with its time, as the model file says.
  const std::string algo = r["algo"], second = r["candidates"][1]["algo"];
  EXPECT_NE(fab.find("| " + std::to_string(r["gpus"].get<long long>()) + " | " +
                     r["fabric"].get<std::string>() + " | " + algo + " | "),
            std::string::npos)
      << fab;
  EXPECT_NE(fab.find(" | " + second + " "), std::string::npos) << fab;
  // Headline: only the auto series (the forced ring file stays in the tables), winner in [].
  EXPECT_NE(fab.find("- all_reduce auto 1 MiB on 2048 GPUs (cluster_1m, aligned, flow): "),
            std::string::npos)
      << fab;
  EXPECT_NE(fab.find("[" + algo + "]"), std::string::npos);
  EXPECT_EQ(fab.find("- all_reduce flat-ring reference"), std::string::npos) << fab;
  EXPECT_TRUE(
      has_line(fab, "### all_reduce ring (flat-ring reference), 1 MiB (aligned placement, flow)"));
}

TEST_F(PublishTest, BadInputIsRefused) {
  EXPECT_EQ(run(cmd_publish, {"publish", "--raw", kData + "/missing_field.json", "--out-dir",
                              dir_.string(), "--no-plots", "--no-calibration"}),
            2);
  EXPECT_EQ(run(cmd_publish, {"publish", "--raw", kData + "/mpi_np2_run1.json", "--model",
                              kData + "/mpi_np2_run1.json", "--out-dir", dir_.string(),
                              "--no-plots", "--no-calibration"}),
            2);
  EXPECT_FALSE(fs::exists(path("tables/measured.md")));
}

TEST_F(PublishTest, MissingInputsAndToolsAreErrors) {
  // A --results-dir that does not exist is an error, and nothing is created.
  EXPECT_EQ(run(cmd_publish, {"publish", "--results-dir", path("nowhere"), "--no-plots"}), 2);
  EXPECT_FALSE(fs::exists(path("nowhere")));
  // An existing but empty results directory: nothing to publish.
  fs::create_directories(path("empty"));
  EXPECT_EQ(run(cmd_publish, {"publish", "--results-dir", path("empty"), "--no-plots"}), 2);
  EXPECT_FALSE(fs::exists(path("empty/tables")));
  // A --gnuplot that does not run is an error (the default gnuplot, when missing, is a note).
  EXPECT_EQ(
      run(cmd_publish, {"publish", "--raw", kData + "/mpi_np2_run1.json", "--out-dir",
                        dir_.string(), "--no-calibration", "--gnuplot", path("no-such-gnuplot")}),
      2);
  EXPECT_FALSE(fs::exists(path("tables/measured.md")));
  // A directory given as a results file.
  EXPECT_EQ(run(cmd_calibrate, {"calibrate", dir_.string(), "--out", path("d.json")}), 2);
  EXPECT_FALSE(fs::exists(path("d.json")));
}

// The fixture's calibration was measured on CPU host buffers (shared memory): it replaces nothing
// of a GPU cluster, and the model says so per fabric instead of silently using it (or silently
// ignoring it).
TEST_F(PublishTest, ModelRefusesACpuCalibrationForAGpuClusterAndSaysWhy) {
  ASSERT_EQ(calibrate(), 0);
  ASSERT_EQ(run(cmd_model, {"model", "--topology", "cluster_1m", "--gpus", "1024", "--sizes", "64M",
                            "--fabric", "infiniband_ndr,roce_ecmp", "--analytic", "--calibration",
                            path("cal.json"), "--json", path("m.json")}),
            0);
  const auto m = nlohmann::json::parse(slurp(path("m.json")));
  ASSERT_TRUE(m.contains("calibration")) << m.dump();
  EXPECT_EQ(m["calibration"]["file"], path("cal.json"));
  ASSERT_EQ(m["calibration"]["fabrics"].size(), 2u);
  for (const auto& f : m["calibration"]["fabrics"]) {
    EXPECT_TRUE(f["measured"].empty()) << f.dump();
    ASSERT_FALSE(f["refused"].empty()) << f.dump();
    EXPECT_NE(f["refused"][0].get<std::string>().find("cpu"), std::string::npos) << f.dump();
  }
  // Nothing replaced: the same times as the profile-only run.
  ASSERT_EQ(run(cmd_model,
                {"model", "--topology", "cluster_1m", "--gpus", "1024", "--sizes", "64M",
                 "--fabric", "infiniband_ndr,roce_ecmp", "--analytic", "--json", path("p.json")}),
            0);
  const auto p = nlohmann::json::parse(slurp(path("p.json")));
  EXPECT_FALSE(p.contains("calibration"));
  ASSERT_EQ(m["results"].size(), p["results"].size());
  for (std::size_t i = 0; i < p["results"].size(); ++i)
    EXPECT_DOUBLE_EQ(m["results"][i]["time_us"].get<double>(),
                     p["results"][i]["time_us"].get<double>());
  // A missing calibration file, a group filter without a file, a filter matching nothing: errors.
  EXPECT_EQ(run(cmd_model, {"model", "--topology", "cluster_1m", "--gpus", "1024", "--analytic",
                            "--calibration", path("missing.json")}),
            2);
  EXPECT_EQ(run(cmd_model, {"model", "--topology", "cluster_1m", "--gpus", "1024", "--analytic",
                            "--calibration-group", "mpi"}),
            2);
  EXPECT_EQ(run(cmd_model, {"model", "--topology", "cluster_1m", "--gpus", "1024", "--analytic",
                            "--calibration", path("cal.json"), "--calibration-group", "nosuch"}),
            2);
}

// The dev set's one-server H100 log (NCCL's choice: NVLS), calibrated from the pasted text as
// is: the model replaces exactly scaleup_gbps of hgx_h100, lists it, and its times equal the
// preset's with only --scaleup-gbps set to that value.
TEST_F(PublishTest, ModelWithAnH100NvlsLogCalibrationReplacesOnlyScaleUp) {
  const std::string log =
      kData + "/../../fabric_model/data/nccl_tests/h100-nvswitch-1n8g-p5-awsbatch.txt";
  ASSERT_EQ(run(cmd_calibrate, {"calibrate", log, "--out", path("h100.json")}), 0);
  const std::vector<std::string> base = {
      "model",   "--topology", "hgx_h100", "--gpus",         "16",
      "--sizes", "64M,1G",     "--fabric", "infiniband_ndr", "--analytic"};
  std::vector<std::string> cal = base;
  cal.insert(cal.end(), {"--calibration", path("h100.json"), "--json", path("m.json")});
  ASSERT_EQ(run(cmd_model, cal), 0);
  const auto m = nlohmann::json::parse(slurp(path("m.json")));
  ASSERT_EQ(m["calibration"]["fabrics"].size(), 1u);
  const auto& f = m["calibration"]["fabrics"][0];
  ASSERT_EQ(f["measured"].size(), 1u) << f.dump();
  EXPECT_EQ(f["measured"][0]["parameter"], "scaleup_gbps");
  EXPECT_NE(f["measured"][0]["source"].get<std::string>().find("NVLS"), std::string::npos);
  EXPECT_TRUE(f["refused"].empty()) << f.dump();
  const double gbps = f["measured"][0]["value"].get<double>();
  EXPECT_NEAR(gbps / 2966.4, 1.0, 0.02);  // 483 GB/s busbw: NVLink ~ the preset's 370.8 GB/s
  std::vector<std::string> flag = base;
  flag.insert(flag.end(),
              {"--scaleup-gbps", nlohmann::json(gbps).dump(), "--json", path("p.json")});
  ASSERT_EQ(run(cmd_model, flag), 0);
  const auto p = nlohmann::json::parse(slurp(path("p.json")));
  ASSERT_EQ(m["results"].size(), p["results"].size());
  for (std::size_t i = 0; i < p["results"].size(); ++i)
    EXPECT_DOUBLE_EQ(m["results"][i]["time_us"].get<double>(),
                     p["results"][i]["time_us"].get<double>());
}

TEST_F(PublishTest, PlotsArePngAndSvg) {
  if (std::system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "gnuplot with the pngcairo terminal is not installed";
  ASSERT_EQ(run(cmd_publish,
                {"publish", "--raw", kData + "/mpi_np2_run1.json", "--model",
                 kData + "/model_small.json", "--out-dir", dir_.string(), "--no-calibration"}),
            0);
  for (const std::string stem : {"measured_busbw", "model_time_vs_gpus_1MiB"}) {
    const std::string png = slurp(path("plots/" + stem + ".png"));
    ASSERT_GT(png.size(), 1000u) << stem;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << stem;
    const std::string svg = slurp(path("plots/" + stem + ".svg"));
    EXPECT_NE(svg.find("<svg"), std::string::npos) << stem;
    EXPECT_NE(svg.find("</svg>"), std::string::npos) << stem;
    EXPECT_FALSE(fs::exists(path("plots/" + stem + ".png.tmp")));
  }
}

}  // namespace
}  // namespace fb
