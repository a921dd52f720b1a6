// Calibration fitting: known parameters recovered, poor fits refused with their reason, the
// JSON round trip, and the model overrides derived from a fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "fabric_model/calibration.h"

namespace fb::model {
namespace {

CalibrationKey key(int nranks = 2) {
  return {"mpi", "library", "cpu", "all_reduce", "float", "sum", "box (cpu, 2 cores)", nranks};
}

// Sizes 256 B .. 64 MiB in powers of 2; t = alpha + n / bw x (1 + noise).
std::vector<CalibrationSample> synthetic(double alpha_us, double gbps, double noise, int repeats,
                                         unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-noise, noise);
  std::vector<CalibrationSample> s;
  for (double n = 256; n <= 64.0 * 1024 * 1024; n *= 2)
    for (int r = 0; r < repeats; ++r)
      s.push_back({n, (alpha_us + n / (gbps * 1e3)) * (1 + u(rng))});
  return s;
}

TEST(Calibration, ExactDataGivesExactParameters) {
  const GroupFit g = calibrate_group(key(), synthetic(12.0, 8.0, 0, 1, 1));
  ASSERT_TRUE(g.accepted) << g.refusal;
  EXPECT_NEAR(g.fit.alpha_us, 12.0, 1e-9);
  EXPECT_NEAR(g.fit.bandwidth_gbps(), 8.0, 1e-9);
  EXPECT_NEAR(g.quality.r2, 1.0, 1e-12);
  EXPECT_LT(g.quality.worst_rel_residual, 1e-12);
  EXPECT_LT(g.quality.loo_max_error_all, 1e-9);
  for (double r : g.efficiency.ratio) EXPECT_NEAR(r, 1.0, 1e-12);
  EXPECT_EQ(g.points.size(), 19u);
  // all_reduce on 2 ranks: bus factor 2(n-1)/n = 1, 2 ring steps.
  EXPECT_DOUBLE_EQ(g.busbw_asymptote_gbps, g.fit.bandwidth_gbps());
  EXPECT_EQ(g.ring_steps, 2);
  EXPECT_NEAR(g.step_latency_us, 6.0, 1e-9);
}

TEST(Calibration, RecoversKnownParametersFromNoisyRepeats) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const GroupFit g = calibrate_group(key(), synthetic(12.0, 8.0, 0.05, 3, seed));
    ASSERT_TRUE(g.accepted) << g.refusal;
    EXPECT_NEAR(g.fit.alpha_us, 12.0, 12.0 * 0.05) << "seed " << seed;
    EXPECT_NEAR(g.fit.bandwidth_gbps(), 8.0, 8.0 * 0.05) << "seed " << seed;
    EXPECT_GT(g.quality.r2, 0.99);
    EXPECT_LT(g.quality.loo_max_error, 0.10);
    EXPECT_EQ(g.points[0].samples, 3);
  }
}

TEST(Calibration, WeightsMakeSmallSizesCount) {
  // Unweighted least squares would let 64 MiB set alpha; relative weighting keeps the 8 B
  // latency: one 64 MiB point 10% slow must barely move alpha.
  auto s = synthetic(5.0, 10.0, 0, 1, 1);
  s.back().time_us *= 1.10;
  const GroupFit g = calibrate_group(key(), s);
  EXPECT_NEAR(g.fit.alpha_us, 5.0, 0.25);
}

TEST(Calibration, NegativeAlphaIsClampedToZero) {
  std::vector<SizePoint> pts;
  for (double n : {1e3, 1e4, 1e5, 1e6})
    pts.push_back({n, 1, n * 1e-3 - (n == 1e3 ? 0.5 : 0), 0, 0});
  bool clamped = false;
  const AlphaBeta ab = fit_alpha_beta(pts, &clamped);
  EXPECT_TRUE(clamped);
  EXPECT_EQ(ab.alpha_us, 0);
  EXPECT_GT(ab.beta_us_per_byte, 0);
}

