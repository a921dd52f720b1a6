// nccl-tests importer: every public log of the development set (copies under data/nccl_tests),
// corrupted copies of each, a -J JSON file, synthetic logs for prefixes, INFO lines, layouts,
// and the results document calibrate reads.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric_model/calibration.h"
#include "fabric_model/nccl_tests_import.h"

namespace fb::model {
namespace {

std::string here() { return std::filesystem::path(__FILE__).parent_path().string(); }
std::string data_dir() { return here() + "/data/nccl_tests"; }
// The repository is /work/main, the development set /work/shared/nccl-logs.
std::string shared_dir() { return here() + "/../../../shared/nccl-logs"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ModelError text of `f()`, or "" when it did not throw.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

struct LogCase {
  const char* file;
  const char* collective;
  int ranks, servers, gpus_per_server;
  std::size_t rows;
  std::uint64_t first_bytes, last_bytes;
  double last_busbw;  // out-of-place, as printed
  const char* gpu;
  const char* forced_algo;
};

// Values read from the files by hand (the last row's out-of-place busbw column; ranks, servers
// and GPUs per server from the #meta lines, which these logs state instead of device lines).
const LogCase kLogs[] = {
    {"a100-efa-2n16g-p4de-awsome.txt", "all_reduce", 16, 2, 8, 29, 8, 2147483648, 78.33,
     "NVIDIA A100-SXM4-80GB", ""},
    {"a100-ib-hdr-4n8g-nccltests311.txt", "all_reduce", 8, 4, 2, 15, 16, 4294967296, 21.70,
     "NVIDIA A100-SXM4-80GB", ""},
    {"a100-nvswitch-1n8g-thanos-blog.txt", "all_reduce", 8, 1, 8, 30, 8, 4294967296, 232.44,
     "NVIDIA A100-SXM4-80GB", ""},
    {"b200-roce-2n16g-gcp-a4-dstack.txt", "all_reduce", 16, 2, 8, 11, 8388608, 8589934592, 683.52,
     "NVIDIA B200 180GB", ""},
    {"gb200-nvl72-ib-18n72g-coreweave-1rack.txt", "all_reduce", 72, 18, 4, 5, 536870912, 8589934592,
     834.57, "NVIDIA GB200", ""},
    {"h100-ib-2n16g-nccltests290-default.txt", "all_reduce", 16, 2, 8, 11, 8388608, 8589934592,
     155.57, "NVIDIA H100 80GB HBM3", ""},
    {"h100-ib-2n16g-nccltests290-ring.txt", "all_reduce", 16, 2, 8, 11, 8388608, 8589934592, 89.90,
     "NVIDIA H100 80GB HBM3", "ring"},
    {"h100-ib-2n16g-nccltests309-gjaion-default.txt", "all_reduce", 16, 2, 8, 14, 1048576,
     8589934592, 466.73, "NVIDIA H100 80GB HBM3", ""},
    {"h100-ib-2n16g-nccltests319-doca-ring.txt", "all_reduce", 16, 2, 8, 32, 8, 17179869184, 44.27,
     "NVIDIA H100 80GB HBM3", "ring"},
    {"h100-nvswitch-1n8g-p5-awsbatch.txt", "all_reduce", 8, 1, 8, 32, 8, 17179869184, 483.05,
     "NVIDIA H100 80GB HBM3", ""},
    {"h100-slingshot-16n64g-nrel-kestrel.txt", "all_reduce", 64, 16, 4, 30, 8, 4294967296, 45.72,
     "NVIDIA H100 SXM 80GB", ""},
    {"h100-tcpxo-2n16g-gcp-a3mega-dstack-allgather.txt", "all_gather", 16, 2, 8, 11, 8388608,
     8589934592, 188.54, "NVIDIA H100 80GB", ""},
    {"h20-roce-2n4g-alltoall-nccltests321.txt", "alltoall", 4, 2, 2, 13, 1048576, 4294967296, 50.25,
     "NVIDIA H20-3e", ""},
};

void PrintTo(const LogCase& c, std::ostream* os) { *os << c.file; }

// A number as the importer's messages print it (ostream, 6 significant digits).
std::string shortest(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

class NcclTestsImportLog : public ::testing::TestWithParam<LogCase> {
 protected:
  std::string path() const { return data_dir() + "/" + GetParam().file; }
  std::string text() const { return slurp(path()); }
};

TEST_P(NcclTestsImportLog, Imports) {
  const LogCase& c = GetParam();
  const NcclTestsRun run = parse_nccl_tests_log(text(), c.file);
  EXPECT_EQ(run.collective, c.collective);
  EXPECT_EQ(run.ranks, c.ranks);
  EXPECT_EQ(run.servers, c.servers);
  EXPECT_EQ(run.gpus_per_server, c.gpus_per_server);
  EXPECT_EQ(run.gpu_model, c.gpu);
  ASSERT_EQ(run.rows.size(), c.rows);
  EXPECT_EQ(run.rows.front().bytes, c.first_bytes);
  EXPECT_EQ(run.rows.back().bytes, c.last_bytes);
  EXPECT_DOUBLE_EQ(run.rows.back().out_of_place.busbw_gbps, c.last_busbw);
  EXPECT_TRUE(run.rows.back().in_place.present);
  EXPECT_EQ(descriptor_from_run(run).forced_algo, c.forced_algo);
  EXPECT_EQ(descriptor_from_run(run).gpus, c.ranks);
}

// The copy tested above is the development set's file, byte for byte.
TEST_P(NcclTestsImportLog, CopyMatchesSharedDevelopmentSet) {
  const std::string shared = shared_dir() + "/" + GetParam().file;
  if (!std::filesystem::exists(shared))
    GTEST_SKIP() << "no " << shared << " (a clean clone without ../shared): the copy stands in";
  EXPECT_EQ(slurp(shared), text());
}

// Token `k` (0 = size) of the row on line `line` (1-based) replaced by `f(token)`; a launcher
// prefix token ("0:", "[1,0]<stdout>:") is kept.
template <typename F>
std::string edit_row(const std::string& text, int line, F f) {
  std::istringstream in(text);
  std::ostringstream out;
  std::string l;
  for (int n = 1; std::getline(in, l); ++n) {
    if (n == line) {
      std::istringstream ls(l);
      std::vector<std::string> tok;
      for (std::string t; ls >> t;) tok.push_back(t);
      std::string prefix;
      if (!tok.empty() && tok[0].back() == ':') {
        prefix = tok[0] + " ";
        tok.erase(tok.begin());
      }
      f(tok);
      l = prefix;
      for (std::size_t i = 0; i < tok.size(); ++i) l += (i ? "   " : "") + tok[i];
    }
    out << l << "\n";
  }
  return out.str();
}

void expect_one_line_error(const std::string& err, const std::string& file, int line,
                           const std::string& part) {
  EXPECT_EQ(err.rfind(file + ":" + std::to_string(line) + ": ", 0), 0u) << err;
  EXPECT_NE(err.find(part), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

TEST_P(NcclTestsImportLog, CorruptedCopiesNameTheLine) {
  const LogCase& c = GetParam();
  const std::string good = text();
  const NcclTestsRun run = parse_nccl_tests_log(good, c.file);
  const NcclTestsRow& mid = run.rows[run.rows.size() / 2];
  const int line = mid.line;
  auto parse = [&](const std::string& t) {
    return error_of([&] { parse_nccl_tests_log(t, c.file); });
  };
  // A truncated row: cut after the out-of-place busbw.
  expect_one_line_error(parse(edit_row(good, line, [](auto& t) { t.resize(t.size() - 5); })),
                        c.file, line, "row has 8 columns, the header has 13");
  // A missing column (the count).
  expect_one_line_error(parse(edit_row(good, line, [](auto& t) { t.erase(t.begin() + 1); })),
                        c.file, line, "row has 12 columns, the header has 13");
  // A non-numeric time.
  expect_one_line_error(parse(edit_row(good, line, [](auto& t) { t[5] = "12x.5"; })), c.file, line,
                        "out-of-place time '12x.5' is not a number");
  // A size that contradicts count x type: half the count.
  const std::string half = std::to_string(mid.count / 2);
  expect_one_line_error(parse(edit_row(good, line, [&](auto& t) { t[1] = half; })), c.file, line,
                        "does not match count " + half + " x 4 B (float)");
  // A busbw that contradicts size/time: the last row's out-of-place busbw 10% higher.
  const NcclTestsRow& last = run.rows.back();
  char busbw[32];
  std::snprintf(busbw, sizeof busbw, "%.2f", last.out_of_place.busbw_gbps * 1.1);
  expect_one_line_error(parse(edit_row(good, last.line, [&](auto& t) { t[7] = busbw; })), c.file,
                        last.line, "out-of-place busbw " + shortest(std::stod(busbw)) + " GB/s");
}

// The two header lines removed (as two dev-set logs lost them): the layout is inferred from the
// column count and the rows are the same.
TEST_P(NcclTestsImportLog, HeaderLostLayoutInferred) {
  const LogCase& c = GetParam();
  std::istringstream in(text());
  std::string l, stripped;
  while (std::getline(in, l)) {
    if (l.rfind("#meta", 0) == 0) {
      stripped += l + "\n";
      continue;
    }
    if (l.find("size") != std::string::npos && l.find("count") != std::string::npos) continue;
    if (l.find("(B)") != std::string::npos) continue;
    stripped += l + "\n";
  }
  const NcclTestsRun run = parse_nccl_tests_log(stripped, c.file);
  EXPECT_TRUE(run.header_inferred);
  ASSERT_EQ(run.rows.size(), c.rows);
  EXPECT_DOUBLE_EQ(run.rows.back().out_of_place.busbw_gbps, c.last_busbw);
  ASSERT_FALSE(run.notes.empty());
  EXPECT_NE(run.notes.front().find("no header line: layout of 13 columns inferred"),
            std::string::npos);
}

TEST_P(NcclTestsImportLog, ResultsDocumentHasWhatCalibrateReads) {
  const LogCase& c = GetParam();
  const NcclTestsRun run = parse_nccl_tests_log(text(), c.file);
  const nlohmann::json doc = to_results_json(run, descriptor_from_run(run));
  // The fields harness/results_io.cc parse_results_json requires, with their types.
  EXPECT_EQ(doc["schema"], "fabricbench.results/1");
  const auto& meta = doc["meta"];
  EXPECT_EQ(meta["backend"], "nccl");
  EXPECT_EQ(meta["device"], "cuda");
  EXPECT_EQ(meta["imported"], true);
  EXPECT_EQ(meta["origin"], c.file);
  EXPECT_EQ(meta["nranks"], c.ranks);
  EXPECT_EQ(meta["servers"], c.servers);
  EXPECT_EQ(meta["gpus_per_server"], c.gpus_per_server);
  EXPECT_EQ(meta["gpu_model"], c.gpu);
  EXPECT_TRUE(meta["machine"]["hostname"].is_string());
  ASSERT_EQ(doc["results"].size(), 2 * c.rows);
  for (const auto& r : doc["results"]) {
    EXPECT_EQ(r["collective"], c.collective);
    EXPECT_TRUE(r["bytes"].is_number_unsigned());
    EXPECT_TRUE(r["dtype"].is_string());
    EXPECT_TRUE(r["in_place"].is_boolean());
    EXPECT_TRUE(r["time_us"].is_number());
    EXPECT_TRUE(r["algbw_gbps"].is_number());
    EXPECT_TRUE(r["busbw_gbps"].is_number());
    EXPECT_TRUE(r.contains("wrong"));
  }
  const auto& last = doc["results"][2 * c.rows - 2];
  EXPECT_EQ(last["bytes"], c.last_bytes);
  EXPECT_EQ(last["in_place"], false);
  EXPECT_DOUBLE_EQ(last["busbw_gbps"].get<double>(), c.last_busbw);
}

INSTANTIATE_TEST_SUITE_P(DevSet, NcclTestsImportLog, ::testing::ValuesIn(kLogs),
                         [](const ::testing::TestParamInfo<LogCase>& i) {
                           std::string n = i.param.file;
                           n = n.substr(0, n.size() - 4);
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// ---- synthetic logs --------------------------------------------------------------------------

// Open MPI --tag-output prefixes, NCCL INFO/WARN lines between the rows, the version lines, the
// parameter line, device lines on two hosts, a stderr line and the footer.
const char* kTaggedLog =
    "[1,0]<stdout>:# nccl-tests version 2.17.1 nccl-headers=22703 nccl-library=22703\n"
    "[1,0]<stdout>:# Collective test starting: all_reduce_perf\n"
    "[1,0]<stdout>:# nThread 1 nGpus 1 minBytes 8 maxBytes 1048576 step: 2(factor) warmup "
    "iters: 5 iters: 20 agg iters: 1 validation: 1 graph: 0 unalign: 0\n"
    "[1,0]<stdout>:#\n"
    "[1,0]<stdout>:# Using devices\n"
    "[1,0]<stdout>:#  Rank  0 Group  0 Pid   6899 on     hostA device  0 [0000:18:00] NVIDIA "
    "H100 80GB HBM3\n"
    "[1,0]<stdout>:#  Rank  1 Group  0 Pid   6900 on     hostA device  1 [0000:2a:00] NVIDIA "
    "H100 80GB HBM3\n"
    "[1,0]<stdout>:#  Rank  2 Group  0 Pid   6733 on     hostB device  0 [0000:18:00] NVIDIA "
    "H100 80GB HBM3\n"
    "[1,0]<stdout>:#  Rank  3 Group  0 Pid   6734 on     hostB device  1 [0000:2a:00] NVIDIA "
    "H100 80GB HBM3\n"
    "[1,2]<stderr>:Warning: Permanently added 'hostB' to the list of known hosts.\n"
    "hostA:6899:6899 [0] NCCL INFO Bootstrap : Using eth0:10.0.0.1<0>\n"
    "hostA:6899:6899 [0] NCCL INFO NCCL_ALGO set by environment to Tree\n"
    "hostA:6899:6899 [0] NCCL INFO NCCL version 2.27.3+cuda12.9\n"
    "[1,0]<stdout>:#\n"
    "[1,0]<stdout>:#                                                              out-of-place  "
    "                     in-place          \n"
    "[1,0]<stdout>:#       size         count      type   redop    root     time   algbw   "
    "busbw #wrong     time   algbw   busbw #wrong\n"
    "[1,0]<stdout>:#        (B)    (elements)                               (us)  (GB/s)  "
    "(GB/s)            (us)  (GB/s)  (GB/s)       \n"
    "[1,0]<stdout>:           8             2     float     sum      -1    20.50    0.00    "
    "0.00      0    20.25    0.00    0.00      0\n"
    "hostB:6733:6790 [0] NCCL WARN NET/IB : Got async event : port error\n"
    "[1,0]<stdout>:     1048576        262144     float     sum      -1    52.61   19.93   "
    "29.90      0    53.03   19.77   29.66      0\n"
    "[1,0]<stdout>:# Out of bounds values : 0 OK\n"
    "[1,0]<stdout>:# Avg bus bandwidth    : 14.89 \n"
    "[1,0]<stdout>:#\n"
    "[1,0]<stdout>:# Collective test concluded: all_reduce_perf\n";

TEST(NcclTestsImport, TaggedLogWithInfoLinesAndDevices) {
  const NcclTestsRun run = parse_nccl_tests_log(kTaggedLog, "tagged.log");
  EXPECT_EQ(run.collective, "all_reduce");
  EXPECT_EQ(run.collective_source, "'# Collective test starting' line 2");
  EXPECT_EQ(run.nccl_tests_version, "2.17.1");
  // nccl-library=22703 -> 2.27.3 (the INFO line's "2.27.3+cuda12.9" comes later, first wins).
  EXPECT_EQ(run.nccl_version, "2.27.3");
  EXPECT_EQ(run.parameters.at("nThread"), "1");
  EXPECT_EQ(run.parameters.at("maxBytes"), "1048576");
  EXPECT_EQ(run.parameters.at("step"), "2(factor)");
  EXPECT_EQ(run.parameters.at("warmup iters"), "5");
  EXPECT_EQ(run.parameters.at("iters"), "20");
  EXPECT_EQ(run.parameters.at("agg iters"), "1");
  EXPECT_EQ(run.parameters.at("validation"), "1");
  EXPECT_EQ(run.parameters.at("unalign"), "0");
  ASSERT_EQ(run.devices.size(), 4u);
  EXPECT_EQ(run.devices[2].host, "hostB");
  EXPECT_EQ(run.devices[2].pid, 6733);
  EXPECT_EQ(run.devices[3].bus_id, "0000:2a:00");
  EXPECT_EQ(run.ranks, 4);
  EXPECT_EQ(run.ranks_source, "device lines");
  EXPECT_EQ(run.hosts, (std::vector<std::string>{"hostA", "hostB"}));
  EXPECT_EQ(run.servers, 2);
  EXPECT_EQ(run.gpus_per_server, 2);
  EXPECT_EQ(run.gpu_model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(run.env.at("NCCL_ALGO"), "Tree");
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[1].line, 20);
  EXPECT_DOUBLE_EQ(run.rows[1].out_of_place.time_us, 52.61);
  EXPECT_DOUBLE_EQ(run.rows[1].in_place.busbw_gbps, 29.66);
  EXPECT_EQ(run.rows[1].out_of_place.wrong, 0.0);
  ASSERT_TRUE(run.avg_busbw_gbps.has_value());
  EXPECT_DOUBLE_EQ(*run.avg_busbw_gbps, 14.89);
  EXPECT_EQ(run.out_of_bounds, 0);
  EXPECT_EQ(descriptor_from_run(run).forced_algo, "tree");

  const nlohmann::json doc = to_results_json(run, descriptor_from_run(run));
  EXPECT_EQ(doc["meta"]["algorithm"], "tree");
  EXPECT_EQ(doc["meta"]["machine"]["hostname"], "hostA,hostB");
  EXPECT_EQ(doc["meta"]["nccl_tests"]["parameters"]["iters"], "20");
  EXPECT_EQ(doc["meta"]["ranks"][2]["host"], "hostB");
  EXPECT_EQ(doc["results"][2]["iters"], 20);
  EXPECT_EQ(doc["results"][2]["source_line"], 20);
  EXPECT_EQ(doc["summary"]["avg_busbw_gbps"], 14.89);
}

// A text line that is not a row inside the table is refused (after rows began).
TEST(NcclTestsImport, UnreadableLineInsideTable) {
  std::string log = kTaggedLog;
  const std::string row2 = "[1,0]<stdout>:     1048576";
  log.insert(log.find(row2), "[1,0]<stdout>:Segmentation fault (core dumped)\n");
  const std::string err = error_of([&] { parse_nccl_tests_log(log, "tagged.log"); });
  expect_one_line_error(err, "tagged.log", 20, "cannot read 'Segmentation fault");
}

// Garbage never crashes: huge numbers, a long line inside the table, binary bytes.
TEST(NcclTestsImport, HostileInputIsOneLine) {
  const std::string row =
      "     1048576        262144     float     sum      -1    52.61   19.93   34.88      0    "
      "53.03   19.77   34.60      0\n";
  expect_one_line_error(error_of([&] {
                          parse_nccl_tests_log(
                              "#  Rank 99999999999 Group 0 Pid 1 on h device 0 [0] G\n" + row,
                              "big.log");
                        }),
                        "big.log", 1, "device line rank out of range");
  expect_one_line_error(
      error_of([&] { parse_nccl_tests_log(row + std::string(100000, '7') + "\n", "long.log"); }),
      "long.log", 2, "line of 100000 characters inside the table");
  expect_one_line_error(error_of([&] {
                          parse_nccl_tests_log(
                              "99999999999999999999999 1 float sum -1 1 0 0 0 1 "
                              "0 0 0\n",
                              "u.log");
                        }),
                        "u.log", 1, "size out of range");
  const std::string bin("\x01\xff\x00\x80 12\n", 8);
  EXPECT_NE(error_of([&] { parse_nccl_tests_log(bin, "bin.log"); }), "");
}

// srun -l (" 0: ", "12: ") and pdsh ("host: ") prefixes.
TEST(NcclTestsImport, SrunAndPdshPrefixes) {
  const std::string log =
      "node1: # Collective test starting: all_reduce_perf\n"
      " 0: #       size         count      type   redop    root     time   algbw   busbw #wrong"
      "     time   algbw   busbw #wrong\n"
      "12: node7:1234:1234 [3] NCCL INFO comm 0x5 rank 12 nRanks 16 - Init COMPLETE\n"
      " 0:     1048576        262144     float     sum      -1    52.61   19.93   19.93      0"
      "    53.03   19.77   19.77      0\n"
      "node1:     2097152        524288     float     sum      -1    59.30   35.37   35.37     "
      " 0    71.33   29.40   29.40      0\n";
  const NcclTestsRun run = parse_nccl_tests_log(log, "srun.log");
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[1].bytes, 2097152u);
  EXPECT_EQ(run.rows[1].line, 5);
  EXPECT_EQ(run.collective, "all_reduce");
  EXPECT_EQ(run.ranks, 0);  // no device lines, no #meta: busbw unchecked, algbw checked
}

// -c 0 prints N/A in #wrong: no check count, written as null.
TEST(NcclTestsImport, NotApplicableWrongCounts) {
  const NcclTestsRun run =
      parse_nccl_tests_log(slurp(data_dir() + "/h100-ib-2n16g-nccltests290-default.txt"), "290");
  for (const auto& r : run.rows) {
    EXPECT_FALSE(r.out_of_place.wrong.has_value());
    EXPECT_FALSE(r.in_place.wrong.has_value());
  }
  const nlohmann::json doc = to_results_json(run, descriptor_from_run(run));
  EXPECT_TRUE(doc["results"][0]["wrong"].is_null());
  EXPECT_TRUE(doc["summary"]["avg_busbw_gbps"].is_null());  // no footer in this log
  // alltoall: out-of-place counted, in-place N/A (nccl-tests does not check in-place alltoall).
  const NcclTestsRun a2a =
      parse_nccl_tests_log(slurp(data_dir() + "/h20-roce-2n4g-alltoall-nccltests321.txt"), "h20");
  EXPECT_EQ(a2a.rows[0].out_of_place.wrong, 0.0);
  EXPECT_FALSE(a2a.rows[0].in_place.wrong.has_value());
}

// Rooted collective, current layout (redop "none", root 0) and the old one (root, no redop).
TEST(NcclTestsImport, BroadcastLayouts) {
  // 4 ranks: size = count x 4 B; bus factor 1, so busbw = algbw.
  const std::string now =
      "# Collective test starting: broadcast_perf\n"
      "#  Rank  0 Group  0 Pid 1 on h device  0 [0x18] NVIDIA A100-SXM4-80GB\n"
      "#  Rank  1 Group  0 Pid 2 on h device  1 [0x19] NVIDIA A100-SXM4-80GB\n"
      "#  Rank  2 Group  0 Pid 3 on h device  2 [0x1a] NVIDIA A100-SXM4-80GB\n"
      "#  Rank  3 Group  0 Pid 4 on h device  3 [0x1b] NVIDIA A100-SXM4-80GB\n"
      "#       size         count      type   redop    root     time   algbw   busbw #wrong     "
      "time   algbw   busbw #wrong\n"
      "     4194304       1048576     float    none       0    103.8   40.41   40.41      0    "
      "102.8   40.80   40.80      0\n";
  const NcclTestsRun a = parse_nccl_tests_log(now, "bcast.log");
  EXPECT_EQ(a.collective, "broadcast");
  EXPECT_EQ(a.ranks, 4);
  EXPECT_EQ(a.rows[0].root, 0);
  EXPECT_EQ(a.rows[0].redop, "none");
  // Old nccl-tests: "size count type root time algbw busbw error ..." (no redop column).
  const std::string old =
      "# Collective test starting: broadcast_perf\n"
      "NCCL version 2.4.8+cuda10.1\n"
      "#   Rank  0 Pid  12345 on   oldhost device  0 [0x07] Tesla V100-SXM2-16GB\n"
      "#       size         count    type    root     time   algbw   busbw  error     time   "
      "algbw   busbw  error\n"
      "     4194304       1048576   float       2    103.8   40.41   40.41  0e+00    102.8   "
      "40.80   40.80  0e+00\n";
  const NcclTestsRun b = parse_nccl_tests_log(old, "old.log");
  EXPECT_EQ(b.collective, "broadcast");
  EXPECT_EQ(b.rows[0].root, 2);
  EXPECT_EQ(b.rows[0].redop, "none");
  EXPECT_EQ(b.rows[0].in_place.wrong, 0.0);
  EXPECT_EQ(b.columns[3], "root");
  EXPECT_EQ(b.nccl_version, "2.4.8+cuda10.1");
  ASSERT_EQ(b.devices.size(), 1u);  // an old device line: no Group field
  EXPECT_EQ(b.devices[0].host, "oldhost");
  EXPECT_EQ(b.devices[0].name, "Tesla V100-SXM2-16GB");
  EXPECT_EQ(b.ranks, 1);
  // A broadcast whose busbw is 1.75 x algbw is refused once ranks are known (bus factor 1).
  std::string bad = now;
  bad.replace(bad.find("40.41      0"), 5, "70.72");
  expect_one_line_error(error_of([&] { parse_nccl_tests_log(bad, "bcast.log"); }), "bcast.log", 7,
                        "busbw 70.72 GB/s contradicts algbw 40.41 GB/s x broadcast bus factor 1");
}

// Old all_gather layout (no redop, no root): size = count x 4 B x ranks, so the rank count
// comes from the columns when nothing else says it.
TEST(NcclTestsImport, AllGatherLayoutAndRanksFromSize) {
  // 8 ranks: 1048576 B = 32768 x 4 B x 8; algbw 1048576 / 40.97 / 1e3 = 25.59;
  // busbw 25.5937 x 7/8 = 22.3945, printed 22.39.
  const std::string log =
      "# Collective test starting: all_gather_perf\n"
      "#       size         count    type     time   algbw   busbw  error     time   algbw   "
      "busbw  error\n"
      "     1048576         32768   float    40.97   25.59   22.39  0e+00    41.18   25.46   "
      "22.28  0e+00\n";
  const NcclTestsRun run = parse_nccl_tests_log(log, "ag.log");
  EXPECT_EQ(run.collective, "all_gather");
  EXPECT_EQ(run.ranks, 8);
  EXPECT_EQ(run.ranks_source, "size / (count x type) of line 3");
  EXPECT_EQ(run.rows[0].redop, "none");
  EXPECT_EQ(run.rows[0].root, -1);
  EXPECT_EQ(run.columns.size(), 11u);
  // The same row claiming 16 ranks in its meta: the size contradicts count x 4 B x 16.
  expect_one_line_error(
      error_of([&] { parse_nccl_tests_log(log + "#meta total_ranks: 16\n", "ag.log"); }), "ag.log",
      3,
      "size 1048576 B does not match count 32768 x 4 B (float) x 16 ranks = 2097152 B of "
      "all_gather");
}

// busbw within the rounding of the printed digits: all_reduce, 8 ranks, 1048576 B in 52.61 us.
// time in [52.605, 52.615] -> algbw in [19.92924, 19.93303], within 19.93 +- 0.005; busbw =
// 1.75 x algbw in [34.87617, 34.88280], +- 0.005 printed: [34.87117, 34.88780].
TEST(NcclTestsImport, BusbwCheckedWithinPrintRounding) {
  auto log = [](const char* busbw) {
    return std::string("#meta collective: all_reduce_perf\n#meta total_ranks: 8\n") +
           "     1048576        262144     float     sum      -1    52.61   19.93   " + busbw +
           "      0    53.03   19.77   34.60      0\n";
  };
  EXPECT_NO_THROW(parse_nccl_tests_log(log("34.88"), "r.log"));
  // 34.87 is below 34.87117: no time that prints as 52.61 gives it.
  expect_one_line_error(error_of([&] { parse_nccl_tests_log(log("34.87"), "r.log"); }), "r.log", 3,
                        "out-of-place busbw 34.87 GB/s contradicts algbw 19.93 GB/s x "
                        "all_reduce bus factor 1.75 at 8 ranks");
  EXPECT_NE(error_of([&] { parse_nccl_tests_log(log("34.89"), "r.log"); }), "");
  // algbw against bytes/time: 19.95 is outside [19.92924, 19.93303] +- 0.005.
  std::string bad_alg = log("34.88");
  bad_alg.replace(bad_alg.find("19.93"), 5, "19.95");
  expect_one_line_error(error_of([&] { parse_nccl_tests_log(bad_alg, "r.log"); }), "r.log", 3,
                        "out-of-place algbw 19.95 GB/s contradicts 1048576 B in 52.61 us");
}

TEST(NcclTestsImport, EmptyTableAndBadHeader) {
  expect_one_line_error(
      error_of([] { parse_nccl_tests_log("#meta x: y\n# nThread 1 nGpus 1\n\n", "e.log"); }),
      "e.log", 3, "no nccl-tests table rows in 3 lines");
  expect_one_line_error(
      error_of([] { parse_nccl_tests_log("#  size count type redop root foo\n", "h.log"); }),
      "h.log", 1, "header has no 'time' column");
  expect_one_line_error(
      error_of([] { parse_nccl_tests_log("#  Rank zero on nowhere\n", "d.log"); }), "d.log", 1,
      "unreadable device line");
  // 10 columns and no header: no nccl-tests layout.
  expect_one_line_error(
      error_of([] { parse_nccl_tests_log("8 2 float sum -1 1.0 0.00 0.00 0 1.0\n", "n.log"); }),
      "n.log", 1, "10 columns match no nccl-tests layout");
}

// Nothing names the collective: the columns say all_reduce (size = count x type, a redop, no
// root); for all_gather they cannot tell it from alltoall, and no results file is written.
TEST(NcclTestsImport, CollectiveFromColumns) {
  const std::string row =
      "     1048576        262144     float     sum      -1    52.61   19.93   34.88      0    "
      "53.03   19.77   34.60      0\n";
  const NcclTestsRun ar = parse_nccl_tests_log(row, "ar.log");
  EXPECT_EQ(ar.collective, "all_reduce");
  EXPECT_EQ(ar.collective_source, "columns (size/count ratio 1, redop sum, root -1)");
  EXPECT_EQ(ar.ranks, 0);  // busbw unchecked
  EXPECT_NE(error_of([&] { to_results_json(ar, {}); }).find("rank count unknown"),
            std::string::npos);
  const std::string ag =
      "     1048576         32768     float    none      -1    40.97   25.59   22.39      0    "
      "41.18   25.46   22.28      0\n";
  const NcclTestsRun g = parse_nccl_tests_log(ag, "ag.log");
  EXPECT_EQ(g.collective, "");
  EXPECT_NE(error_of([&] { to_results_json(g, {}); }).find("all_gather or alltoall"),
            std::string::npos);
}

// ---- nccl-tests -J JSON ----------------------------------------------------------------------

TEST(NcclTestsImport, JsonFile) {
  const std::string path = data_dir() + "/all_reduce_2n4g_ring.json";
  const NcclTestsRun run = parse_nccl_tests_any(slurp(path), "ring.json");
  EXPECT_EQ(run.format, "nccl-tests-json");
  EXPECT_EQ(run.collective, "all_reduce");
  EXPECT_EQ(run.collective_source, "JSON args[0]");
  EXPECT_EQ(run.nccl_version, "2.21.5");  // nccl_version 22105
  EXPECT_EQ(run.ranks, 4);
  EXPECT_EQ(run.hosts, (std::vector<std::string>{"nodeA", "nodeB"}));
  EXPECT_EQ(run.servers, 2);
  EXPECT_EQ(run.gpus_per_server, 2);
  EXPECT_EQ(run.gpu_model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(run.parameters.at("iterations"), "20");
  EXPECT_EQ(run.parameters.at("step_factor"), "128");
  EXPECT_EQ(run.env.count("PATH"), 0u);
  EXPECT_EQ(run.env.at("NCCL_IB_HCA"), "mlx5_0,mlx5_1");
  ASSERT_EQ(run.rows.size(), 3u);
  EXPECT_EQ(run.rows[2].bytes, 67108864u);
  EXPECT_EQ(run.rows[2].count, 16777216u);
  EXPECT_EQ(run.rows[2].root, -1);
  EXPECT_DOUBLE_EQ(run.rows[2].out_of_place.time_us, 1520.25);
  EXPECT_DOUBLE_EQ(run.rows[2].out_of_place.busbw_gbps, 66.214962);
  EXPECT_DOUBLE_EQ(run.rows[2].in_place.algbw_gbps, 44.186906);
  EXPECT_EQ(run.rows[2].in_place.wrong, 0.0);
  EXPECT_DOUBLE_EQ(*run.avg_busbw_gbps, 27.314729);
  const ImportDescriptor d = descriptor_from_run(run);
  EXPECT_EQ(d.forced_algo, "ring");
  EXPECT_EQ(d.forced_proto, "simple");
  EXPECT_EQ(d.gpus, 4);
  const nlohmann::json doc = to_results_json(run, d);
  EXPECT_EQ(doc["meta"]["algorithm"], "ring");
  EXPECT_EQ(doc["meta"]["nccl_tests"]["command_line"][0], "/opt/nccl-tests/build/all_reduce_perf");
  EXPECT_EQ(doc["results"].size(), 6u);
  EXPECT_EQ(doc["results"][5]["iters"], 20);
}

TEST(NcclTestsImport, JsonErrors) {
  const std::string good = slurp(data_dir() + "/all_reduce_2n4g_ring.json");
  // Truncated (the run died before jsonOutputFinalize): nccl-tests writes one line.
  const std::string trunc = good.substr(0, good.size() / 2);
  const std::string e1 = error_of([&] { parse_nccl_tests_any(trunc, "t.json"); });
  EXPECT_EQ(e1.rfind("t.json:1: truncated or not valid JSON (byte ", 0), 0u) << e1;
  // A NaN time is written as the string "nan".
  std::string nan = good;
  nan.replace(nan.find("\"time\":100.000000"), 17, "\"time\":\"nan\"");
  EXPECT_EQ(error_of([&] { parse_nccl_tests_any(nan, "n.json"); }),
            "n.json: results[1].out_of_place: 'time' is \"nan\", not a number");
  // busbw contradicting algbw x 2(n-1)/n.
  std::string bus = good;
  bus.replace(bus.find("\"bus_bw\":15.728640"), 18, "\"bus_bw\":15.738640");
  EXPECT_EQ(error_of([&] {
              parse_nccl_tests_any(bus, "b.json");
            }).rfind("b.json: results[1]: out-of-place busbw 15.7386 GB/s contradicts", 0),
            0u);
  // A device field of the wrong type.
  std::string dev = good;
  dev.replace(dev.find("\"group\":0"), 9, "\"group\":\"x\"");
  EXPECT_EQ(error_of([&] {
              parse_nccl_tests_any(dev, "g.json");
            }).rfind("g.json: a field has the wrong type (", 0),
            0u);
  // Not an nccl-tests file.
  EXPECT_EQ(error_of([] { parse_nccl_tests_any("{\"schema\": \"x\"}", "x.json"); }),
            "x.json: no integer 'version' (not an nccl-tests -J file)");
}

// ---- descriptor ------------------------------------------------------------------------------

TEST(NcclTestsImport, Descriptor) {
  const ImportDescriptor d =
      parse_import_descriptor(nlohmann::json::parse(R"({"topology_preset": "hgx_h100", "gpus": 16,
                                "fabric_profile": "infiniband_ndr", "forced_algo": "ring"})"),
                              "d.json");
  EXPECT_EQ(d.topology_preset, "hgx_h100");
  EXPECT_EQ(d.gpus, 16);
  EXPECT_EQ(d.fabric_profile, "infiniband_ndr");
  EXPECT_EQ(d.forced_algo, "ring");
  EXPECT_EQ(to_json(d)["gpus"], 16);
  EXPECT_EQ(error_of([] {
              parse_import_descriptor(nlohmann::json::parse(R"({"gpu_count": 8})"), "d.json");
            }),
            "d.json: unknown key 'gpu_count'");
  EXPECT_NE(error_of([] {
              parse_import_descriptor(nlohmann::json::parse(R"({"forced_algo": "Ring"})"), "d");
            }).find("not one of ring, tree"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_import_descriptor(nlohmann::json::parse(R"({"gpus": 0})"), "d"); }),
            "");

  EXPECT_EQ(forced_algo_from_env("RING"), "ring");
  EXPECT_EQ(forced_algo_from_env("Tree"), "tree");
  EXPECT_EQ(forced_algo_from_env("NVLS"), "nvls");
  EXPECT_EQ(forced_algo_from_env("NVLSTree"), "nvls_tree");
  EXPECT_EQ(forced_algo_from_env("CollnetDirect"), "collnet_direct");
  EXPECT_EQ(forced_algo_from_env("Tree,Ring"), "");  // a list forces nothing
  EXPECT_EQ(forced_algo_from_env("^NVLS"), "");      // an exclusion neither
  EXPECT_EQ(forced_proto_from_env("LL128"), "ll128");
  EXPECT_EQ(forced_proto_from_env("Simple"), "simple");

  // Filled from the run; contradictions refused.
  const NcclTestsRun run =
      parse_nccl_tests_log(slurp(data_dir() + "/h100-ib-2n16g-nccltests290-ring.txt"), "290-ring");
  ImportDescriptor given;
  given.topology_preset = "hgx_h100";
  const ImportDescriptor r = resolve_descriptor(run, given);
  EXPECT_EQ(r.topology_preset, "hgx_h100");
  EXPECT_EQ(r.gpus, 16);
  EXPECT_EQ(r.forced_algo, "ring");
  given.gpus = 8;
  EXPECT_EQ(error_of([&] { resolve_descriptor(run, given); }),
            "290-ring: descriptor says 8 GPUs, the log 16 ranks (#meta total_ranks)");
  given.gpus = 0;
  given.forced_algo = "tree";
  EXPECT_EQ(error_of([&] { resolve_descriptor(run, given); }),
            "290-ring: descriptor forces tree, the log's NCCL_ALGO ring");
}

// The imported rows feed the fit calibrate runs (calibrate_group) like fabricbench's own rows.
TEST(NcclTestsImport, ImportedRowsCalibrate) {
  const NcclTestsRun run =
      parse_nccl_tests_log(slurp(data_dir() + "/h100-nvswitch-1n8g-p5-awsbatch.txt"), "p5");
  const nlohmann::json doc = to_results_json(run, descriptor_from_run(run));
  const auto& m = doc["meta"];
  CalibrationKey key{m["backend"].get<std::string>(),
                     m["algorithm"].get<std::string>(),
                     m["device"].get<std::string>(),
                     "all_reduce",
                     "float",
                     "sum",
                     m["machine"]["hostname"].get<std::string>(),
                     m["nranks"].get<int>()};
  std::vector<CalibrationSample> samples;
  for (const auto& r : doc["results"])
    samples.push_back({r["bytes"].get<double>(), r["time_us"].get<double>()});
  const GroupFit fit = calibrate_group(key, samples);
  ASSERT_EQ(fit.points.size(), 32u);
  EXPECT_EQ(fit.samples, 64);
  EXPECT_DOUBLE_EQ(fit.bus_factor, 1.75);  // 2 x 7 / 8
  EXPECT_EQ(key.label().find("nccl/library/cuda all_reduce"), 0u);
}

}  // namespace
}  // namespace fb::model
