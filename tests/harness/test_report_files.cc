// Output files: atomic writes (whole file or none, no temp file left behind, no silent
// overwrite) and check_output_path's one-line reasons.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/report.h"
#include "tests/harness/report_test_util.h"

namespace fb {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::string& path, const std::string& contents, bool replace) {
  try {
    write_file_atomically(path, contents, replace);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(WriteFileAtomically, WritesWholeFileReadableByAllAndLeavesNoTempFile) {
  TempDir dir;
  const std::string path = dir.file("r.json");
  std::string big(3 << 20, 'x');  // several write() calls' worth
  big.back() = '\n';
  write_file_atomically(path, big);
  EXPECT_EQ(read_file(path), big);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"r.json"});
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(WriteFileAtomically, EmptyContentsGiveAnEmptyFile) {
  TempDir dir;
  write_file_atomically(dir.file("e"), "");
  EXPECT_EQ(read_file(dir.file("e")), "");
  EXPECT_EQ(dir.entries().size(), 1u);
}

TEST(WriteFileAtomically, RefusesAnExistingFileAndKeepsIt) {
  TempDir dir;
  const std::string path = dir.file("old.json");
  std::ofstream(path) << "earlier";
  EXPECT_EQ(error_of(path, "new", false), "refusing to overwrite existing file " + path);
  EXPECT_EQ(read_file(path), "earlier");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"old.json"});
}

TEST(WriteFileAtomically, ReplacesWhenAsked) {
  TempDir dir;
  const std::string path = dir.file("old.json");
  std::ofstream(path) << "earlier";
  EXPECT_EQ(error_of(path, "new", true), "");
  EXPECT_EQ(read_file(path), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"old.json"});
}

TEST(WriteFileAtomically, MissingDirectoryFailsWithoutCreatingAnything) {
  TempDir dir;
  const std::string path = dir.file("nope/r.json");
  const std::string err = error_of(path, "x", false);
  EXPECT_EQ(
      err.rfind("cannot write " + path + ": cannot create a temp file in " + dir.file("nope"), 0),
      0u)
      << err;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(WriteFileAtomically, RefusesToReplaceADirectory) {
  TempDir dir;
  fs::create_directory(dir.file("d"));
  EXPECT_EQ(error_of(dir.file("d"), "x", false),
            "refusing to overwrite existing file " + dir.file("d"));
  // Even when replacing is allowed, rename() cannot put a file over a directory: the temp file
  // must not stay behind.
  EXPECT_NE(error_of(dir.file("d"), "x", true), "");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"d"});
}

TEST(CheckOutputPath, AcceptsANewFileAndLeavesNoProbeBehind) {
  TempDir dir;
  EXPECT_EQ(check_output_path(dir.file("new.json")), "");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(CheckOutputPath, RelativeNameInTheCurrentDirectory) {
  TempDir dir;
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  EXPECT_EQ(check_output_path("plain.json"), "");
  std::ofstream("taken.json") << "x";
  EXPECT_EQ(check_output_path("taken.json"), "refusing to overwrite existing file taken.json");
  fs::current_path(cwd);
}

TEST(CheckOutputPath, OneLineReasonForEachProblem) {
  TempDir dir;
  std::ofstream(dir.file("exists.json")) << "x";
  fs::create_directory(dir.file("sub"));
  std::ofstream(dir.file("plainfile")) << "x";
  EXPECT_EQ(check_output_path(dir.file("exists.json")),
            "refusing to overwrite existing file " + dir.file("exists.json"));
  EXPECT_EQ(check_output_path(dir.file("sub")), dir.file("sub") + " is a directory, not a file");
  EXPECT_EQ(check_output_path(dir.file("sub/")),
            dir.file("sub/") + " is a directory name, not a file name");
  EXPECT_EQ(
      check_output_path(dir.file("missing/r.json")),
      "directory " + dir.file("missing") + " of " + dir.file("missing/r.json") + " does not exist");
  EXPECT_EQ(
      check_output_path(dir.file("plainfile/r.json")),
      dir.file("plainfile") + " (in " + dir.file("plainfile/r.json") + ") is not a directory");
  EXPECT_EQ(check_output_path(""), "empty output file name");
}

TEST(CheckOutputPath, UnwritableDirectory) {
  // A directory no one may create files in: /proc for root (permissions do not stop root), a
  // read-only directory otherwise.
  TempDir dir;
  std::string target = "/proc/fabricbench-results.json";
  std::string parent = "/proc";
  if (geteuid() != 0) {
    parent = dir.file("ro");
    fs::create_directory(parent);
    fs::permissions(parent, fs::perms::owner_read | fs::perms::owner_exec);
    target = parent + "/r.json";
  }
  const std::string err = check_output_path(target);
  EXPECT_EQ(err.rfind("cannot create files in directory " + parent + ": ", 0), 0u) << err;
  if (geteuid() != 0) fs::permissions(parent, fs::perms::owner_all);
}

}  // namespace
}  // namespace fb
