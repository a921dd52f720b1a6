// Limits: absurd sweeps are refused by the parser, sizes that cannot fit are refused before
// allocation with the numbers in the message, and --resume rejects a file that is not a prefix of
// this sweep.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/options.h"
#include "harness/runner.h"

namespace fb {
namespace {

ParseOutcome parse(std::vector<std::string> args) { return parse_run_options(args); }

TEST(SweepLength, MatchesMakeSweep) {
  struct Case {
    std::size_t min, max, step;
    double factor;
  };
  const Case cases[] = {{8, 64, 0, 2.0},   {8, 100, 0, 2.0},      {1, 1, 0, 2.0},
                        {10, 40, 10, 1.0}, {10, 45, 10, 1.0},     {1, 4, 0, 1.1},
                        {1, 1000, 7, 1.0}, {3, 1u << 20, 0, 1.5}, {5, 5, 0, 1.0},
                        {1, 999, 1, 1.0},  {1, 5000, 0, 1.0001}};
  for (const Case& c : cases) {
    EXPECT_EQ(sweep_length(c.min, c.max, c.step, c.factor),
              make_sweep(c.min, c.max, c.step, c.factor).size())
        << c.min << " " << c.max << " " << c.step << " " << c.factor;
  }
  EXPECT_EQ(sweep_length(9, 8, 1, 1.0), 0u);
}

TEST(SweepLength, StopsCountingPastTheLimit) {
  // 1 B to 1 TiB by 1 B would be 2^40 sizes; counting stops just past the limit.
  EXPECT_EQ(sweep_length(1, 1ull << 40, 1, 1.0), 1ull << 40);
  EXPECT_EQ(sweep_length(1, 1ull << 40, 0, 1.0000001), kMaxSweepSizes + 1);
}

TEST(SweepLimit, ExactlyTheLimitIsAcceptedOneMoreIsNot) {
  // 1..100000 by 1: exactly kMaxSweepSizes sizes.
  EXPECT_TRUE(parse({"all_reduce", "-b", "1", "-e", "100000", "-i", "1", "-f", "1"}).options);
  const ParseOutcome r = parse({"all_reduce", "-b", "1", "-e", "100001", "-i", "1", "-f", "1"});
  ASSERT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output,
            "the sweep has more than 100000 sizes (raise -i/--stepbytes or -f/--stepfactor)");
  EXPECT_FALSE(parse({"all_reduce", "-b", "1", "-e", "1T", "-f", "1.0000001"}).options);
}

TEST(MemoryLimit, RefusedWithTheNumbers) {
  SweepPlan plan;
  plan.host_bytes = 1000;
  EXPECT_EQ(check_memory(plan, 4, 10000), "");
  // 4 x 1000 B = 4000 B > 0.9 x 4000 B.
  EXPECT_EQ(check_memory(plan, 4, 4000),
            "sizes do not fit in host memory: 4 ranks x 1000 B needed, 4000 B available (lower "
            "-e/--maxbytes)");
}

TEST(MemoryLimit, DeviceMemoryRefusedWithTheNumbers) {
  SweepPlan plan;
  plan.send_bytes = 30ull << 30;
  plan.recv_bytes = 30ull << 30;
  plan.host_bytes = 90ull << 30;  // not what counts on the device
  EXPECT_EQ(check_device_memory(plan, 1, 80ull << 30), "");
  // 2 ranks x 60 GiB on one 80 GiB GPU.
  EXPECT_EQ(check_device_memory(plan, 2, 80ull << 30),
            "sizes do not fit in device memory: 2 ranks x 64424509440 B needed per GPU, "
            "85899345920 B on the GPU (lower -e/--maxbytes)");
}

TEST(MemoryLimit, PlanOfAHugeSweepIsComputedNotAllocated) {
  // all_gather at 4 TiB on 8 ranks: each rank sends 512 GiB and receives 4 TiB; host buffers
  // for the CPU run: staging (4 TiB) + output copy and expected (4 TiB each) + send + recv.
  const ParseOutcome r = parse({"all_gather", "-b", "8", "-e", "4T", "-f", "2"});
  ASSERT_TRUE(r.options) << r.output;
  const SweepPlan plan = plan_sweep(*r.options, 8, false);
  EXPECT_EQ(plan.send_bytes, 512ull << 30);
  EXPECT_EQ(plan.recv_bytes, 4ull << 40);
  EXPECT_EQ(plan.host_bytes, (4ull << 40) * 3 + (512ull << 30) + (4ull << 40));
  EXPECT_NE(check_memory(plan, 8, 256ull << 30), "");
}

TEST(Resume, OptionParsedAndNotAnOutput) {
  ParseOutcome r = parse({"all_reduce", "--resume", "a.json", "--json", "b.json"});
  ASSERT_TRUE(r.options) << r.output;
  EXPECT_EQ(r.options->resume_path, "a.json");
  r = parse({"all_reduce", "--resume", "a.json", "--json", "a.json"});
  ASSERT_FALSE(r.options);
  EXPECT_EQ(r.output, "--resume a.json is also an output: name a new --json/--csv file");
}

TEST(Resume, StepsComeInRunnerOrder) {
  const ParseOutcome r2 =
      parse({"reduce", "-b", "8", "-e", "32", "-f", "2", "-o", "all", "-N", "2", "-d", "int32"});
  ASSERT_TRUE(r2.options) << r2.output;
  std::vector<std::string> seen;
  for_each_sweep_step(*r2.options, 3, [&](const SweepStep& s) {
    seen.push_back(std::to_string(s.cycle) + redop_name(s.op) + std::to_string(s.counts.bytes));
    return true;
  });
  // 2 cycles x 5 ops x 3 sizes, size fastest.
  ASSERT_EQ(seen.size(), 30u);
  EXPECT_EQ(seen[0], "0sum8");
  EXPECT_EQ(seen[1], "0sum16");
  EXPECT_EQ(seen[2], "0sum32");
  EXPECT_EQ(seen[3], "0prod8");
  EXPECT_EQ(seen[15], "1sum8");
  // -N 0 never ends by itself: the callback stops it.
  ParseOutcome forever = parse({"all_reduce", "-b", "8", "-e", "8", "-N", "0"});
  ASSERT_TRUE(forever.options);
  int n = 0;
  for_each_sweep_step(*forever.options, 2, [&](const SweepStep&) { return ++n < 1000; });
  EXPECT_EQ(n, 1000);
}

class ResumeFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("fb_resume_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
              "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json"))
                .string();
    opts_ = *parse({"all_reduce", "-b", "8", "-e", "32", "-f", "2", "-n", "3"}).options;
    meta_ = {{"collective", "all_reduce"},
             {"backend", "mpi"},
             {"algorithm", "library"},
             {"device", "cpu"},
             {"nranks", 2},
             {"sweep", {{"iters", 3}}}};
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  static nlohmann::json row(std::size_t bytes, bool in_place) {
    return {{"collective", "all_reduce"},
            {"bytes", bytes},
            {"count", bytes / 4},
            {"dtype", "float"},
            {"op", "sum"},
            {"root", -1},
            {"in_place", in_place},
            {"time_us", 1.5},
            {"algbw_gbps", 0.1},
            {"busbw_gbps", 0.1},
            {"wrong", 0},
            {"iters", 3},
            {"time_us_min", 1},
            {"time_us_median", 1.5},
            {"time_us_mean", 1.5},
            {"time_us_max", 2},
            {"time_us_p99", 2},
            {"algo", "library"},
            {"cycle", 0}};
  }
  nlohmann::json doc(const nlohmann::json& rows, bool complete = false) const {
    return {{"schema", "fabricbench.results/1"},
            {"meta", meta_},
            {"results", rows},
            {"summary", {{"complete", complete}}}};
  }
  std::string error() {
    try {
      load_resume_rows(path_, meta_, opts_, 2);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  }
  std::string path_;
  RunOptions opts_;
  nlohmann::json meta_;
};

