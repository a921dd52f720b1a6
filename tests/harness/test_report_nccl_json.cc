// -J: nccl-tests' JSON layout (file version 2), checked against that layout key by key and read
// back by fabricbench's own nccl-tests importer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fabric_model/nccl_tests_import.h"
#include "harness/report_nccl_json.h"

namespace fb {
namespace {

nlohmann::json meta() {
  return {{"command_line", {"all_reduce", "-b", "8", "-e", "1024", "-f", "2"}},
          {"start_time", "2026-12-02T01:02:03Z"},
          {"collective", "all_reduce"},
          {"nranks", 2},
          {"backend_info", {{"nccl_version", "2.28.3"}}},
          {"sweep",
           {{"minbytes", 8},
            {"maxbytes", 1024},
            {"stepfactor", 2.0},
            {"stepbytes", 0},
            {"iters", 20},
            {"warmup_iters", 5},
            {"check_iters", 1}}},
          {"ranks",
           {{{"rank", 0}, {"host", "nodeA"}, {"pid", 11}, {"device", "cpu"}},
            {{"rank", 1},
             {"host", "nodeB"},
             {"pid", 12},
             {"device", "cuda"},
             {"device_index", 3},
             {"device_bus_id", "0000:1b:00"},
             {"device_name", "NVIDIA H100 80GB HBM3"}}}}};
}

SizeResult row(std::size_t bytes, double t_oop, double t_ip, long long wrong) {
  SizeResult r;
  r.collective = "all_reduce";
  r.bytes = bytes;
  r.count = bytes / 4;
  r.dtype = "float";
  r.op = "sum";
  r.root = -1;
  const auto timing = [&](double t) {
    Timing v;
    v.measured = true;
    v.time_us = t;
    v.algbw_gbps = v.busbw_gbps = static_cast<double>(bytes) / t / 1e3;
    v.wrong = wrong;
    v.iters = 20;
    return v;
  };
  r.out_of_place = timing(t_oop);
  r.in_place = timing(t_ip);
  return r;
}

RunSummary summary(double avg) {
  RunSummary s;
  s.avg_busbw_gbps = avg;
  s.end_time = "2026-12-02T01:02:09.123Z";
  return s;
}

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(NcclTestsJson, LayoutOfFileVersion2KeyByKey) {
  NcclTestsJsonContext ctx;
  ctx.env = {"NCCL_ALGO=Ring", "HOME=/root"};
  const auto doc = nccl_tests_json_document(
      meta(), {row(8, 10.0, 12.5, 0), row(1024, 20.0, 25.0, -1)}, summary(0.04), ctx);
  // Top level, in nccl-tests' order (src/util.cu: init, device report, results, footer,
  // errors, finalize).
  EXPECT_EQ(keys(doc),
            (std::vector<std::string>{"version", "start_time", "args", "env", "nccl_version",
                                      "config", "results", "out_of_bounds", "average_bus_bandwidth",
                                      "errors", "end_time"}));
  EXPECT_EQ(doc["version"], 2);
  EXPECT_EQ(doc["start_time"], "2026-12-02 01:02:03");
  EXPECT_EQ(doc["end_time"], "2026-12-02 01:02:09");
  EXPECT_EQ(doc["args"][0], "fabricbench");
  EXPECT_EQ(doc["args"][1], "all_reduce");
  EXPECT_EQ(doc["env"][0], "NCCL_ALGO=Ring");
  EXPECT_EQ(doc["nccl_version"], 22803);
  const auto& c = doc["config"];
  EXPECT_EQ(keys(c),
            (std::vector<std::string>{
                "nthreads", "ngpus", "minimum_bytes", "maximum_bytes", "step_factor",
                "warmup_iters", "iterations", "aggregated_iterations", "validation", "graph",
                "blocking_collectives", "per_iter_timing", "parallel_init", "devices"}));
  EXPECT_EQ(c["step_factor"], 2);
  EXPECT_TRUE(c["step_factor"].is_number_integer());
  EXPECT_EQ(c["minimum_bytes"], 8);
  EXPECT_EQ(c["maximum_bytes"], 1024);
  EXPECT_EQ(c["iterations"], 20);
  EXPECT_EQ(c["validation"], 1);
  EXPECT_EQ(c["blocking_collectives"], "false");  // nccl-tests writes booleans as strings
  ASSERT_EQ(c["devices"].size(), 2u);
  EXPECT_EQ(keys(c["devices"][1]),
            (std::vector<std::string>{"rank", "group", "pid", "hostname", "device", "device_hex",
                                      "device_info"}));
  EXPECT_EQ(c["devices"][1]["hostname"], "nodeB");
  EXPECT_EQ(c["devices"][1]["device"], 3);
  EXPECT_EQ(c["devices"][1]["device_hex"], "0000:1b:00");
  EXPECT_EQ(c["devices"][0]["device_hex"], "cpu");
  const auto& r = doc["results"];
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(keys(r[0]),
            (std::vector<std::string>{"size", "count", "type", "redop", "root", "out_of_place",
                                      "in_place", "actual_iterations", "experiment_name"}));
  EXPECT_EQ(r[0]["root"], "    -1");  // "%6i"
  EXPECT_EQ(keys(r[0]["out_of_place"]),
            (std::vector<std::string>{"time", "alg_bw", "bus_bw", "nwrong"}));
  EXPECT_DOUBLE_EQ(r[0]["out_of_place"]["time"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(r[0]["in_place"]["alg_bw"].get<double>(), 8.0 / 12.5 / 1e3);
  EXPECT_EQ(r[0]["out_of_place"]["nwrong"], 0.0);
  EXPECT_TRUE(r[1]["in_place"]["nwrong"].is_null());  // -c 0: N/A
  EXPECT_EQ(r[1]["actual_iterations"], 20);
  EXPECT_EQ(doc["out_of_bounds"]["count"], 0);
  EXPECT_EQ(doc["out_of_bounds"]["okay"], "true");
  EXPECT_EQ(doc["average_bus_bandwidth"]["okay"], "unchecked");
}

TEST(NcclTestsJson, MinBwGateAtNinetyPercent) {
  RunSummary pass = summary(9.0), fail = summary(8.99), unset = summary(0.1);
  pass.min_bw_gbps = fail.min_bw_gbps = 10;
  EXPECT_EQ(nccl_tests_json_document(meta(), {}, pass, {})["average_bus_bandwidth"]["okay"],
            "true");
  EXPECT_EQ(nccl_tests_json_document(meta(), {}, fail, {})["average_bus_bandwidth"]["okay"],
            "false");
  EXPECT_EQ(nccl_tests_json_document(meta(), {}, unset, {})["average_bus_bandwidth"]["okay"],
            "unchecked");
}

TEST(NcclTestsJson, ReadBackByTheImporter) {
  const auto doc = nccl_tests_json_document(
      meta(), {row(8, 10.0, 12.5, 0), row(1024, 20.0, 25.0, 0)}, summary(0.04), {});
  const model::NcclTestsRun run = model::parse_nccl_tests_any(doc.dump(), "x.json");
  EXPECT_EQ(run.format, "nccl-tests-json");
  EXPECT_EQ(run.collective, "all_reduce");
  EXPECT_EQ(run.nccl_version, "2.28.3");
  ASSERT_EQ(run.devices.size(), 2u);
  EXPECT_EQ(run.hosts, (std::vector<std::string>{"nodeA", "nodeB"}));
  ASSERT_EQ(run.rows.size(), 2u);
  EXPECT_EQ(run.rows[1].bytes, 1024u);
  EXPECT_EQ(run.rows[1].count, 256u);
  EXPECT_EQ(run.rows[1].root, -1);
  EXPECT_DOUBLE_EQ(run.rows[1].in_place.time_us, 25.0);
  ASSERT_TRUE(run.rows[0].out_of_place.wrong.has_value());
  EXPECT_EQ(*run.rows[0].out_of_place.wrong, 0.0);
}

TEST(NcclTestsJson, VersionCode) {
  EXPECT_EQ(nccl_version_code("2.28.3"), 22803);
  EXPECT_EQ(nccl_version_code("2.9.9"), 20909);
  EXPECT_EQ(nccl_version_code("unknown"), 0);
  EXPECT_EQ(nccl_version_code("2.28"), 0);
  EXPECT_EQ(nccl_version_code("2.28.3x"), 0);
}

TEST(NcclTestsJson, ReporterNeverOverwritesAndPicksTheNextFreeName) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("fb_ncclj_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.json").string();
  { std::ofstream(path) << "keep"; }
  auto rep = make_nccl_tests_json_reporter(path, {});
  rep->begin(meta());
  rep->add(row(8, 10.0, 12.5, 0));
  rep->finish(summary(0.01));  // a checkpoint
  rep->add(row(16, 10.0, 12.5, 0));
  rep->finish(summary(0.02));  // the final document replaces the reporter's own file
  std::ifstream kept(path);
  std::string first;
  kept >> first;
  EXPECT_EQ(first, "keep");
  std::ifstream in(path + ".0");
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str());
  EXPECT_EQ(doc["results"].size(), 2u);
  EXPECT_DOUBLE_EQ(doc["average_bus_bandwidth"]["bandwidth"].get<double>(), 0.02);
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fb
