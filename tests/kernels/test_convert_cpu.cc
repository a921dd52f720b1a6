// The vectorised half/bfloat16 conversions against the scalar definitions of
// kernels/half_types.h, bit for bit: every 16-bit input exhaustively, and floats covering every
// sign/exponent/high-mantissa combination with the low bits that decide rounding (ties, just
// below/above, odd and even kept bits), plus random floats.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/convert_cpu.h"

namespace fb {
namespace {

std::vector<float> rounding_probe_floats() {
  // Low 16 bits: bits 15..13 (kept or dropped depending on the target) times patterns of the rest
  // around the half tie (bit 12) and the bfloat16 tie (bit 15 with the rest).
  const std::uint32_t kLow[] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x0800, 0x07ff};
  std::vector<float> out;
  out.reserve(65536u * 8 * 8 + (1u << 20));
  for (std::uint32_t hi = 0; hi < 65536u; ++hi) {
    for (std::uint32_t top3 = 0; top3 < 8; ++top3) {
      for (std::uint32_t low : kLow) out.push_back(bits_float(hi << 16 | top3 << 13 | low));
    }
  }
  std::mt19937 rng(5);
  for (int i = 0; i < (1 << 20); ++i) out.push_back(bits_float(static_cast<std::uint32_t>(rng())));
  return out;
}

template <typename H>
std::vector<H> all_16bit() {
  std::vector<H> v(65536);
  for (std::uint32_t i = 0; i < 65536u; ++i) v[i].bits = static_cast<std::uint16_t>(i);
  return v;
}

// Every 16-bit pattern through `convert` on each level equals `scalar`, bit for bit.
template <typename H>
void expect_exhaustive_to_float(void (*convert)(CpuIsa, const H*, float*, std::size_t),
                                float (*scalar)(H)) {
  const auto in = all_16bit<H>();
  for (CpuIsa isa : supported_cpu_isas()) {
    SCOPED_TRACE(cpu_isa_name(isa));
    std::vector<float> out(in.size());
    convert(isa, in.data(), out.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(float_bits(out[i]), float_bits(scalar(in[i]))) << "16-bit input " << i;
    }
  }
}

TEST(ConvertCpu, HalfToFloatExhaustive) {
  expect_exhaustive_to_float<half_t>(half_to_float_cpu, half_to_float);
}

TEST(ConvertCpu, BfloatToFloatExhaustive) {
  expect_exhaustive_to_float<bfloat16_t>(bfloat16_to_float_cpu, bfloat16_to_float);
}

TEST(ConvertCpu, FloatToHalfAndBfloatMatchScalar) {
  const auto in = rounding_probe_floats();
  for (CpuIsa isa : supported_cpu_isas()) {
    SCOPED_TRACE(cpu_isa_name(isa));
    std::vector<half_t> h(in.size());
    std::vector<bfloat16_t> b(in.size());
    float_to_half_cpu(isa, in.data(), h.data(), in.size());
    float_to_bfloat16_cpu(isa, in.data(), b.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(h[i].bits, float_to_half(in[i]).bits) << "float bits " << float_bits(in[i]);
      ASSERT_EQ(b[i].bits, float_to_bfloat16(in[i]).bits) << "float bits " << float_bits(in[i]);
    }
  }
}

// Every 16-bit value survives half -> float -> half (NaNs become the scalar code's quiet NaN).
TEST(ConvertCpu, HalfRoundTripThroughVectorPaths) {
  const auto in = all_16bit<half_t>();
  for (CpuIsa isa : supported_cpu_isas()) {
    SCOPED_TRACE(cpu_isa_name(isa));
    std::vector<float> f(in.size());
    std::vector<half_t> back(in.size());
    half_to_float_cpu(isa, in.data(), f.data(), in.size());
    float_to_half_cpu(isa, f.data(), back.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
      const bool nan = (i & 0x7fffu) > 0x7c00u;
      const std::uint16_t want =
          nan ? static_cast<std::uint16_t>((i & 0x8000u) | 0x7e00u) : static_cast<std::uint16_t>(i);
      ASSERT_EQ(back[i].bits, want) << "half bits " << i;
    }
  }
}

// All 2^32 floats (about 10 s per level with the scalar reference): run by hand with
// --gtest_also_run_disabled_tests after changing a conversion.
TEST(ConvertCpu, DISABLED_FloatToHalfAndBfloatAllFloats) {
  constexpr std::size_t kChunk = 1 << 16;
  std::vector<float> in(kChunk);
  std::vector<half_t> h(kChunk);
  std::vector<bfloat16_t> b(kChunk);
  for (CpuIsa isa : supported_cpu_isas()) {
    SCOPED_TRACE(cpu_isa_name(isa));
    for (std::uint64_t base = 0; base < (std::uint64_t{1} << 32); base += kChunk) {
      for (std::size_t i = 0; i < kChunk; ++i) {
        in[i] = bits_float(static_cast<std::uint32_t>(base + i));
      }
      float_to_half_cpu(isa, in.data(), h.data(), kChunk);
      float_to_bfloat16_cpu(isa, in.data(), b.data(), kChunk);
      for (std::size_t i = 0; i < kChunk; ++i) {
        ASSERT_EQ(h[i].bits, float_to_half(in[i]).bits) << "float bits " << base + i;
        ASSERT_EQ(b[i].bits, float_to_bfloat16(in[i]).bits) << "float bits " << base + i;
      }
    }
  }
}

}  // namespace
}  // namespace fb