TEST_F(ResumeFile, PrefixIsReadBackExactly) {
  write(doc({row(8, false), row(8, true), row(16, false), row(16, true)}).dump());
  const auto rows = load_resume_rows(path_, meta_, opts_, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].bytes, 16u);
  EXPECT_EQ(rows[1].count, 4u);
  EXPECT_TRUE(rows[1].in_place.measured);
  EXPECT_EQ(rows[1].in_place.time_us_p99, 2.0);
  EXPECT_EQ(rows[0].out_of_place.wrong, 0);
}

TEST_F(ResumeFile, RejectsWhatIsNotAPrefixOfThisSweep) {
  write(doc({row(8, false), row(8, true), row(32, false), row(32, true)}).dump());
  EXPECT_EQ(error(), "--resume " + path_ +
                         ": results[2] is not the row this sweep measures next (float sum 16 B "
                         "out-of-place)");
  write(doc(nlohmann::json::array({row(8, false)})).dump());
  EXPECT_EQ(error(),
            "--resume " + path_ + ": results hold 1 rows, not out-of-place/in-place pairs");
  write(doc({row(8, false), row(8, true)}, true).dump());
  EXPECT_EQ(error(), "--resume " + path_ + ": the run is complete, nothing to resume");
  nlohmann::json other = doc({});
  other["meta"]["nranks"] = 3;
  write(other.dump());
  EXPECT_EQ(error(), "--resume " + path_ + ": meta.nranks differs from this run (3 there, 2 here)");
  write(doc({row(8, false), row(8, true)}).dump().substr(0, 100));
  EXPECT_EQ(error(), "--resume " + path_ + ": not valid JSON (truncated or corrupt)");
  nlohmann::json bad = doc({row(8, false), row(8, true)});
  bad["results"][1]["time_us"] = "fast";
  write(bad.dump());
  EXPECT_EQ(error(), "--resume " + path_ + ": results[1].time_us is not a number");
}

}  // namespace
}  // namespace fb