TEST(Calibration, EfficiencyCurveInterpolatesInLogSizeAndClamps) {
  EfficiencyCurve e{{10, 12}, {1.0, 2.0}};
  EXPECT_DOUBLE_EQ(e.at(2048), 1.5);
  EXPECT_DOUBLE_EQ(e.at(1024), 1.0);
  EXPECT_DOUBLE_EQ(e.at(8), 1.0);
  EXPECT_DOUBLE_EQ(e.at(1 << 30), 2.0);
  EXPECT_DOUBLE_EQ(EfficiencyCurve{}.at(100), 1.0);
}

TEST(Calibration, CombineMinTakesFastestSample) {
  const std::vector<CalibrationSample> s = {{8, 5}, {8, 3}, {8, 40}, {16, 2}};
  const auto med = reduce_samples(s, Combine::kMedian);
  const auto mn = reduce_samples(s, Combine::kMin);
  ASSERT_EQ(med.size(), 2u);
  EXPECT_EQ(med[0].time_us, 5);
  EXPECT_EQ(mn[0].time_us, 3);
  EXPECT_EQ(med[0].time_us_max, 40);
  EXPECT_EQ(med[0].samples, 3);
}

// A CPU box: sizes up to 1 MiB run from cache at 12 GB/s, sizes from 32 MiB from memory at
// 3 GB/s, time per byte log-linear in between. Alpha-beta alone fits this poorly (R^2 < 0.9); the
// efficiency curve carries the cliff, sizes away from its edges are predicted from their
// neighbours, and the large-message bandwidth is the memory-bound one, not 1/beta.
TEST(Calibration, CacheCliffIsAcceptedWithMemoryBoundAsymptote) {
  std::vector<CalibrationSample> s;
  for (double n = 256; n <= 256.0 * 1024 * 1024; n *= 2) {
    const double x = std::min(1.0, std::max(0.0, (std::log2(n) - 20) / 5));
    s.push_back({n, 3.0 + n * ((1 - x) / 12.0 + x / 3.0) * 1e-3});
  }
  const GroupFit g = calibrate_group(key(), s);
  ASSERT_TRUE(g.accepted) << g.refusal;
  EXPECT_LT(g.quality.r2, 0.9);
  EXPECT_NEAR(g.busbw_asymptote_gbps, 3.0, 3.0 * 1e-4);
  EXPECT_GT(g.fit.bandwidth_gbps(), 6.0);  // 1/beta alone would overstate large messages 2x
  for (const auto& p : g.loo) {
    const bool cliff_edge = p.bytes == 1024.0 * 1024 || p.bytes == 32.0 * 1024 * 1024;
    EXPECT_LT(std::fabs(p.rel_error), cliff_edge ? 0.5 : 0.02) << p.bytes;
  }
}

TEST(Calibration, NoiseWithoutSizeDependenceIsRefused) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(10, 200);
  std::vector<CalibrationSample> s;
  for (double n = 256; n <= 64.0 * 1024 * 1024; n *= 2) s.push_back({n, u(rng)});
  const GroupFit g = calibrate_group(key(), s);
  EXPECT_FALSE(g.accepted);
  EXPECT_FALSE(g.refusal.empty());
  EXPECT_THROW(g.predict_us(1e6), ModelError);
  Calibration c;
  c.groups.push_back(g);
  try {
    calibration_overrides(c);
    FAIL() << "a refused fit must not become model parameters";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to extrapolate"), std::string::npos) << e.what();
  }
}

TEST(Calibration, UnpredictableSizeIsRefusedByLeaveOneOut) {
  auto s = synthetic(5.0, 10.0, 0, 1, 1);
  for (auto& x : s)
    if (x.bytes == 4.0 * 1024 * 1024) x.time_us *= 4;  // one size 4x slow: LOO misses it
  const GroupFit g = calibrate_group(key(), s);
  EXPECT_FALSE(g.accepted);
  EXPECT_NE(g.refusal.find("leave-one-size-out"), std::string::npos) << g.refusal;
  // Left out, 4 MiB is predicted from exact neighbours: alpha-beta, a quarter of the measured.
  for (const auto& p : g.loo)
    if (p.bytes == 4.0 * 1024 * 1024) {
      EXPECT_NEAR(p.rel_error, -0.75, 1e-9);
    }
  EXPECT_GE(g.quality.loo_max_error, 0.75);
}

