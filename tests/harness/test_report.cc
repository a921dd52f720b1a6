// Reporters by line matching on fixed inputs: the console in nccl-tests' layout (exact lines),
// the JSON document parsed back, the CSV header and rows.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "harness/report.h"
#include "harness/runner.h"
#include "tests/harness/report_test_util.h"

namespace fb {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

Timing timing(double us, double algbw, double busbw, long long wrong) {
  Timing t;
  t.measured = true;
  t.time_us = us;
  t.algbw_gbps = algbw;
  t.busbw_gbps = busbw;
  t.wrong = wrong;
  t.iters = 20;
  t.time_us_min = us - 1;
  t.time_us_median = us;
  t.time_us_mean = us + 0.25;
  t.time_us_max = us + 2;
  t.time_us_p99 = us + 1.5;
  return t;
}

// Two sizes: the first checked and clean, the second with 3 wrong elements in place and its
// out-of-place variant unchecked (-c 0 style), plus a row whose in-place variant did not run.
std::vector<SizeResult> fixed_rows() {
  SizeResult a;
  a.collective = "all_reduce";
  a.bytes = 1048576;
  a.count = 262144;
  a.dtype = "float";
  a.op = "sum";
  a.root = -1;
  a.algo = "library";
  a.out_of_place = timing(123.456, 8.49, 8.49, 0);
  a.in_place = timing(9.87654, 12.3456, 24.691, 0);
  SizeResult b = a;
  b.bytes = 67108864;
  b.count = 16777216;
  b.out_of_place = timing(12345.6, 5.4321, 10.8642, -1);
  b.in_place = timing(99.999, 671.1, 1342.2, 3);
  SizeResult c = a;
  c.bytes = 0;
  c.count = 0;
  c.dtype = "int8";
  c.op = "none";
  c.root = 3;
  c.out_of_place = timing(5, 0, 0, 0);
  c.in_place = Timing{};
  return {a, b, c};
}

nlohmann::json fixed_meta() {
  return {{"version", "0.1.0"},
          {"git_commit", "abc123def456"},
          {"collective", "all_reduce"},
          {"backend", "mpi"},
          {"algorithm", "library"},
          {"device", "cpu"},
          {"nranks", 2},
          {"sweep",
           {{"minbytes", 8},
            {"maxbytes", 67108864},
            {"stepbytes", 1048576},
            {"stepfactor", 2.0},
            {"iters", 20},
            {"warmup_iters", 5},
            {"check_iters", 1},
            {"average", 1},
            {"run_cycles", 1},
            {"timeout_s", 300.0}}},
          {"ranks",
           {{{"rank", 0}, {"host", "hostname"}, {"pid", 12345}, {"device", "cpu"}, {"cpuset", "0"}},
            {{"rank", 1},
             {"host", "node-b"},
             {"pid", 7},
             {"device", "cuda"},
             {"device_index", 1},
             {"device_bus_id", "0000:04:00.0"},
             {"device_name", "NVIDIA H100"},
             {"cpuset", "2-3"}}}}};
}

RunSummary summary_of(const std::vector<SizeResult>& rows) {
  SummaryBuilder acc;
  for (const auto& r : rows) acc.add(r);
  RunSummary s = acc.summary(true);
  s.end_time = "2026-11-25T22:00:00Z";
  return s;
}

std::string console_output(bool header, const RunSummary& summary) {
  std::FILE* f = std::tmpfile();
  auto rep = make_console_reporter(f, header);
  rep->begin(fixed_meta());
  for (const auto& r : fixed_rows()) rep->add(r);
  rep->finish(summary);
  return read_and_close(f);
}

TEST(SummaryBuilder, AveragesMeasuredVariantsAndFindsPeak) {
  const RunSummary s = summary_of(fixed_rows());
  // Five measured variants: 8.49 + 24.691 + 10.8642 + 1342.2 + 0.
  EXPECT_DOUBLE_EQ(s.avg_busbw_gbps, (8.49 + 24.691 + 10.8642 + 1342.2 + 0.0) / 5);
  EXPECT_DOUBLE_EQ(s.peak_busbw_gbps, 1342.2);
  EXPECT_EQ(s.peak_bytes, 67108864u);
  EXPECT_EQ(s.peak_variant, "in-place");
  EXPECT_EQ(s.wrong_total, 3);
  EXPECT_EQ(s.out_of_bounds, 1);
  EXPECT_TRUE(s.complete);
}

TEST(SummaryBuilder, EmptyRunHasNoPeak) {
  const RunSummary s = SummaryBuilder().summary(true);
  EXPECT_EQ(s.avg_busbw_gbps, 0.0);
  EXPECT_EQ(s.peak_variant, "");
}

TEST(ConsoleReporter, PrintsNcclTestsLayoutExactly) {
  const std::vector<std::string> lines =
      split_lines(console_output(true, summary_of(fixed_rows())));
  const std::vector<std::string> expected = {
      "# fabricbench 0.1.0 (commit abc123def456) backend mpi algorithm library device cpu",
      "# Collective test starting: all_reduce",
      "# nThread 1 nGpus 1 minBytes 8 maxBytes 67108864 step: 2(factor) warmup iters: 5 iters: 20 "
      "agg iters: 1 validation: 1 graph: 0",
      "# nRanks 2 average 1 blocking 0 cycles 1 timeout 300 s",
      "#",
      "# Using devices",
      "#  Rank  0 Group  0 Pid  12345 on   hostname device  0 [cpu] cpuset 0",
      "#  Rank  1 Group  0 Pid      7 on     node-b device  1 [0000:04:00.0] NVIDIA H100 cpuset "
      "2-3",
      "#",
      "#                                                              out-of-place                 "
      "      in-place          ",
      "#       size         count      type   redop    root     time   algbw   busbw #wrong     "
      "time   algbw   busbw #wrong",
      "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            "
      "(us)  (GB/s)  (GB/s)       ",
      "     1048576        262144     float     sum      -1    123.5    8.49    8.49      0  "
      "   9.88   12.35   24.69      0",
      "    67108864      16777216     float     sum      -1    12346    5.43   10.86    N/A  "
      " 100.00  671.10  1342.20      3",
      "           0             0      int8    none       3     5.00    0.00    0.00      0  "
      "    N/A     N/A     N/A    N/A",
      "# Out of bounds values : 1 FAILED",
      "# Avg bus bandwidth    : 277.249 ",
      "# Peak bus bandwidth   : 1342.2 GB/s at 67108864 B (in-place)",
      "#",
  };
  ASSERT_EQ(lines.size(), expected.size());
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

TEST(ConsoleReporter, TimeFormatFollowsNcclTestsThresholds) {
  // 7 characters: two decimals below 100 us, one below 10000 us, none above.
  const double times[] = {0.5, 99.994, 100.0, 9999.94, 10000.0, 1234567.0};
  const char* shown[] = {"   0.50", "  99.99", "  100.0", " 9999.9", "  10000", "1234567"};
  for (std::size_t i = 0; i < 6; ++i) {
    SizeResult r = fixed_rows()[0];
    r.out_of_place.time_us = times[i];
    std::FILE* f = std::tmpfile();
    auto rep = make_console_reporter(f, false);
    rep->add(r);
    // The time column follows size, count, type, redop, root (12+12+8+6+6) and their separators.
    EXPECT_EQ(read_and_close(f).substr(54, 7), shown[i]) << times[i];
  }
}

TEST(ConsoleReporter, WithoutHeaderPrintsRowsAndFooterOnly) {
  RunSummary s = summary_of(fixed_rows());
  s.complete = false;
  const std::vector<std::string> lines = split_lines(console_output(false, s));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[0].substr(0, 12), "     1048576");
  EXPECT_EQ(lines[6], "# Incomplete run      : the sweep was interrupted");
  EXPECT_EQ(lines[7], "#");
}

TEST(ConsoleReporter, CleanRunFooter) {
  std::FILE* f = std::tmpfile();
  auto rep = make_console_reporter(f, false);
  RunSummary s;
  s.avg_busbw_gbps = 12.345;
  s.peak_busbw_gbps = 20.5;
  s.peak_bytes = 1024;
  s.peak_variant = "out-of-place";
  rep->finish(s);
  EXPECT_EQ(read_and_close(f),
            "# Out of bounds values : 0 OK\n"
            "# Avg bus bandwidth    : 12.345 \n"
            "# Peak bus bandwidth   : 20.5 GB/s at 1024 B (out-of-place)\n"
            "#\n");
}

TEST(JsonReporter, DocumentParsesBackWithEveryField) {
  TempDir dir;
  const std::string path = dir.file("out.json");
  auto rep = make_json_reporter(path);
  rep->begin(fixed_meta());
  for (const auto& r : fixed_rows()) rep->add(r);
  rep->finish(summary_of(fixed_rows()));

  const nlohmann::json doc = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(doc["schema"], "fabricbench.results/1");
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(doc["meta"], fixed_meta());
  const auto& rows = doc["results"];
  ASSERT_EQ(rows.size(), 5u);  // one per measured variant, in order
  const nlohmann::json first = {{"collective", "all_reduce"},
                                {"bytes", 1048576},
                                {"count", 262144},
                                {"dtype", "float"},
                                {"op", "sum"},
                                {"root", -1},
                                {"in_place", false},
                                {"time_us", 123.456},
                                {"algbw_gbps", 8.49},
                                {"busbw_gbps", 8.49},
                                {"wrong", 0},
                                {"iters", 20},
                                {"time_us_min", 122.456},
                                {"time_us_median", 123.456},
                                {"time_us_mean", 123.706},
                                {"time_us_max", 125.456},
                                {"time_us_p99", 124.956},
                                {"algo", "library"},
                                {"cycle", 0}};
  EXPECT_EQ(rows[0], first);
  EXPECT_EQ(rows[1]["in_place"], true);
  EXPECT_EQ(rows[1]["time_us"], 9.87654);
  EXPECT_TRUE(rows[2]["wrong"].is_null());  // not checked
  EXPECT_EQ(rows[3]["wrong"], 3);
  EXPECT_EQ(rows[4]["bytes"], 0);
  EXPECT_EQ(rows[4]["root"], 3);
  EXPECT_EQ(rows[4]["in_place"], false);
  const auto& s = doc["summary"];
  EXPECT_EQ(s["peak_busbw_gbps"], 1342.2);
  EXPECT_EQ(s["peak_bytes"], 67108864);
  EXPECT_EQ(s["peak_variant"], "in-place");
  EXPECT_EQ(s["wrong_total"], 3);
  EXPECT_EQ(s["out_of_bounds"], 1);
  EXPECT_EQ(s["complete"], true);
  EXPECT_EQ(s["end_time"], "2026-11-25T22:00:00Z");
}

TEST(JsonReporter, IncompleteRunIsStillAValidDocument) {
  TempDir dir;
  const std::string path = dir.file("partial.json");
  auto rep = make_json_reporter(path);
  rep->begin(fixed_meta());
  rep->add(fixed_rows()[0]);
  RunSummary s = summary_of({fixed_rows()[0]});
  s.complete = false;
  rep->finish(s);
  const nlohmann::json doc = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(doc["complete"], false);
  EXPECT_EQ(doc["summary"]["complete"], false);
  EXPECT_EQ(doc["results"].size(), 2u);
}

TEST(JsonReporter, NoRowsAndInvalidUtf8StillParse) {
  TempDir dir;
  const std::string path = dir.file("empty.json");
  auto rep = make_json_reporter(path);
  rep->begin({{"command_line", {"fabricbench", "--json", "bad\xff"}}});
  rep->finish(RunSummary{});
  const nlohmann::json doc = nlohmann::json::parse(read_file(path));
  EXPECT_TRUE(doc["results"].is_array());
  EXPECT_TRUE(doc["results"].empty());
  EXPECT_EQ(doc["meta"]["command_line"][2], "bad\xef\xbf\xbd");  // U+FFFD replacement
}

TEST(JsonReporter, FinishRefusesAFileThatAppearedDuringTheRun) {
  TempDir dir;
  const std::string path = dir.file("taken.json");
  auto rep = make_json_reporter(path);
  rep->begin(fixed_meta());
  std::ofstream(path) << "earlier results";
  try {
    rep->finish(RunSummary{});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "refusing to overwrite existing file " + path);
  }
  EXPECT_EQ(read_file(path), "earlier results");
}

