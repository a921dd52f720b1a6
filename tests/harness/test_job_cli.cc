// fabricbench job: bad flags and bad job specs are one line on stderr and exit 2; a good run
// writes fabricbench.job/1 with the communicators, collectives and totals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/cmd_job.h"

namespace {

struct JobRun {
  int rc = 0;
  std::string err;
};

JobRun run_job(std::vector<std::string> args) {
  args.insert(args.begin(), "job");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  JobRun r;
  r.rc = fb::cmd_job(static_cast<int>(argv.size()), argv.data());
  testing::internal::GetCapturedStdout();
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("fb_job_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
           name))
      .string();
}

std::string small_job(int gpus, int dp) {
  return R"({"name": "small", "gpus": )" + std::to_string(gpus) +
         R"(, "parallelism": {"tp": 8, "pp": 2, "dp": )" + std::to_string(dp) +
         R"(}, "model": {"parameters": 1000000000, "layers": 4, "hidden_size": 1024,
         "attention_heads": 8, "kv_heads": 8},
         "batch": {"micro_batch_sequences": 1, "sequence_length_tokens": 1024,
                   "micro_batches_per_step": 2},
         "bucket_parameters": 40000000, "compute_tflops_per_gpu": 400})";
}

std::string write(const std::string& name, const std::string& text) {
  const std::string p = temp_path(name);
  std::ofstream(p) << text;
  return p;
}

void expect_one_line(const JobRun& r, const std::string& text) {
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace

TEST(JobCli, BadFlagsAreOneLineExit2) {
  expect_one_line(run_job({"--job", "llama3_405b_16k", "--bogus"}), "--bogus");
  expect_one_line(run_job({}), "--job is required");
  expect_one_line(run_job({"--job", "no_such_job"}), "unknown job 'no_such_job' (not a preset: ");
  expect_one_line(run_job({"--job", "llama3_405b_16k", "--placement", "scattered"}),
                  "unknown placement 'scattered'");
  expect_one_line(run_job({"--job", "llama3_405b_16k", "--seeds", "0"}),
                  "--seeds must be at least 1");
  expect_one_line(run_job({"--job", "llama3_405b_16k", "--fabric", "no_such_fabric"}),
                  "no_such_fabric");
  expect_one_line(run_job({"--job", "llama3_405b_16k", "--topology", "no_such_topology"}),
                  "unknown topology 'no_such_topology'");
  expect_one_line(run_job({"--job", "dense_1m", "--topology", "colossus_like"}),
                  "needs 1048576 GPUs, topology 'colossus_like' has 100000");
}

TEST(JobCli, BadSpecsAreOneLineExit2) {
  expect_one_line(run_job({"--job", write("product.json", small_job(64, 3))}),
                  "tp x cp x pp x dp = 48 is not the job's GPU count 64");
  std::string unknown = small_job(64, 4);
  unknown.insert(1, R"("vocabulary": 1, )");
  expect_one_line(run_job({"--job", write("unknown.json", unknown)}), "unknown key 'vocabulary'");
  expect_one_line(run_job({"--job", write("broken.json", "{\"gpus\": ")}), "not valid JSON");
  const std::string existing = write("existing.json", "{}");
  expect_one_line(run_job({"--job", write("ok.json", small_job(64, 4)), "--json", existing}),
                  existing);
}

TEST(JobCli, WritesJobSchema) {
  const std::string out = temp_path("out.json");
  std::remove(out.c_str());
  const JobRun r = run_job({"--job", write("good.json", small_job(64, 4)), "--fabric",
                            "infiniband_ndr,roce_ecmp", "--json", out});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::ifstream in(out);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("schema"), "fabricbench.job/1");
  EXPECT_EQ(j.at("job").at("gpus"), 64);
  EXPECT_EQ(j.at("topology").at("name"), "colossus_like");
  EXPECT_TRUE(j.at("wall_s").is_number());
  bool saw_dp = false;
  for (const auto& c : j.at("communicators")) {
    if (c.at("kind") != "dp") continue;
    saw_dp = true;
    EXPECT_EQ(c.at("ranks"), 4);
    EXPECT_EQ(c.at("groups"), 16);
    EXPECT_EQ(c.at("gpus_per_server"), 1);
    EXPECT_EQ(c.at("concurrent_per_server"), 8);
  }
  EXPECT_TRUE(saw_dp);
  ASSERT_EQ(j.at("totals").size(), 2u);
  for (const auto& t : j.at("totals")) {
    for (const char* k : {"fabric", "comm_time_us_per_step", "throughput_fraction", "ratio_to_best",
                          "network_power_mw"})
      EXPECT_TRUE(t.contains(k)) << k;
  }
  for (const auto& c : j.at("collectives"))
    for (const char* k :
         {"fabric", "kind", "collective", "bytes_per_step", "time_us_per_step", "algo"})
      EXPECT_TRUE(c.contains(k)) << k;
  std::remove(out.c_str());
}

