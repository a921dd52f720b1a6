// -I/--per_iter_timing and -K/--per_iter_skip: nccl-tests' summary rules by hand, its number
// field, the flags' bad values, the console columns, and a real -g 2 run's JSON and -J blocks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness/options.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/stats.h"

namespace fb {
namespace {

TEST(PerIter, StatsByHandAfterSkip) {
  // Skip 1 drops the 5: the sorted samples are 1 2 3 4 100.
  const PerIterStats p = per_iter_stats({5, 1, 4, 2, 3, 100}, 1);
  EXPECT_TRUE(p.present);
  EXPECT_EQ(p.skipped, 1);
  EXPECT_EQ(p.times_us.size(), 6u);  // the raw samples are all kept
  EXPECT_DOUBLE_EQ(p.min_us, 1);
  EXPECT_DOUBLE_EQ(p.max_us, 100);
  EXPECT_DOUBLE_EQ(p.p50_us, 3);    // element n/2 = 2
  EXPECT_DOUBLE_EQ(p.p95_us, 100);  // element min(4, ceil(5*95/100)-1 = 4)
  EXPECT_DOUBLE_EQ(p.avg_us, 22);   // 110 / 5
  // Population variance: (21^2 + 20^2 + 19^2 + 18^2 + 78^2) / 5 = 7610 / 5 = 1522.
  EXPECT_NEAR(p.stdev_us, std::sqrt(1522.0), 1e-12);
  EXPECT_NEAR(p.cv_pct, std::sqrt(1522.0) / 22 * 100, 1e-9);
}

TEST(PerIter, PercentilesOfOneToHundred) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const PerIterStats p = per_iter_stats(v, 0);
  EXPECT_DOUBLE_EQ(p.p50_us, 51);  // element 50
  EXPECT_DOUBLE_EQ(p.p95_us, 95);  // element ceil(9500/100) - 1 = 94
  EXPECT_DOUBLE_EQ(p.p99_us, 99);  // element 98
  EXPECT_DOUBLE_EQ(p.avg_us, 50.5);
}

TEST(PerIter, NumberFieldFollowsNcclTests) {
  EXPECT_EQ(float_field(12.345, 7), "  12.35");
  EXPECT_EQ(float_field(0.5, 7), "   0.50");
  EXPECT_EQ(float_field(12345.6, 7), "12345.6");
  EXPECT_EQ(float_field(123456.7, 7), " 123457");
  EXPECT_EQ(float_field(1234567.0, 7), "1234567");
  EXPECT_EQ(float_field(12345678.0, 7), "1.2e+07");
}

// The error line, or "" when the flags parse.
std::string parse_error(const std::vector<std::string>& args) {
  const ParseOutcome r = parse_run_options(args);
  return r.options ? std::string() : r.output;
}

TEST(PerIter, BadValuesAreOneLineErrors) {
  EXPECT_EQ(parse_error({"all_reduce", "-I", "2"}), "-I/--per_iter_timing must be 0 or 1");
  EXPECT_EQ(parse_error({"all_reduce", "-K", "-1"}), "-K/--per_iter_skip must not be negative");
  EXPECT_EQ(parse_error({"all_reduce", "-I", "1", "-K", "20", "-n", "20"}),
            "-K/--per_iter_skip (20) must be smaller than -n/--iters (20)");
  EXPECT_EQ(parse_error({"all_reduce", "-I", "1", "-K", "19", "-n", "20"}), "");
  const ParseOutcome ok = parse_run_options({"all_reduce", "-I", "1", "-K", "3"});
  ASSERT_TRUE(ok.options.has_value());
  EXPECT_EQ(ok.options->per_iter_timing, 1);
  EXPECT_EQ(ok.options->per_iter_skip, 3);
}

// What the console reporter prints for `meta` and whatever `feed` gives it.
std::string console_text(bool header, const nlohmann::json& meta,
                         const std::function<void(Reporter&)>& feed) {
  std::FILE* f = std::tmpfile();
  auto rep = make_console_reporter(f, header);
  rep->begin(meta);
  feed(*rep);
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

TEST(PerIter, ConsoleRowHasEightMoreColumnsThanWithout) {
  SizeResult row;
  row.collective = "all_reduce";
  row.bytes = 1024;
  row.count = 256;
  row.dtype = "float";
  row.op = "sum";
  row.root = -1;
  for (Timing* t : {&row.out_of_place, &row.in_place}) {
    t->measured = true;
    t->time_us = 10;
    t->wrong = 0;
    t->per_iter = per_iter_stats({10, 12, 11}, 1);
  }
  auto render = [&](bool per_iter) {
    return console_text(true, {{"sweep", {{"per_iter_timing", per_iter}, {"per_iter_skip", 1}}}},
                        [&](Reporter& rep) { rep.add(row); });
  };
  auto fields = [](const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
  };
  auto last_line = [](const std::string& text) {
    const std::string t = text.substr(0, text.size() - 1);
    return t.substr(t.rfind('\n') + 1);
  };
  const std::string with = render(true), without = render(false);
  const auto a = fields(last_line(with)), b = fields(last_line(without));
  ASSERT_EQ(a.size(), b.size() + 8);
  // Out of place: time algbw busbw #wrong, then i_min i_max i_p99 i_cv% (of 12 and 11).
  EXPECT_EQ(a[9], "11.00");
  EXPECT_EQ(a[10], "12.00");
  EXPECT_EQ(a[11], "12.00");
  EXPECT_EQ(a[12], "4.35");  // stdev 0.5 / mean 11.5
  EXPECT_NE(with.find("i_cv%"), std::string::npos);
  EXPECT_NE(with.find("Per-Iteration Report"), std::string::npos);
}

SizeResult ranked_row(std::size_t bytes, std::vector<double> oop, std::vector<double> ip) {
  SizeResult row;
  row.collective = "all_reduce";
  row.bytes = bytes;
  row.out_of_place.measured = row.in_place.measured = true;
  row.out_of_place.rank_time_us = std::move(oop);
  row.in_place.rank_time_us = std::move(ip);
  return row;
}

TEST(SlowRank, SummaryNamesTheRankFurthestAboveTheMedian) {
  SummaryBuilder b;
  b.add(ranked_row(64, {10, 11, 10, 10}, {10, 10, 12, 10}));   // 1.1x, 1.2x
  b.add(ranked_row(128, {10, 10, 30, 10}, {10, 10, 10, 10}));  // rank 2: 30 / median 10
  const RunSummary s = b.summary(true);
  EXPECT_EQ(s.slowest_rank, 2);
  EXPECT_DOUBLE_EQ(s.slowest_ratio, 3.0);
  EXPECT_EQ(s.slowest_bytes, 128u);
  EXPECT_EQ(s.slowest_variant, "out-of-place");
  SummaryBuilder one;
  one.add(ranked_row(64, {10}, {10}));
  EXPECT_EQ(one.summary(true).slowest_rank, -1);  // one rank: nobody to compare with
}

std::string footer(const RunSummary& s) {
  return console_text(false,
                      {{"ranks", {{{"rank", 0}, {"host", "a"}}, {{"rank", 1}, {"host", "nodeB"}}}}},
                      [&](Reporter& rep) { rep.finish(s); });
}

TEST(SlowRank, FooterNamesRankAndHostOnlyWhenFar) {
  RunSummary s;
  s.slowest_rank = 1;
  s.slowest_ratio = 1.5;
  s.slowest_bytes = 4096;
  s.slowest_variant = "in-place";
  EXPECT_NE(footer(s).find("# Slowest rank         : rank 1 on nodeB: 1.50x the median rank time "
                           "at 4096 B (in-place)\n"),
            std::string::npos);
  s.slowest_ratio = kSlowRankRatio * 0.99;
  EXPECT_EQ(footer(s).find("Slowest rank"), std::string::npos);
}

// The fabricbench binary as a shell command. It is an MPI singleton: under the sanitizers its
// leaks are Open MPI's (scripts/test.sh checks MPI processes for everything but leaks), so the
// child runs with leak detection off whatever this test process was given.
std::string fabricbench_cmd() {
  return std::string("ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" ") + FB_BINARY;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return nlohmann::json::parse(s.str());
}

TEST(PerIter, RealRunKeepsRawAndPerRankTimes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fb_periter_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string json = (dir / "r.json").string(), nj = (dir / "n.json").string();
  const std::string cmd = fabricbench_cmd() +
                          " all_reduce -g 2 --backend own --device cpu -b 8 -e 64 -f 8 -n 5 -w 1 "
                          "-I 1 -K 2 --no-bind --json " +
                          json + " -J " + nj + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const auto r = read_json(json);
  ASSERT_EQ(r["results"].size(), 4u);  // 2 sizes x 2 variants
  for (const auto& row : r["results"]) {
    const auto& p = row["per_iter"];
    EXPECT_EQ(p["skipped"], 2);
    ASSERT_EQ(p["times_us"].size(), 5u);
    ASSERT_EQ(p["rank_times_us"].size(), 2u);
    // Per iteration the summary's sample is the slowest rank's time.
    for (int i = 0; i < 5; ++i) {
      const double a = p["rank_times_us"][0][i], b = p["rank_times_us"][1][i];
      EXPECT_DOUBLE_EQ(p["times_us"][i].get<double>(), std::max(a, b));
    }
    double lo = 1e300;
    for (int i = 2; i < 5; ++i) lo = std::min(lo, p["times_us"][i].get<double>());
    EXPECT_DOUBLE_EQ(p["min_us"].get<double>(), lo);
    EXPECT_EQ(row["rank_time_us"].size(), 2u);
  }
  EXPECT_TRUE(r["summary"]["slowest_rank"].is_object());
  EXPECT_GE(r["summary"]["slowest_rank"]["ratio_to_median"].get<double>(), 1.0);
  EXPECT_EQ(r["meta"]["sweep"]["per_iter_timing"], true);
  const auto n = read_json(nj);
  const auto& row = n["results"][0];
  // (nlohmann::json sorts keys on reading: the order is the layout test's; presence here.)
  for (const char* k : {"out_of_place_per_iter", "in_place_per_iter"}) {
    ASSERT_TRUE(row.contains(k)) << k;
    EXPECT_EQ(row[k]["times_us"].size(), 5u);
    EXPECT_EQ(row[k]["per_process_max_times_us"].size(), 2u);
  }
  EXPECT_EQ(n["config"]["per_iter_timing"], "true");
  std::filesystem::remove_all(dir);
}

// -r -1: a rooted collective runs with every rank as the root in turn (nccl-tests' order: the
// root loop outside the size loop), each checked exactly.
TEST(EveryRoot, EachRankInTurnExactlyChecked) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fb_roots_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (const char* coll : {"broadcast", "reduce"}) {
    const std::string json = (dir / (std::string(coll) + ".json")).string();
    const std::string cmd = fabricbench_cmd() + " " + coll +
                            " -g 3 --backend own --device cpu -b 1 -e 1000 -f 10 -n 1 -w 0 -c 1 "
                            "-d int32 -r -1 --no-bind --json " +
                            json + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << coll;
    const auto r = read_json(json);
    const auto& rows = r["results"];
    ASSERT_EQ(rows.size(), 3u * 4u * 2u) << coll;  // roots x sizes (1 10 100 1000 B) x variants
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i]["root"], static_cast<int>(i / 8)) << coll << " row " << i;
      EXPECT_EQ(rows[i]["wrong"], 0) << coll << " row " << i;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fb
