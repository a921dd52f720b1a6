// fabricbench validate: the dev-set logs against the model, files written, bad input refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cmd_validate.h"

namespace fb {
namespace {

namespace fs = std::filesystem;

const std::string kData = FB_NCCL_TESTS_DATA;

struct CmdResult {
  int rc;
  std::string out, err;
};

CmdResult validate(std::vector<std::string> args) {
  args.insert(args.begin(), "validate");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = cmd_validate(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  const std::string out = ::testing::internal::GetCapturedStdout();
  return {rc, out, ::testing::internal::GetCapturedStderr()};
}

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("fb_validate_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Validate, DevSetWritesTableAndJson) {
  std::vector<std::string> args;
  for (const auto& e : fs::directory_iterator(kData))
    if (e.path().extension() == ".txt") args.push_back(e.path().string());
  ASSERT_EQ(args.size(), 13u);
  const fs::path out = temp_dir("dev");
  args.insert(args.end(), {"--out", out.string(), "--no-plots", "--analytic"});
  const CmdResult r = validate(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string md = slurp(out / "tables" / "validation.md");
  EXPECT_EQ(md.rfind("# Validation: the model against real nccl-tests runs", 0), 0u);
  EXPECT_NE(md.find("no profile for this fabric (AWS EFA"), std::string::npos);
  EXPECT_NE(md.find("| PROBLEM |"), std::string::npos);
  const auto j = nlohmann::json::parse(slurp(out / "tables" / "validation.json"));
  EXPECT_EQ(j["schema"], "fabricbench.validation/1");
  EXPECT_EQ(j["logs"].size(), 13u);
  EXPECT_EQ(j["headline"]["logs"], 5);
  EXPECT_NE(r.out.find("# validation: 8 logs predicted of 13"), std::string::npos) << r.out;
}

TEST(Validate, BadInputIsOneLineAndNothingWritten) {
  const fs::path out = temp_dir("bad");
  const fs::path bad = out / "bad.txt";
  std::ofstream(bad) << "#  Rank  0 Group  0 Pid 1 on h device  0 [0x1] NVIDIA H100\n"
                        "   1048576  262144  float  sum  -1  12.0  87.38  87.38  0  12.0\n";
  const CmdResult r = validate({bad.string(), "--out", out.string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("fabricbench validate: " + bad.string() + ":", 0), 0u) << r.err;
  EXPECT_FALSE(fs::exists(out / "tables"));
  const CmdResult missing = validate({(out / "none.txt").string()});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.err.find("none.txt"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace fb
