// fabricbench import: nccl-tests logs become results files that calibrate reads, all or nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/cmd_calibrate.h"
#include "harness/cmd_import.h"
#include "harness/results_io.h"

namespace fb {
namespace {

namespace fs = std::filesystem;

const std::string kData = FB_NCCL_TESTS_DATA;
const std::string kLog = kData + "/h100-ib-2n16g-nccltests309-gjaion-default.txt";

struct CmdResult {
  int rc;
  std::string err;
};

CmdResult import(std::vector<std::string> args) {
  args.insert(args.begin(), "import");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = cmd_import(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  (void)::testing::internal::GetCapturedStdout();
  return {rc, ::testing::internal::GetCapturedStderr()};
}

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("fb_import_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n' ? 1 : 0;
  return n;
}

TEST(Import, LogBecomesResultsFileThatCalibrates) {
  const fs::path out = temp_dir("ok");
  const CmdResult r = import({kLog, "--out", out.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string path = (out / "h100-ib-2n16g-nccltests309-gjaion-default.json").string();
  const MeasuredFile f = read_measured_file(path);
  EXPECT_EQ(f.backend, "nccl");
  EXPECT_EQ(f.device, "cuda");
  EXPECT_EQ(f.nranks, 16);
  // 14 sizes (1 MiB .. 8 GiB), out-of-place and in-place each.
  ASSERT_EQ(f.rows.size(), 28u);
  EXPECT_EQ(f.rows.front().bytes, 1048576u);
  EXPECT_EQ(f.rows.back().bytes, 8589934592u);
  const model::Calibration cal = calibrate_files({f});
  ASSERT_EQ(cal.groups.size(), 1u);
  EXPECT_EQ(cal.groups[0].key.backend, "nccl");
  EXPECT_EQ(cal.groups[0].key.nranks, 16);
  fs::remove_all(out);
}

TEST(Import, ExistingOutputRefusedUnlessForce) {
  const fs::path out = temp_dir("force");
  ASSERT_EQ(import({kLog, "--out", out.string()}).rc, 0);
  const CmdResult again = import({kLog, "--out", out.string()});
  EXPECT_EQ(again.rc, 2);
  EXPECT_EQ(lines(again.err), 1) << again.err;
  EXPECT_EQ(import({kLog, "--out", out.string(), "--force"}).rc, 0);
  fs::remove_all(out);
}

TEST(Import, BadLineIsOneErrorAndNothingIsWritten) {
  const fs::path out = temp_dir("bad");
  // A copy of the log whose 5th table row lost its last column.
  std::ifstream in(kLog);
  std::string text, line;
  int row = 0, bad_line = 0, n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line[0] != '#' && ++row == 5) {
      line = line.substr(0, line.find_last_not_of(" 0123456789") + 1);
      bad_line = n;
    }
    text += line + "\n";
  }
  ASSERT_GT(bad_line, 0);
  const fs::path bad = out / "bad.txt";
  std::ofstream(bad) << text;
  // The good log first: all or nothing, so it is not written either.
  const CmdResult r = import({kLog, bad.string(), "--out", out.string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("bad.txt:" + std::to_string(bad_line) + ":"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "h100-ib-2n16g-nccltests309-gjaion-default.json"));
  EXPECT_FALSE(fs::exists(out / "bad.json"));
  fs::remove_all(out);
}

TEST(Import, DescriptorBesideTheLogAndFlags) {
  const fs::path out = temp_dir("desc");
  const fs::path log = out / "run.txt";
  fs::copy_file(kLog, log);
  std::ofstream(out / "run.descriptor.json")
      << R"({"topology_preset": "cluster_1m", "gpus": 16, "fabric_profile": "infiniband_ndr",
             "forced_algo": "ring"})";
  ASSERT_EQ(import({log.string(), "--out", out.string()}).rc, 0);
  const MeasuredFile f = read_measured_file((out / "run.json").string());
  EXPECT_EQ(f.algorithm, "ring");
  EXPECT_EQ(f.meta["descriptor"]["topology_preset"], "cluster_1m");
  // A descriptor that contradicts the log (16 ranks) is refused with one line.
  const CmdResult r = import({log.string(), "--out", out.string(), "--gpus", "32", "--force"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  fs::remove_all(out);
}

TEST(Import, UsageErrors) {
  EXPECT_EQ(import({kLog}).rc, 2);  // --out is required
  const CmdResult r = import({kLog, "--out", "/nonexistent/dir"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  const CmdResult missing =
      import({"/nonexistent/log.txt", "--out", fs::temp_directory_path().string()});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_EQ(lines(missing.err), 1) << missing.err;
}

}  // namespace
}  // namespace fb