TEST(CsvReporter, HeaderAndRowsMatchTheJsonColumns) {
  TempDir dir;
  const std::string path = dir.file("out.csv");
  auto rep = make_csv_reporter(path);
  rep->begin(fixed_meta());
  for (const auto& r : fixed_rows()) rep->add(r);
  rep->finish(summary_of(fixed_rows()));
  const std::vector<std::string> lines = split_lines(read_file(path));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0],
            "collective,bytes,count,dtype,op,root,in_place,time_us,algbw_gbps,busbw_gbps,wrong,"
            "iters,time_us_min,time_us_median,time_us_mean,time_us_max,time_us_p99,algo,cycle,"
            "complete");
  EXPECT_EQ(lines[1],
            "all_reduce,1048576,262144,float,sum,-1,false,123.456,8.49,8.49,0,20,122.456,123.456,"
            "123.706,125.456,124.956,library,0,true");
  // Not checked: the wrong field is empty.
  EXPECT_EQ(lines[3],
            "all_reduce,67108864,16777216,float,sum,-1,false,12345.6,5.4321,10.8642,,20,12344.6,"
            "12345.6,12345.85,12347.6,12347.1,library,0,true");
  EXPECT_EQ(lines[5],
            "all_reduce,0,0,int8,none,3,false,5.0,0.0,0.0,0,20,4.0,5.0,5.25,7.0,6.5,"
            "library,0,true");
}

