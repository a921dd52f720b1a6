// nccl-tests' -m -u -C -S -y -M -p and -z 0..3 on the CPU path: their bad values, and a real -g 3
// run (--backend own --device cpu) whose console and JSON show each flag's effect, exact results
// on buffers offset by -u.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "harness/options.h"
#include "harness/runner.h"

namespace fb {
namespace {

std::string parse_error(const std::vector<std::string>& args) {
  const ParseOutcome r = parse_run_options(args);
  return r.options ? std::string() : r.output;
}

TEST(MoreFlags, BadValuesAreOneLineErrors) {
  EXPECT_EQ(parse_error({"all_reduce", "-z", "4"}), "-z/--blocking must be 0, 1, 2 or 3");
  EXPECT_EQ(parse_error({"all_reduce", "-z", "-1"}), "-z/--blocking must be 0, 1, 2 or 3");
  EXPECT_EQ(parse_error({"all_reduce", "-u", "-1"}), "-u/--unalign must not be negative");
  EXPECT_EQ(parse_error({"all_reduce", "-u", "4097"}), "-u/--unalign must be at most 4096 bytes");
  // Whole elements only: a misaligned typed load would be undefined behaviour in the kernels.
  EXPECT_EQ(parse_error({"all_reduce", "-u", "3"}),
            "-u/--unalign must be a multiple of the element size (4 B for float)");
  EXPECT_EQ(parse_error({"all_reduce", "-u", "4", "-d", "all"}),
            "-u/--unalign must be a multiple of the element size (8 B for int64)");
  EXPECT_EQ(parse_error({"all_reduce", "-m", "0"}), "-m/--agg_iters must be at least 1");
  EXPECT_EQ(parse_error({"all_reduce", "-n", "1000000", "-m", "2000"}),
            "-n/--iters x -m/--agg_iters must be at most 2^30 calls per size");
  EXPECT_EQ(parse_error({"all_reduce", "-C", "2"}), "-C/--report_cputime must be 0 or 1");
  EXPECT_EQ(parse_error({"all_reduce", "-S", "2"}), "-S/--report_timestamps must be 0 or 1");
  EXPECT_EQ(parse_error({"all_reduce", "-y", "2"}), "-y/--stream_null must be 0 or 1");
  EXPECT_EQ(parse_error({"all_reduce", "-M", "2"}), "-M/--memory must be 0 or 1");
  EXPECT_EQ(parse_error({"all_reduce", "-p", "2"}), "-p/--parallel_init must be 0 or 1");
  for (const char* z : {"0", "1", "2", "3"}) EXPECT_EQ(parse_error({"all_reduce", "-z", z}), "");
  const ParseOutcome ok = parse_run_options(
      {"all_reduce", "-m", "3", "-u", "12", "-C", "1", "-S", "1", "-y", "1", "-M", "1", "-p", "1"});
  ASSERT_TRUE(ok.options.has_value());
  const RunOptions& o = *ok.options;
  EXPECT_EQ(o.agg_iters, 3);
  EXPECT_EQ(o.unalign, 12);
  EXPECT_EQ(
      o.report_cputime + o.report_timestamps + o.stream_null + o.memory_report + o.parallel_init,
      5);
}

TEST(MoreFlags, UnalignGrowsTheBuffersByTheOffset) {
  const ParseOutcome a = parse_run_options({"all_reduce", "-b", "1K", "-e", "1K"});
  const ParseOutcome b = parse_run_options({"all_reduce", "-b", "1K", "-e", "1K", "-u", "4"});
  const SweepPlan pa = plan_sweep(*a.options, 2, false);
  const SweepPlan pb = plan_sweep(*b.options, 2, false);
  EXPECT_EQ(pb.send_bytes, pa.send_bytes + 4);
  EXPECT_EQ(pb.recv_bytes, pa.recv_bytes + 4);
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(MoreFlags, RankThreadsRunShowsEveryFlag) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fb_more_flags_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* z : {"1", "3"}) {
    SCOPED_TRACE(z);
    const std::filesystem::path json = dir / (std::string("r") + z + ".json");
    std::string cmd = "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" " FB_BINARY
                      " alltoall -g 3 --backend own --device cpu -b 1 -e 20000 -f 7 -d all -n 3 "
                      "-w 1 -c 1 --no-bind -m 2 -u 8 -C 1 -S 1 -M 1 -p 1 -y 1 -z ";
    cmd += z;
    cmd += " --json " + json.string() + " >" + (dir / "out").string() + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_all(dir / "out");
    const std::string out = read_all(dir / "out");
    EXPECT_NE(out.find("agg iters: 2 validation: 1 graph: 0 unalign: 8\n"), std::string::npos)
        << out;
    EXPECT_NE(out.find(std::string(z) == "1" ? "# Blocking Enabled: wait and barrier after each "
                                               "inner iteration (-m)"
                                             : "time excludes barrier"),
              std::string::npos);
    EXPECT_NE(out.find("# Parallel Init Enabled"), std::string::npos);
    EXPECT_NE(out.find("-C 1: host time of the issuing loop"), std::string::npos);
    EXPECT_NE(out.find("-y 1: recorded"), std::string::npos);
    EXPECT_NE(out.find("  cputime   algbw"), std::string::npos);
    EXPECT_TRUE(std::regex_search(out, std::regex("# Host memory usage    : buffers [0-9]+ B \\| "
                                                  "peak resident [1-9][0-9]* B")))
        << out;
    const nlohmann::json doc = nlohmann::json::parse(read_all(json));
    const nlohmann::json& sweep = doc["meta"]["sweep"];
    EXPECT_EQ(sweep["agg_iters"], 2);
    EXPECT_EQ(sweep["unalign"], 8);
    EXPECT_EQ(sweep["blocking"], std::atoi(z));
    EXPECT_EQ(sweep["report_cputime"], true);
    EXPECT_EQ(sweep["memory_report"], true);
    const std::regex stamp("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}");
    ASSERT_GT(doc["results"].size(), 10u);
    for (const auto& row : doc["results"]) {
      EXPECT_EQ(row["wrong"], 0);  // exact results on buffers 8 bytes off their pages
      EXPECT_TRUE(std::regex_match(row["timestamp"].get<std::string>(), stamp));
    }
    // The buffers' figure is the harness's plan for a rank (3 rank-threads, -u 8).
    const ParseOutcome p = parse_run_options(
        {"alltoall", "-b", "1", "-e", "20000", "-f", "7", "-d", "all", "-u", "8"});
    EXPECT_DOUBLE_EQ(doc["summary"]["memory"]["host_buffers_bytes"].get<double>(),
                     static_cast<double>(plan_sweep(*p.options, 3, false).host_bytes));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fb
