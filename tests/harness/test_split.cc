// Split groups (NCCL_TESTS_SPLIT, NCCL_TESTS_SPLIT_MASK) and NCCL_TESTS_DEVICE: the rules by hand,
// their bad values, and real runs (mpirun -np 2 and 4 with --backend mpi and own, -g 4 threads)
// whose JSON is checked exactly: the groups, each rank's group, and every group's row values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/options.h"
#include "harness/split.h"

namespace fb {
namespace {

std::string split_error(const char* mask, const char* split) {
  try {
    parse_split_env(mask, split);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::vector<int> colors(const char* mask, const char* split, int n) {
  return split_layout(parse_split_env(mask, split), n).color_of_rank;
}

TEST(Split, OperatorsAndValueForms) {
  EXPECT_EQ(colors(nullptr, "MOD 2", 4), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(colors(nullptr, "% 2", 4), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(colors(nullptr, "mod 3", 5), (std::vector<int>{0, 1, 2, 0, 1}));
  EXPECT_EQ(colors(nullptr, "DIV 2", 5), (std::vector<int>{0, 0, 1, 1, 2}));
  EXPECT_EQ(colors(nullptr, "/0x2", 4), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(colors(nullptr, "AND 0b10", 4), (std::vector<int>{0, 0, 2, 2}));
  EXPECT_EQ(colors(nullptr, "& 0x1", 4), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(colors(nullptr, "OR 4", 3), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(colors(nullptr, "| 0", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(colors(nullptr, "MOD 010", 9)[8], 0);  // a leading 0 is octal (8), as strtoul
  // The mask is hexadecimal, with or without 0x, and wins over NCCL_TESTS_SPLIT.
  EXPECT_EQ(colors("6", nullptr, 8), (std::vector<int>{0, 0, 2, 2, 4, 4, 6, 6}));
  EXPECT_EQ(colors("0x1", "DIV 4", 4), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_FALSE(parse_split_env("0x1", "DIV 4").note.empty());
  // Not set (null or empty): one group.
  EXPECT_FALSE(parse_split_env(nullptr, nullptr).active());
  EXPECT_FALSE(parse_split_env("", "").active());
  EXPECT_EQ(parse_split_env(nullptr, "mod 8").describe(), "MOD 8");
  EXPECT_EQ(parse_split_env("f", nullptr).describe(), "AND 0xf");
}

TEST(Split, LayoutGroupsInOrderOfTheirLowestRank) {
  const SplitLayout l = split_layout(parse_split_env(nullptr, "DIV 3"), 4);
  ASSERT_EQ(l.groups.size(), 2u);
  EXPECT_EQ(l.groups[0].ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(l.groups[1].ranks, (std::vector<int>{3}));
  EXPECT_EQ(l.groups[1].color, 1);
  EXPECT_EQ(l.min_group_size(), 1);
  EXPECT_EQ(l.max_group_size(), 3);
  EXPECT_FALSE(l.equal_sizes());
  const SplitLayout one = split_layout(SplitRule{}, 3);
  ASSERT_EQ(one.groups.size(), 1u);
  EXPECT_EQ(one.groups[0].ranks, (std::vector<int>{0, 1, 2}));
}

TEST(Split, BadValuesAreOneLineErrors) {
  EXPECT_EQ(split_error(nullptr, "XOR 1"),
            "NCCL_TESTS_SPLIT='XOR 1': unknown operator (known: AND OR MOD DIV, or & | % /, then "
            "a value)");
  EXPECT_EQ(split_error(nullptr, "MODULO 2"),
            split_error(nullptr, "XOR 2").replace(18, 5, "MODULO 2"));
  EXPECT_EQ(split_error(nullptr, "MOD abc"),
            "NCCL_TESTS_SPLIT='MOD abc': the value after MOD is not a number (decimal, 0x "
            "hexadecimal or 0b binary)");
  EXPECT_EQ(split_error(nullptr, "MOD 8x"),
            split_error(nullptr, "MOD abc").replace(18, 7, "MOD 8x"));
  EXPECT_NE(split_error(nullptr, "MOD"), "");
  EXPECT_NE(split_error(nullptr, "AND -1"), "");
  EXPECT_NE(split_error(nullptr, "AND 0b2"), "");
  EXPECT_EQ(split_error(nullptr, "MOD 0"), "NCCL_TESTS_SPLIT='MOD 0': MOD 0 divides by zero");
  EXPECT_EQ(split_error(nullptr, "/ 0x0"), "NCCL_TESTS_SPLIT='/ 0x0': DIV 0 divides by zero");
  EXPECT_EQ(split_error(nullptr, "OR 0x80000000"),
            "NCCL_TESTS_SPLIT='OR 0x80000000': the value does not fit a 31-bit color");
  EXPECT_EQ(split_error("zz", nullptr),
            "NCCL_TESTS_SPLIT_MASK='zz': not a hexadecimal mask (color = rank & mask)");
  // Through the option parser: the same line, a usage error.
  setenv("NCCL_TESTS_SPLIT", "XOR 1", 1);
  const ParseOutcome r = parse_run_options({"all_reduce"});
  unsetenv("NCCL_TESTS_SPLIT");
  EXPECT_FALSE(r.options.has_value());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, split_error(nullptr, "XOR 1"));
}

TEST(Split, NcclTestsDeviceIsAnIndex) {
  setenv("NCCL_TESTS_DEVICE", "2", 1);
  const ParseOutcome ok = parse_run_options({"all_reduce"});
  ASSERT_TRUE(ok.options.has_value());
  EXPECT_EQ(ok.options->first_device, 2);
  for (const char* bad : {"-1", "x", "1.5", "99999"}) {
    setenv("NCCL_TESTS_DEVICE", bad, 1);
    const ParseOutcome r = parse_run_options({"all_reduce"});
    EXPECT_FALSE(r.options.has_value()) << bad;
    EXPECT_EQ(r.output, "NCCL_TESTS_DEVICE='" + std::string(bad) +
                            "' is not a device index (0 to " + std::to_string(kMaxRankThreads) +
                            ")");
  }
  unsetenv("NCCL_TESTS_DEVICE");
  EXPECT_EQ(parse_run_options({"all_reduce"}).options->first_device, -1);
}

// ---- real runs ----

struct FbRun {
  int rc = -1;
  nlohmann::json doc;
  std::string out;
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `env` (assignments) `launcher` fabricbench `args` --json FILE; the document read back.
FbRun run_fb(const std::string& env, const std::string& launcher, const std::string& args) {
  static int n = 0;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("fb_split_" + std::to_string(getpid()) + "_" + std::to_string(n++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string cmd = "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" ";
  cmd += env;
  cmd += ' ';
  cmd += launcher;
  cmd += " " FB_BINARY " ";
  cmd += args;
  cmd += " --no-bind -n 2 -w 1 -c 1 --json ";
  cmd += (dir / "r.json").string();
  cmd += " >";
  cmd += (dir / "out").string();
  cmd += " 2>&1";
  FbRun r;
  r.rc = std::system(cmd.c_str());
  r.out = read_all(dir / "out");
  if (std::filesystem::exists(dir / "r.json")) {
    r.doc = nlohmann::json::parse(read_all(dir / "r.json"));
  }
  std::filesystem::remove_all(dir);
  return r;
}

// Every row of `doc`: its groups match `want` (job ranks per group, by color), busbw = algbw x the
// bus factor of the group's size, algbw = bytes / time, the group time is the mean of its ranks'
// own times (-a 1), nothing is wrong; the row's own columns are rank 0's group's.
void check_groups(const FbRun& r, const std::vector<std::pair<int, std::vector<int>>>& want,
                  double (*factor)(int)) {
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json& meta = r.doc.at("meta");
  const nlohmann::json& split = meta.at("split");
  ASSERT_EQ(split.at("ngroups").get<std::size_t>(), want.size());
  for (std::size_t g = 0; g < want.size(); ++g) {
    EXPECT_EQ(split["groups"][g]["group"].get<int>(), want[g].first);
    EXPECT_EQ(split["groups"][g]["ranks"].get<std::vector<int>>(), want[g].second);
    for (std::size_t i = 0; i < want[g].second.size(); ++i) {
      const nlohmann::json& rank = meta["ranks"][static_cast<std::size_t>(want[g].second[i])];
      EXPECT_EQ(rank.at("group").get<int>(), want[g].first);
      EXPECT_EQ(rank.at("group_rank").get<std::size_t>(), i);
    }
  }
  const int row_ranks = static_cast<int>(want[0].second.size());
  EXPECT_DOUBLE_EQ(meta.at("bus_bw_factor").get<double>(), factor(row_ranks));
  const nlohmann::json& rows = r.doc.at("results");
  ASSERT_GE(rows.size(), 2u);
  for (const auto& row : rows) {
    const double algbw = row["algbw_gbps"].get<double>();
    EXPECT_DOUBLE_EQ(row["busbw_gbps"].get<double>(), algbw * factor(row_ranks));
    EXPECT_EQ(row["wrong"].get<long long>(), 0);
    const nlohmann::json& groups = row.at("groups");
    ASSERT_EQ(groups.size(), want.size());
    const std::vector<double> rank_time = row.at("rank_time_us").get<std::vector<double>>();
    for (std::size_t g = 0; g < want.size(); ++g) {
      const nlohmann::json& gt = groups[g];
      const int n = static_cast<int>(want[g].second.size());
      EXPECT_EQ(gt["group"].get<int>(), want[g].first);
      EXPECT_EQ(gt["nranks"].get<int>(), n);
      EXPECT_EQ(gt["wrong"].get<long long>(), 0);
      double mean = 0;
      for (int rank : want[g].second) mean += rank_time[static_cast<std::size_t>(rank)];
      mean /= n;
      const double t = gt["time_us"].get<double>();
      EXPECT_NEAR(t, mean, 1e-9 * mean);
      const auto bytes = gt["bytes"].get<std::size_t>();
      if (g == 0) {
        EXPECT_EQ(bytes, row["bytes"].get<std::size_t>());
      }
      EXPECT_NEAR(gt["algbw_gbps"].get<double>(), static_cast<double>(bytes) / t / 1e3,
                  1e-9 * (static_cast<double>(bytes) / t / 1e3) + 1e-300);
      EXPECT_DOUBLE_EQ(gt["busbw_gbps"].get<double>(), gt["algbw_gbps"].get<double>() * factor(n));
    }
  }
  const nlohmann::json& sg = r.doc.at("summary").at("groups");
  ASSERT_EQ(sg.size(), want.size());
  for (const auto& g : sg) EXPECT_EQ(g["wrong_total"].get<long long>(), 0);
}

double all_reduce_factor(int n) { return 2.0 * (n - 1) / n; }
double all_gather_factor(int n) { return static_cast<double>(n - 1) / n; }

const char* kSweep = " -b 8 -e 20000 -f 5 -d all -o all";

#ifdef FB_MPIRUN
TEST(SplitRun, Mpi4RanksMod2AllReduceSumsWithinEachGroup) {
  for (const char* backend : {"mpi", "own"}) {
    SCOPED_TRACE(backend);
    const FbRun r = run_fb("NCCL_TESTS_SPLIT='MOD 2'", FB_MPIRUN " -np 4",
                           std::string("all_reduce --backend ") + backend + kSweep);
    check_groups(r, {{0, {0, 2}}, {1, {1, 3}}}, all_reduce_factor);
    EXPECT_EQ(r.doc["meta"]["sweep"]["split"], "MOD 2");
    EXPECT_NE(r.out.find("#  Rank  1 Group  1 Pid"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("#  Group  1 avg busbw  : "), std::string::npos) << r.out;
  }
}

TEST(SplitRun, Mpi4RanksUnequalGroupsAllGather) {
  // DIV 3: ranks 0-2 and rank 3 alone; a group of one has bus factor 0.
  for (const char* backend : {"mpi", "own"}) {
    SCOPED_TRACE(backend);
    const FbRun r = run_fb("NCCL_TESTS_SPLIT='DIV 3'", FB_MPIRUN " -np 4",
                           std::string("all_gather --backend ") + backend + kSweep);
    check_groups(r, {{0, {0, 1, 2}}, {1, {3}}}, all_gather_factor);
    for (const auto& row : r.doc["results"]) {
      EXPECT_DOUBLE_EQ(row["groups"][1]["busbw_gbps"].get<double>(), 0.0);
    }
  }
}

TEST(SplitRun, Mpi2RanksMaskBroadcastEachRankItsOwnGroup) {
  for (const char* backend : {"mpi", "own"}) {
    SCOPED_TRACE(backend);
    const FbRun r = run_fb("NCCL_TESTS_SPLIT_MASK=1", FB_MPIRUN " -np 2",
                           std::string("broadcast --backend ") + backend + kSweep);
    check_groups(r, {{0, {0}}, {1, {1}}}, [](int) { return 1.0; });
  }
}

TEST(SplitRun, Mpi4RanksReduceEveryRoot) {
  const FbRun r = run_fb("NCCL_TESTS_SPLIT='AND 0b10'", FB_MPIRUN " -np 4",
                         std::string("reduce -r -1") + kSweep);
  check_groups(r, {{0, {0, 1}}, {2, {2, 3}}}, [](int) { return 1.0; });
  bool root1 = false;
  for (const auto& row : r.doc["results"]) root1 = root1 || row["root"] == 1;
  EXPECT_TRUE(root1);
}
#endif

TEST(SplitRun, FourRankThreadsOrEachItsOwnGroup) {
  const FbRun r = run_fb("NCCL_TESTS_SPLIT='OR 0'", "",
                         std::string("all_reduce -g 4 --backend own --device cpu") + kSweep);
  check_groups(r, {{0, {0}}, {1, {1}}, {2, {2}}, {3, {3}}}, all_reduce_factor);
  const FbRun d = run_fb("NCCL_TESTS_SPLIT='DIV 2'", "",
                         std::string("alltoall -g 4 --backend own --device cpu") + kSweep);
  check_groups(d, {{0, {0, 1}}, {1, {2, 3}}}, all_gather_factor);
}

TEST(SplitRun, NcclTestsDeviceRecordedOnTheCpu) {
  const FbRun r = run_fb("NCCL_TESTS_DEVICE=1", "", "all_reduce -g 2 --backend own --device cpu");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.doc["meta"]["first_device"].get<int>(), 1);
  EXPECT_NE(r.out.find("NCCL_TESTS_DEVICE=1: recorded (CPU mode: no GPU is used)"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace fb