TEST(CsvReporter, QuotesFieldsAsRfc4180) {
  TempDir dir;
  const std::string path = dir.file("quoted.csv");
  auto rep = make_csv_reporter(path);
  SizeResult r = fixed_rows()[2];
  r.algo = "ring, \"pipelined\"\nv2";
  rep->add(r);
  rep->finish(RunSummary{});
  const std::string text = read_file(path);
  const std::string expected_row =
      "all_reduce,0,0,int8,none,3,false,5.0,0.0,0.0,0,20,4.0,5.0,5.25,7.0,6.5,"
      "\"ring, \"\"pipelined\"\"\nv2\",0,true\n";
  ASSERT_GE(text.size(), expected_row.size());
  EXPECT_EQ(text.substr(text.size() - expected_row.size()), expected_row);
}

// A run far longer than the reporters' memory buffer: rows spill to an unnamed temp file and
// come back in order, in both files, marked incomplete; nothing but the two outputs is left.
TEST(Reporters, LongInterruptedRunSpillsRowsAndKeepsThemAll) {
  TempDir dir;
  const std::string json_path = dir.file("long.json"), csv_path = dir.file("long.csv");
  auto json = make_json_reporter(json_path);
  auto csv = make_csv_reporter(csv_path);
  json->begin(fixed_meta());
  csv->begin(fixed_meta());
  SizeResult r = fixed_rows()[0];
  r.algo = "quoted, \"line\nbreak\"";  // a record with a line break inside quotes
  const int n = 20000;                 // ~2 x 20000 rows: several MiB of text each
  for (int i = 0; i < n; ++i) {
    r.bytes = static_cast<std::size_t>(i);
    r.cycle = i / 100;
    json->add(r);
    csv->add(r);
  }
  RunSummary s;
  s.complete = false;
  json->finish(s);
  csv->finish(s);
  const std::string json_text = read_file(json_path);
  ASSERT_GT(json_text.size(), 4u << 20);  // larger than the 1 MiB buffer: it did spill
  const nlohmann::json doc = nlohmann::json::parse(json_text);
  EXPECT_EQ(doc["complete"], false);
  ASSERT_EQ(doc["results"].size(), 2u * n);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(doc["results"][2 * i]["bytes"], i);
    ASSERT_EQ(doc["results"][2 * i + 1]["in_place"], true);
  }
  EXPECT_EQ(doc["results"][0]["algo"], r.algo);
  const std::string csv_text = read_file(csv_path);
  // Every record ends in ",false" before its line break; the break inside quotes does not.
  std::size_t records = 0, pos = 0;
  while ((pos = csv_text.find(",false\n", pos)) != std::string::npos) {
    ++records;
    ++pos;
  }
  EXPECT_EQ(records, 2u * n);
  EXPECT_EQ(csv_text.find(",true\n"), std::string::npos);
  EXPECT_NE(csv_text.find("\"quoted, \"\"line\nbreak\"\"\",0,false\n"), std::string::npos);
  EXPECT_EQ(dir.entries().size(), 2u);
}

}  // namespace
}  // namespace fb
