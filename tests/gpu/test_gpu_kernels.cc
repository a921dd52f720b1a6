// The CUDA kernels and the NCCL backend on a real GPU, exact against the CPU reference. Every test
// skips, saying why, when no device is usable (CI, laptops).
#include <gtest/gtest.h>

#include <string>

#include "kernels/cuda_device.h"
#include "tests/gpu/gpu_checks.h"

namespace fb {
namespace {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const GpuProbe p = probe_gpus();
    if (p.count == 0) GTEST_SKIP() << "no usable GPU: " << p.reason;
  }
};

void expect_clean(const CheckReport& rep) {
  EXPECT_GT(rep.cases, 0);
  EXPECT_TRUE(rep.failures.empty())
      << rep.failures.size()
      << " failures, first: " << (rep.failures.empty() ? "" : rep.failures.front());
}

TEST_F(GpuTest, ReduceKernelsMatchCpuForEveryTypeOpSizeAndAlignment) {
  expect_clean(check_reduce_kernels());
}

TEST_F(GpuTest, DeviceDataGenerationAndCheckingMatchHost) { expect_clean(check_datagen_kernels()); }

TEST_F(GpuTest, BandwidthProbesReport) { expect_clean(check_probes()); }

TEST_F(GpuTest, NcclBackendSingleRankAllCollectives) {
  const CheckReport rep = check_nccl_single_rank();
  if (rep.cases == 0) GTEST_SKIP() << "built without NCCL";
  expect_clean(rep);
}

}  // namespace
}  // namespace fb