namespace {

nlohmann::json run_json(std::vector<std::string> args, const std::string& name) {
  const std::string out = temp_path(name);
  std::remove(out.c_str());
  args.insert(args.end(), {"--json", out});
  const JobRun r = run_job(args);
  EXPECT_EQ(r.rc, 0) << r.err;
  std::ifstream in(out);
  nlohmann::json j = nlohmann::json::parse(in);
  std::remove(out.c_str());
  return j;
}

}  // namespace

// --failed-links 0 (and no other fault) is the healthy fabric: the same totals and no faulty
// figures; a slow GPU (2x) makes every fabric's step slower than its healthy one.
TEST(JobCli, FaultsZeroIsHealthyAndSlowGpuSlows) {
  const std::string spec = write("faults.json", small_job(64, 4));
  const std::vector<std::string> base = {"--job", spec, "--fabric", "infiniband_ndr,roce_ecmp"};
  const nlohmann::json healthy = run_json(base, "healthy.json");
  std::vector<std::string> zero = base;
  zero.insert(zero.end(), {"--failed-links", "0", "--failed-switches", "0", "--slow-gpu", "1"});
  const nlohmann::json z = run_json(zero, "zero.json");
  ASSERT_EQ(z.at("totals").size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(z["totals"][i]["comm_time_us_per_step"],
              healthy["totals"][i]["comm_time_us_per_step"]);
    EXPECT_TRUE(z["totals"][i]["faulty_to_healthy"].is_null());
    EXPECT_GT(z["totals"][i]["network_power_mw"].get<double>(), 0.0);
  }
  std::vector<std::string> slow = base;
  slow.insert(slow.end(), {"--slow-gpu", "2", "--failed-links", "3"});
  const nlohmann::json s = run_json(slow, "slow.json");
  EXPECT_EQ(s.at("faults").at("failed_links"), 3);
  for (std::size_t i = 0; i < s.at("totals").size(); ++i) {
    const nlohmann::json& t = s["totals"][i];
    EXPECT_EQ(t.at("comm_time_us_per_step"), healthy["totals"][i]["comm_time_us_per_step"]);
    EXPECT_GT(t.at("faulty_to_healthy").get<double>(), 1.0) << t.at("fabric");
    EXPECT_DOUBLE_EQ(t.at("faulty_to_healthy").get<double>(),
                     t.at("faulty_comm_time_us_per_step").get<double>() /
                         t.at("comm_time_us_per_step").get<double>());
  }
}

TEST(JobCli, BadFaultValuesAreOneLineExit2) {
  const std::string spec = write("badfaults.json", small_job(64, 4));
  expect_one_line(run_job({"--job", spec, "--failed-links", "-1"}),
                  "--failed-links must not be negative");
  expect_one_line(run_job({"--job", spec, "--failed-switches", "-2"}),
                  "--failed-switches must not be negative");
  expect_one_line(run_job({"--job", spec, "--slow-gpu", "0.5"}), "--slow-gpu must be");
  expect_one_line(run_job({"--job", spec, "--slow-gpu", "nan"}), "--slow-gpu");
  expect_one_line(run_job({"--job", spec, "--failed-links", "1000000000"}),
                  "1000000000 failed links but the fabric has ");
  expect_one_line(run_job({"--job", spec, "--failed-switches", "1000000000"}),
                  "1000000000 failed switches but the fabric has ");
  expect_one_line(run_job({"--job", spec, "--failed-links", "x"}), "--failed-links");
}