TEST(Calibration, TooFewSizesAreRefused) {
  const GroupFit g = calibrate_group(key(), {{1024, 2}, {4096, 3}, {16384, 5}});
  EXPECT_FALSE(g.accepted);
  EXPECT_NE(g.refusal.find("need 4"), std::string::npos) << g.refusal;
}

TEST(Calibration, BusFactorAndRingStepsForEveryRankCount) {
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 1), 0);
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 2), 1);
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 3), 4.0 / 3);
  EXPECT_DOUBLE_EQ(bus_factor("all_reduce", 8), 14.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor("all_gather", 4), 0.75);
  EXPECT_DOUBLE_EQ(bus_factor("broadcast", 4), 1);
  EXPECT_EQ(ring_steps("all_reduce", 1), 1);
  EXPECT_EQ(ring_steps("all_reduce", 3), 4);
  EXPECT_EQ(ring_steps("reduce_scatter", 5), 4);
  EXPECT_EQ(ring_steps("broadcast", 5), 1);
}

TEST(Calibration, JsonRoundTripAndModelOverrides) {
  Calibration c;
  c.groups.push_back(calibrate_group(key(4), synthetic(12.0, 8.0, 0, 1, 1)));
  c.provenance = {{"version", "test"}};
  const Calibration back = parse_calibration(to_json(c), "mem");
  ASSERT_EQ(back.groups.size(), 1u);
  const GroupFit& g = back.groups[0];
  EXPECT_TRUE(g.accepted);
  EXPECT_EQ(g.key.label(), c.groups[0].key.label());
  EXPECT_DOUBLE_EQ(g.fit.alpha_us, c.groups[0].fit.alpha_us);
  EXPECT_EQ(g.loo.size(), 19u);
  EXPECT_DOUBLE_EQ(g.predict_us(3e6), c.groups[0].predict_us(3e6));

  const CalibratedOverrides o = calibration_overrides(back);
  // 4 ranks: busbw = bw x 2(3)/4 = 12 GB/s -> 96 Gb/s; alpha 12 us over 6 ring steps = 2 us.
  ASSERT_TRUE(o.overrides.scaleup_gbps.has_value());
  EXPECT_NEAR(*o.overrides.scaleup_gbps, 96.0, 1e-6);
  EXPECT_NEAR(*o.overrides.scaleup_step_latency_us, 2.0, 1e-9);
  EXPECT_FALSE(o.overrides.gpu_reduce_gbytes_per_s.has_value());
  EXPECT_EQ(o.measured.size(), 2u);
  EXPECT_FALSE(o.notes.empty());  // device cpu stands in for NVLink: said so

  ModelOverrides mine;
  mine.scaleup_gbps = 3600;  // an explicit flag wins over the calibration
  const auto set = apply_calibration(o, mine);
  EXPECT_EQ(*mine.scaleup_gbps, 3600);
  EXPECT_NEAR(*mine.scaleup_step_latency_us, 2.0, 1e-9);
  EXPECT_EQ(set, std::vector<std::string>{"scaleup_step_latency_us"});
  EXPECT_THROW(calibration_overrides(back, "no-such-group"), ModelError);
}

TEST(Calibration, BadDocumentsAreRejected) {
  EXPECT_THROW(parse_calibration({{"schema", "x"}}, "f"), ModelError);
  Calibration c;
  c.groups.push_back(calibrate_group(key(), synthetic(1, 1, 0, 1, 1)));
  nlohmann::json j = to_json(c);
  j["groups"][0].erase("alpha_us");
  try {
    parse_calibration(j, "cal.json");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "cal.json: groups[0]: missing field 'alpha_us'");
  }
}

}  // namespace
}  // namespace fb::model
