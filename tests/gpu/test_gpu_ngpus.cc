// -g N on a GPU box: the real binary drives every visible GPU (at least 2) from one process, one
// rank-thread per GPU, with exact results. Skips without NCCL or with fewer than 2 GPUs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fb_config.h"
#include "kernels/cuda_device.h"

namespace fb {
namespace {

class NgpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FB_HAVE_NCCL) GTEST_SKIP() << "built without NCCL";
    const GpuProbe p = probe_gpus();
    if (p.count < 2) {
      GTEST_SKIP() << "-g needs at least 2 GPUs; "
                   << (p.count == 0 ? "no usable GPU: " + p.reason : "1 GPU visible");
    }
    ngpus_ = p.count;
  }

  // Runs `fabricbench <args> -g N --json FILE` and returns the results document; the exit code
  // must be 0 (any wrong element makes it 1).
  nlohmann::json run(const std::string& args) {
    const std::string json = ::testing::TempDir() + "fb_ngpus_" + std::to_string(getpid()) + "_" +
                             std::to_string(runs_++) + ".json";
    std::remove(json.c_str());
    const std::string cmd = std::string(FB_BINARY) + " " + args + " -g " + std::to_string(ngpus_) +
                            " --json " + json + " -T 120";
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd;
    std::ifstream in(json);
    EXPECT_TRUE(in.good()) << "no results file from: " << cmd;
    nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    std::remove(json.c_str());
    return doc;
  }

  // One rank per GPU, each on its own device, no wrong element, sweep complete.
  void expect_one_rank_per_gpu(const nlohmann::json& doc) {
    ASSERT_TRUE(doc.is_object());
    const nlohmann::json& meta = doc.at("meta");
    EXPECT_EQ(meta.at("nranks").get<int>(), ngpus_);
    EXPECT_EQ(meta.at("device").get<std::string>(), "cuda");
    EXPECT_EQ(meta.at("sweep").at("gpus_per_process").get<int>(), ngpus_);
    std::set<int> devices;
    std::set<long long> pids;
    for (const auto& r : meta.at("ranks")) {
      devices.insert(r.at("device_index").get<int>());
      pids.insert(r.at("pid").get<long long>());
    }
    EXPECT_EQ(devices.size(), static_cast<std::size_t>(ngpus_));
    EXPECT_EQ(pids.size(), 1u) << "every rank is a thread of one process";
    EXPECT_EQ(doc.at("summary").at("wrong_total").get<long long>(), 0);
    EXPECT_TRUE(doc.at("summary").at("complete").get<bool>());
    EXPECT_FALSE(doc.at("results").empty());
  }

  int ngpus_ = 0;
  int runs_ = 0;
};

TEST_F(NgpusTest, NcclAllReduceOnEveryGpu) {
  expect_one_rank_per_gpu(run("all_reduce --backend nccl -b 8 -e 64M -f 8 -n 5 -w 2 -c 1"));
}

TEST_F(NgpusTest, NcclEveryCollectiveDtypeAndOp) {
  for (const char* coll :
       {"all_gather", "reduce_scatter", "broadcast", "reduce", "alltoall", "sendrecv"}) {
    SCOPED_TRACE(coll);
    const std::string root = std::to_string(ngpus_ - 1);
    expect_one_rank_per_gpu(run(std::string(coll) + " --backend nccl -b 1 -e 100000 -f 10 -d all " +
                                "-o all -r " + root + " -n 2 -w 1 -c 1"));
  }
}

TEST_F(NgpusTest, NcclBlockingAndGraph) {
  expect_one_rank_per_gpu(run("all_reduce --backend nccl -b 1K -e 1M -f 32 -n 3 -w 1 -z 1"));
  expect_one_rank_per_gpu(run("all_reduce --backend nccl -b 1K -e 1M -f 32 -n 3 -w 1 -G 1"));
}

TEST_F(NgpusTest, OwnAlgorithmsOverNcclPointToPoint) {
  expect_one_rank_per_gpu(run("all_reduce --backend own --device cuda -b 8 -e 4M -f 8 -n 2 -w 1"));
}

}  // namespace
}  // namespace fb
