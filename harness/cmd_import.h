// `fabricbench import LOG... --out DIR [--descriptor FILE] [--topology P --gpus N --fabric F
// --algo A --proto P] [--force]`: nccl-tests console output or -J JSON -> fabricbench.results/1,
// one file per log (DIR/<log name>.json). Every log is parsed and checked before anything is
// written; a bad line is one error naming the file and line, exit 2.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "fabric_model/nccl_tests_import.h"

namespace fb {

// One log as a results document, checked by the results reader calibrate uses. The descriptor
// is `from_flags`, completed by `descriptor_path` (or LOG.descriptor.json beside the log), then
// by the log itself (NCCL_ALGO/NCCL_PROTO, ranks). Throws std::runtime_error with one line.
nlohmann::json import_nccl_tests_file(const std::string& path,
                                      const model::ImportDescriptor& from_flags,
                                      const std::string& descriptor_path = "");

int cmd_import(int argc, char** argv);

}  // namespace fb
