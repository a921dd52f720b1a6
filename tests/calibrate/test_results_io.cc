// Results reader: the fixtures are read exactly; bad files give one line naming file and field.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "harness/results_io.h"

namespace fb {
namespace {

const std::string kData = FB_CALIBRATE_DATA;

std::string error_of(const std::string& path) {
  try {
    read_measured_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ResultsIo, ReadsFabricbenchJson) {
  const MeasuredFile f = read_measured_file(kData + "/mpi_np2_run1.json");
  EXPECT_EQ(f.format, "fabricbench.results/1");
  EXPECT_EQ(f.backend, "mpi");
  EXPECT_EQ(f.algorithm, "library");
  EXPECT_EQ(f.device, "cpu");
  EXPECT_EQ(f.nranks, 2);
  EXPECT_EQ(f.machine, "boxa (Test CPU, 2 cores)");
  ASSERT_EQ(f.rows.size(), 14u);  // 7 sizes x 2 variants
  EXPECT_EQ(f.rows[0].bytes, 1024u);
  EXPECT_FALSE(f.rows[0].in_place);
  EXPECT_TRUE(f.rows[1].in_place);
  EXPECT_DOUBLE_EQ(f.rows[0].time_us, 10.512);
  EXPECT_EQ(f.rows[0].wrong, 0);
  EXPECT_EQ(f.roofline_gbps, 0);
}

TEST(ResultsIo, KeepHeapRunIsItsOwnConfiguration) {
  nlohmann::json j = parse_json_text(read_text(kData + "/mpi_np2_run1.json"), "x");
  j["meta"]["sweep"]["keep_heap"] = true;
  const MeasuredFile f = parse_results_json(j, "x");
  EXPECT_EQ(f.algorithm, "library+keep-heap");
  ASSERT_FALSE(f.rows.empty());
  for (const MeasuredRow& r : f.rows) EXPECT_EQ(r.algo, "library+keep-heap");
  j["meta"]["sweep"]["keep_heap"] = false;
  EXPECT_EQ(parse_results_json(j, "x").algorithm, "library");
}

TEST(ResultsIo, BadFilesGiveOneClearLine) {
  EXPECT_EQ(error_of(kData + "/bad_schema.json"),
            kData + "/bad_schema.json: schema 'nccl-tests/1' is not fabricbench.results/1");
  EXPECT_EQ(error_of(kData + "/missing_field.json"),
            kData + "/missing_field.json: missing field 'busbw_gbps' in results[1]");
  EXPECT_NE(error_of(kData + "/truncated.json").find("truncated or not valid JSON"),
            std::string::npos);
  EXPECT_EQ(error_of(kData + "/nope.json").rfind(kData + "/nope.json: cannot read (", 0), 0u);
}

TEST(ResultsIo, JsonValidation) {
  const nlohmann::json ok = parse_json_text(read_text(kData + "/mpi_np2_run1.json"), "x");
  nlohmann::json j = ok;
  j["meta"]["nranks"] = "two";
  EXPECT_THROW(parse_results_json(j, "x"), std::runtime_error);
  j = ok;
  j["results"][0]["time_us"] = -1.0;
  try {
    parse_results_json(j, "x");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "x: results[0].time_us is negative");
  }
  j = ok;
  j.erase("schema");
  EXPECT_THROW(parse_results_json(j, "x"), std::runtime_error);
  j = ok;
  j["meta"]["roofline_gbps"] = 20.0;
  EXPECT_EQ(parse_results_json(j, "x").roofline_gbps, 20.0);
  EXPECT_THROW(parse_results_json(nlohmann::json::array(), "x"), std::runtime_error);
}

TEST(ResultsIo, ReadsNcclTestsOutput) {
  const MeasuredFile f = read_measured_file(kData + "/nccl_tests.txt");
  EXPECT_EQ(f.format, "nccl-tests-text");
  EXPECT_EQ(f.backend, "nccl");
  EXPECT_EQ(f.device, "cuda");
  EXPECT_EQ(f.nranks, 2);
  EXPECT_EQ(f.host, "gpunode1");
  ASSERT_EQ(f.rows.size(), 6u);
  EXPECT_EQ(f.rows[2].bytes, 4194304u);
  EXPECT_DOUBLE_EQ(f.rows[2].time_us, 39.87);
  EXPECT_DOUBLE_EQ(f.rows[2].busbw_gbps, 105.20);
  EXPECT_EQ(f.rows[5].wrong, -1);  // "N/A": not checked
  EXPECT_THROW(parse_nccl_tests_text("# only comments\n", "t"), std::runtime_error);
}

}  // namespace
}  // namespace fb
