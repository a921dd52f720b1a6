// The GPU path's host-side logic, run everywhere (no device needed): launch geometry, the
// head/vector/tail split for any alignment, the shared functors on 16-bit types, GPU selection
// and the detection answer of a GPU-less build or machine.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "fb_config.h"
#include "kernels/cuda_device.h"
#include "kernels/cuda_launch.h"
#include "kernels/half_types.h"
#include "kernels/ops.h"

namespace fb {
namespace {

TEST(LaunchGeometry, NothingToDoLaunchesNothing) {
  const LaunchGeometry g = grid_stride_geometry(0, 132, 512, 4);
  EXPECT_EQ(g.blocks, 0u);
}

TEST(LaunchGeometry, SmallWorkGetsOneThreadPerItem) {
  EXPECT_EQ(grid_stride_geometry(1, 132, 512, 4).blocks, 1u);
  EXPECT_EQ(grid_stride_geometry(512, 132, 512, 4).blocks, 1u);
  EXPECT_EQ(grid_stride_geometry(513, 132, 512, 4).blocks, 2u);
  EXPECT_EQ(grid_stride_geometry(513, 132, 512, 4).threads, 512u);
}

TEST(LaunchGeometry, LargeWorkIsCappedAtResidentBlocks) {
  // 1 Gi items would need 2 Mi blocks; the grid-stride loop covers them with 132 * 4.
  EXPECT_EQ(grid_stride_geometry(std::size_t{1} << 30, 132, 512, 4).blocks, 528u);
  EXPECT_EQ(grid_stride_geometry(std::size_t{1} << 30, 0, 512, 4).blocks, 4u);  // unknown SMs
}

VecSplit split(std::vector<std::uintptr_t> addrs, std::size_t es, std::size_t count) {
  return split_for_vectors(addrs.data(), static_cast<int>(addrs.size()), es, count);
}

TEST(VecSplit, AlignedBuffersAreAllVectorsPlusTail) {
  const VecSplit s = split({0x1000, 0x2000, 0x3000}, 4, 1027);
  EXPECT_EQ(s.per_vector, 4u);
  EXPECT_EQ(s.head, 0u);
  EXPECT_EQ(s.vectors, 256u);
  EXPECT_EQ(s.tail, 3u);
}

TEST(VecSplit, SameMisalignmentGetsAScalarHead) {
  // 4 bytes past a boundary: 3 floats reach the next one.
  const VecSplit s = split({0x1004, 0x2004}, 4, 100);
  EXPECT_EQ(s.head, 3u);
  EXPECT_EQ(s.vectors, 24u);
  EXPECT_EQ(s.tail, 1u);
  EXPECT_EQ(s.head + s.vectors * s.per_vector + s.tail, 100u);
}

TEST(VecSplit, MutuallyMisalignedBuffersAreAllScalar) {
  const VecSplit s = split({0x1000, 0x2004}, 4, 100);
  EXPECT_EQ(s.head, 100u);
  EXPECT_EQ(s.vectors, 0u);
  EXPECT_EQ(s.tail, 0u);
}

TEST(VecSplit, ElementBoundaryOffVectorGridIsAllScalar) {
  // A double at an odd 4-byte offset can never start a 16-byte vector.
  EXPECT_EQ(split({0x1004}, 8, 50).head, 50u);
}

TEST(VecSplit, ShortRangesNeverOverrun) {
  for (std::size_t es : {1, 2, 4, 8}) {
    for (std::uintptr_t mis = 0; mis < 16; mis += es) {
      for (std::size_t n = 0; n < 40; ++n) {
        const VecSplit s = split({0x1000 + mis, 0x5000 + mis}, es, n);
        EXPECT_EQ(s.head + s.vectors * s.per_vector + s.tail, n) << es << " " << mis << " " << n;
        EXPECT_LT(s.tail, s.per_vector);
        if (s.vectors > 0) {
          EXPECT_EQ((0x1000 + mis + s.head * es) % kVecBytes, 0u);
        }
      }
    }
  }
}

TEST(VecSplit, SixteenByteElementsAreOnePerVector) {
  const VecSplit s = split({0x1000}, 16, 5);
  EXPECT_EQ(s.per_vector, 1u);
  EXPECT_EQ(s.vectors, 5u);
}

// The functors the CUDA kernels instantiate, evaluated on the host: rounding after every step.
TEST(SharedFunctors, HalfSumRoundsLikeTheHardware) {
  const half_t a = float_to_half(2048.0f), b = float_to_half(1.0f);
  EXPECT_EQ(half_to_float(combine(a, b, OpSum{})), 2048.0f);  // 2049 ties to even
  EXPECT_EQ(half_to_float(combine(a, float_to_half(3.0f), OpSum{})), 2052.0f);
}

TEST(SharedFunctors, Bfloat16MinMaxProd) {
  const bfloat16_t a = float_to_bfloat16(-3.0f), b = float_to_bfloat16(2.0f);
  EXPECT_EQ(bfloat16_to_float(combine(a, b, OpMin{})), -3.0f);
  EXPECT_EQ(bfloat16_to_float(combine(a, b, OpMax{})), 2.0f);
  EXPECT_EQ(bfloat16_to_float(combine(a, b, OpProd{})), -6.0f);
}

TEST(SharedFunctors, IntegerSumWraps) {
  EXPECT_EQ(combine(std::int8_t{127}, std::int8_t{1}, OpSum{}), std::int8_t{-128});
  EXPECT_EQ(combine(std::uint8_t{16}, std::uint8_t{16}, OpProd{}), std::uint8_t{0});
}

TEST(GpuSelection, LocalRanksSpreadOverDevices) {
  EXPECT_EQ(gpu_for_local_rank(0, 8), 0);
  EXPECT_EQ(gpu_for_local_rank(7, 8), 7);
  EXPECT_EQ(gpu_for_local_rank(9, 8), 1);
  EXPECT_EQ(gpu_for_local_rank(0, 0), -1);
}

TEST(GpuDetection, AnswersWithACountOrAReason) {
  const GpuProbe p = probe_gpus();
  if (p.count == 0) {
    EXPECT_FALSE(p.reason.empty());
  } else {
    EXPECT_TRUE(p.reason.empty());
    EXPECT_FALSE(gpu_info(0).pci_bus_id.empty());
  }
#if !FB_HAVE_CUDA
  EXPECT_EQ(p.count, 0);
  EXPECT_NE(p.reason.find("built without CUDA"), std::string::npos);
  EXPECT_EQ(cuda_runtime_version(), "none");
#endif
}

}  // namespace
}  // namespace fb
