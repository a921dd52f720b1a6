// -J FILE: the results as nccl-tests (2.19 line, JSON file version 2) writes them with its own -J,
// so scripts written for nccl-tests' JSON read fabricbench's runs unchanged. Written beside (not
// instead of) fabricbench's own --json document.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/report.h"

namespace fb {

// nccl-tests' JSON file version this writer follows.
constexpr int kNcclTestsJsonVersion = 2;

// What the nccl-tests document holds that fabricbench's metadata does not: the process
// environment (nccl-tests writes every variable). The NCCL_TESTS_MIN_BW verdict comes from the
// summary (RunSummary::min_bw_gbps).
struct NcclTestsJsonContext {
  std::vector<std::string> env;
};

// The environment as nccl-tests records it ("NAME=value", in the process's order).
std::vector<std::string> process_environment();

// "2.28.3" -> 22803 (NCCL's version code since 2.9); 0 when `text` is not a.b.c.
int nccl_version_code(const std::string& text);

// The whole document for the rows so far (tests build it directly; the reporter writes it).
nlohmann::ordered_json nccl_tests_json_document(const nlohmann::json& meta,
                                                const std::vector<SizeResult>& rows,
                                                const RunSummary& summary,
                                                const NcclTestsJsonContext& ctx);

// The reporter: written atomically at every finish(); like nccl-tests, an existing FILE is not
// overwritten: the first free name of FILE.0, FILE.1, ... is used and announced on stdout.
std::unique_ptr<Reporter> make_nccl_tests_json_reporter(const std::string& path,
                                                        NcclTestsJsonContext ctx);

}  // namespace fb
