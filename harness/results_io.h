// Reading measurement results back: `fabricbench.results/1` JSON (what `--json` writes) and
// nccl-tests' console output (what its users already have). Readers validate and throw
// std::runtime_error with one line "PATH: what is wrong" (wrong schema, missing or mistyped
// field, truncated file), so calibrate/publish can print it and stop.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fb {

// One measured variant (out-of-place or in-place) of one size.
struct MeasuredRow {
  std::string collective;
  std::size_t bytes = 0;
  std::size_t count = 0;
  std::string dtype;
  std::string op;
  bool in_place = false;
  double time_us = 0;         // the -a combined per-call time
  double time_us_median = 0;  // median over iterations of the slowest rank (= time_us if absent)
  double time_us_min = 0;
  double time_us_max = 0;
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  long long wrong = -1;  // -1: not checked
  std::string algo;
};

struct MeasuredFile {
  std::string path;
  std::string format;  // "fabricbench.results/1" or "nccl-tests-text"
  std::string backend, algorithm, device;
  int nranks = 0;
  std::string host;     // first rank's host (or meta.machine.hostname)
  std::string machine;  // "host (cpu model, N cores)": the grouping key for "per machine"
  std::string version, git_commit, start_time;
  bool complete = true;
  double roofline_gbps = 0;  // 0: none in the file (see results_io.cc for the keys read)
  std::string roofline_source;
  nlohmann::json meta;
  std::vector<MeasuredRow> rows;
};

// Reads a results file; JSON when its first non-blank character is '{', nccl-tests text else.
MeasuredFile read_measured_file(const std::string& path);
// Validates a parsed fabricbench.results/1 document; `origin` names it in errors.
MeasuredFile parse_results_json(const nlohmann::json& doc, const std::string& origin);
// nccl-tests console output (also the fabricbench console report): rows of
// "size count type redop root time algbw busbw #wrong time algbw busbw #wrong".
MeasuredFile parse_nccl_tests_text(const std::string& text, const std::string& origin);

// Reads a whole file; throws "PATH: cannot read (reason)".
std::string read_text(const std::string& path);
// Parses JSON text; a truncated or malformed document throws "ORIGIN: not valid JSON (...)".
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

// The harness's lenient JSON field accessors: `key` of `obj` when it is a number (a string), else
// `fallback`. Strict reads (a missing field is an error) are parse_results_json's.
double optional_number(const nlohmann::json& obj, const char* key, double fallback);
std::string optional_text(const nlohmann::json& obj, const char* key, const std::string& fallback);

}  // namespace fb
