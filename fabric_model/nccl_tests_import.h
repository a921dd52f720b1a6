#pragma once
// nccl-tests output as input: its console log as people paste it (launcher prefixes, NCCL INFO
// lines, the parameter line, device lines, the table, the footer) and its -J JSON file, read into
// one struct, validated row by row, and turned into a fabricbench.results/1 document that
// calibrate and publish read like fabricbench's own results.
//
// Every problem is a ModelError of one line: "ORIGIN:LINE: reason" for the text log (the line of
// the file, counted from 1), "ORIGIN: results[i]...: reason" for JSON (nccl-tests writes its JSON
// on one line, so an element index says more than a line number).
//
// Pure C++ like the rest of fabric_model: callers read the file and pass its text.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fabric_model/units.h"

namespace fb::model {

// The suite's results schema: what `fabricbench --json` writes, what import writes and what
// calibrate/publish read (harness/report.h uses this one).
inline constexpr const char* kResultsSchema = "fabricbench.results/1";

// One variant (out-of-place or in-place) of one table row, as printed.
struct NcclTestsVariant {
  bool present = false;
  double time_us = 0;
  double algbw_gbps = 0;  // GB/s (1e9 B/s)
  double busbw_gbps = 0;
  std::optional<double> wrong;  // nullopt: "N/A" (-c 0, or in-place alltoall)
};

struct NcclTestsRow {
  std::uint64_t bytes = 0;
  std::uint64_t count = 0;  // elements, as nccl-tests prints it (per rank for all_gather etc.)
  std::string type;
  std::string redop;  // "none" when the layout has no redop column
  int root = -1;      // -1 when the layout has no root column
  NcclTestsVariant out_of_place, in_place;
  int line = 0;  // line of the text log (0 for JSON)
};

// "#  Rank  0 Group  0 Pid  1234 on HOST device  0 [0x18] NVIDIA H100 80GB HBM3"
struct NcclTestsDevice {
  int rank = 0;
  int group = 0;
  int pid = 0;
  std::string host;
  int device = 0;
  std::string bus_id;
  std::string name;
};

struct NcclTestsRun {
  std::string origin;
  std::string format;             // "nccl-tests-text" or "nccl-tests-json"
  std::string collective;         // "all_reduce", ...; empty when nothing says which
  std::string collective_source;  // where it came from (see nccl_tests_import.cc)
  // fabricbench's dev-set "#meta key: value" lines (not nccl-tests output), in file order.
  std::vector<std::pair<std::string, std::string>> meta;
  // The parameter line ("nThread" -> "1", "step" -> "2(factor)", "warmup iters" -> "5", ...),
  // or the JSON config object's scalars.
  std::map<std::string, std::string> parameters;
  std::vector<std::string> command_line;  // JSON "args"
  std::vector<NcclTestsDevice> devices;
  int ranks = 0;  // 0: unknown
  std::string ranks_source;
  std::vector<std::string> hosts;  // distinct, in order of first appearance
  int servers = 0;                 // 0: unknown
  int gpus_per_server = 0;         // 0: unknown or uneven
  std::string servers_source;
  std::string gpu_model, gpu_model_source;
  std::string nccl_version, nccl_version_source;  // "2.21.5" or "2.21.5+cuda12.4"
  std::string nccl_tests_version;
  std::map<std::string, std::string> env;  // NCCL_ALGO -> Ring, ...
  std::string env_source;
  std::vector<std::string> columns;  // the table layout, e.g. size count type redop root time...
  bool header_inferred = false;      // no header line: layout from the column count
  std::vector<NcclTestsRow> rows;
  std::optional<double> avg_busbw_gbps;  // footer "# Avg bus bandwidth"
  std::optional<long long> out_of_bounds;
  std::vector<std::string> notes;  // how things were inferred, what was odd
};

// nccl-tests' console output. Throws ModelError "origin:line: reason".
NcclTestsRun parse_nccl_tests_log(const std::string& text, const std::string& origin);
// nccl-tests' -J file (JSON_FILE_VERSION 1 or 2 of src/util.cu). Throws ModelError.
NcclTestsRun parse_nccl_tests_json(const nlohmann::json& doc, const std::string& origin);
// Either, by the first non-blank character ('{': JSON).
NcclTestsRun parse_nccl_tests_any(const std::string& text, const std::string& origin);

// Bytes of one element of an nccl-tests type name ("float" 4, "bfloat16" 2, ...); 0 if unknown.
int nccl_tests_type_bytes(const std::string& type);
// size = count x sizeof(type) x this (nccl-tests' getCollByteCount: all_gather, reduce_scatter,
// alltoall, gather, scatter and hypercube print the per-rank count of an nranks-sized buffer).
int nccl_tests_size_ranks_factor(const std::string& collective, int nranks);

// The hardware an imported run ran on, so the model can predict that exact run.
struct ImportDescriptor {
  std::string topology_preset;
  std::int64_t gpus = 0;  // 0: unknown
  std::string fabric_profile;
  std::string forced_algo;   // "ring", "tree", "nvls", ... ; empty: NCCL chose
  std::string forced_proto;  // "simple", "ll", "ll128" ; empty: NCCL chose
};

// {"topology_preset": "...", "gpus": 16, "fabric_profile": "...", "forced_algo": "ring",
//  "forced_proto": "simple"}; every key optional, unknown keys rejected. Throws ModelError.
ImportDescriptor parse_import_descriptor(const nlohmann::json& j, const std::string& origin);
// gpus from the ranks; forced algorithm/protocol from NCCL_ALGO / NCCL_PROTO in the env when
// they name exactly one (a list or a "^" exclusion forces nothing).
ImportDescriptor descriptor_from_run(const NcclTestsRun& run);
// `given` (a descriptor file) with its empty fields filled from the run; a given value that
// contradicts the run (gpus != ranks, forced_algo != NCCL_ALGO) throws ModelError.
ImportDescriptor resolve_descriptor(const NcclTestsRun& run, const ImportDescriptor& given);
// "ring" from "Ring"/"RING", "nvls_tree" from "NVLSTree", ...; empty for a list, "^..." or
// an unknown name.
std::string forced_algo_from_env(const std::string& nccl_algo);
std::string forced_proto_from_env(const std::string& nccl_proto);
nlohmann::json to_json(const ImportDescriptor& d);

// The run as a fabricbench.results/1 document (backend nccl, device cuda, meta.imported true),
// one results row per measured variant as fabricbench writes them. Throws ModelError when the
// collective or the rank count is unknown (a results file needs both).
nlohmann::json to_results_json(const NcclTestsRun& run, const ImportDescriptor& descriptor);

}  // namespace fb::model
