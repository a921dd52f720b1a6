#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/cmd_model.h"

namespace fb {
namespace {

struct Run {
  int rc;
  std::string out, err;
};

Run run(int (*cmd)(int, char**), std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = cmd(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  Run r{rc, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
  return r;
}

TEST(Cli, ListsPresetsAndProfiles) {
  auto r = run(cmd_model, {"model", "--topology", "list", "--fabric", "list"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("  colossus_like  (100000 GPUs)"), std::string::npos);
  EXPECT_NE(r.out.find("  cluster_1m  (1048576 GPUs)"), std::string::npos);
  EXPECT_NE(r.out.find("  roce_ecmp  [ecmp]"), std::string::npos);
  EXPECT_NE(r.out.find("  infiniband_ndr  [static_dmodk]"), std::string::npos);
}

TEST(Cli, ModelTableAndJson) {
  const std::string path = ::testing::TempDir() + "fb_cli_model.json";
  auto r =
      run(cmd_model, {"model", "--topology", "colossus_like", "--fabric",
                      "infiniband_ndr,roce_ecmp", "--fabric", "roce_adaptive", "--algo", "hier",
                      "--gpus", "1024", "--sizes", "1M,64M", "--seeds", "2", "--json", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("# colossus_like  all_reduce  algo=hier  gpus=1024  size=1 MiB (1048576 B)"),
            std::string::npos);
  EXPECT_NE(r.out.find("fabric                   algo                   time_us     algbw     "
                       "busbw  latency_us"),
            std::string::npos);
  EXPECT_NE(r.out.find("\nroce_adaptive "), std::string::npos);
  EXPECT_NE(r.out.find("approximations:"), std::string::npos);
  std::ifstream f(path);
  const auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j["schema"], "fabricbench.model/1");
  ASSERT_EQ(j["results"].size(), 6u);  // 2 sizes x 3 fabrics
  EXPECT_EQ(j["results"][0]["gpus"], 1024);
  EXPECT_EQ(j["results"][0]["bytes"], 1048576);
  EXPECT_TRUE(j["results"][0]["breakdown"].contains("congestion_us"));
  EXPECT_TRUE(j.contains("wall_s"));
  EXPECT_TRUE(j.contains("peak_rss_mib"));
  std::remove(path.c_str());
}

TEST(Cli, BadInputIsOneLineAndNonZero) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"model", "--fabric", "nope"},
        std::vector<std::string>{"model", "--algo", "bogus"},
        std::vector<std::string>{"model", "--gpus", "1001"},
        std::vector<std::string>{"model", "--sizes", "12Q"},
        std::vector<std::string>{"model", "--gpus", "-8"},
        std::vector<std::string>{"model", "--sizes", "-1M"},
        std::vector<std::string>{"model", "--no-such-flag"},
        std::vector<std::string>{"model", "--failed-links", "-1"},
        std::vector<std::string>{"model", "--slow-gpu", "0.5"},
        std::vector<std::string>{"model", "--analytic", "--failed-links", "1"}}) {
    auto r = run(cmd_model, args);
    EXPECT_EQ(r.rc, 2) << args[1];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// fabricbench model with failures: a static-routing ring over 1,024 GPUs with 16 of the
// network's 5,120 switch links failed is never faster than healthy (rerouted flows share
// ports), and a 2x slow GPU makes it slower.
TEST(Cli, ModelWithFailures) {
  auto time_of = [](std::vector<std::string> extra) {
    const std::string path = ::testing::TempDir() + "fb_cli_faults.json";
    std::remove(path.c_str());
    std::vector<std::string> args = {
        "model",  "--topology", "colossus_like", "--fabric", "infiniband_ndr", "--algo", "ring",
        "--gpus", "1024",       "--sizes",       "64M",      "--json",         path};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(cmd_model, args);
    EXPECT_EQ(r.rc, 0) << r.err;
    std::ifstream f(path);
    const double t = nlohmann::json::parse(f)["results"][0]["time_us"].get<double>();
    std::remove(path.c_str());
    return t;
  };
  const double healthy = time_of({});
  EXPECT_GE(time_of({"--failed-links", "16"}), healthy);
  EXPECT_GT(time_of({"--slow-gpu", "2"}), healthy);
}

TEST(Cli, AutoNamesWinnerAndRunnerUpAllListsEveryCandidate) {
  const std::string path = ::testing::TempDir() + "fb_cli_auto.json";
  std::remove(path.c_str());
  auto r = run(cmd_model, {"model", "--topology", "colossus_like", "--fabric", "roce_adaptive",
                           "--gpus", "1024", "--sizes", "1M", "--json", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("algo=auto"), std::string::npos);
  EXPECT_NE(r.out.find("runner-up (time_us)"), std::string::npos);
  EXPECT_NE(r.out.find("not applicable: innet: needs in-network reduction"), std::string::npos);
  std::ifstream f(path);
  const auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& row = j["results"][0];
  EXPECT_EQ(row["selection"], "auto");
  EXPECT_EQ(row["method"], "flow");
  EXPECT_EQ(row["protocol"], "");
  EXPECT_EQ(row["candidates"][0]["algo"], row["algo"]);
  EXPECT_EQ(row["candidates"][0]["time_us"], row["time_us"]);
  // The row's line carries the runner-up's name and time.
  const std::string runner = row["candidates"][1]["algo"];
  EXPECT_NE(r.out.find(" " + runner + " ("), std::string::npos) << r.out;
  std::remove(path.c_str());

  auto all = run(cmd_model, {"model", "--topology", "colossus_like", "--fabric", "roce_adaptive",
                             "--gpus", "1024", "--sizes", "1M", "--algo", "all"});
  ASSERT_EQ(all.rc, 0) << all.err;
  for (const char* a : {"\nroce_adaptive            ring ", "\nroce_adaptive            hier_tree ",
                        "\nroce_adaptive            nvls_tree "})
    EXPECT_NE(all.out.find(a), std::string::npos) << a << all.out;
}

TEST(Cli, AlgoListNamesEveryRegisteredAlgorithm) {
  auto r = run(cmd_model, {"model", "--algo", "list"});
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* a : {"\n  ring  ", "\n  hier_tree  ", "\n  nvls_tree  ", "\n  innet  ",
                        "\n  pat  ", "\n  ring_multichannel  "})
    EXPECT_NE(r.out.find(a), std::string::npos) << a;
}

TEST(Cli, ForcedAlgorithmThatDoesNotApplyIsOneLineError) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"model", "--algo", "pat", "--gpus", "1024"},
        std::vector<std::string>{"model", "--algo", "innet", "--fabric", "roce_ecmp", "--gpus",
                                 "1024"},
        std::vector<std::string>{"model", "--algo", "nvls_tree", "--gpus", "8"}}) {
    auto r = run(cmd_model, args);
    EXPECT_EQ(r.rc, 2) << args[2];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("does not apply"), std::string::npos) << r.err;
  }
}

TEST(Cli, TopoSize) {
  auto r = run(cmd_topo_size, {"topo-size", "--topology", "colossus_like", "--gpus", "8192",
                               "--radix", "64", "--tiers", "0"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("tiers 3"), std::string::npos) << r.out;
  auto bad = run(cmd_topo_size, {"topo-size", "--radix", "4", "--gpus", "100000"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("radix too small"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace fb
