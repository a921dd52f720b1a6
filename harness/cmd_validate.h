// `fabricbench validate LOG_OR_RESULTS... [--descriptor F] [--out DIR | --markdown F] [--json F]
// [--analytic] [--no-plots] [--gnuplot PATH]`: every nccl-tests log (text or -J JSON, imported
// with its descriptor as `fabricbench import` does) predicted by the model, calibrated without
// that log, against what it measured (fabric_model/validation.h). fabricbench.results/1 files
// are read as they are: imported logs are validated, fabricbench's own runs calibrate only.
// --out DIR writes DIR/tables/validation.md, DIR/tables/validation.json and the plot
// DIR/plots/validation_busbw.{png,svg} (gnuplot; data and script beside them). A bad input is
// one line naming it, exit 2, nothing written.
#pragma once

#include <string>
#include <vector>

#include "fabric_model/nccl_tests_import.h"
#include "fabric_model/validation.h"

namespace fb {

// Each file as a validation input: results documents as they are, nccl-tests output imported
// with `flags` and `descriptor_path` (or LOG.descriptor.json beside it). Throws
// std::runtime_error with one line naming the file.
std::vector<model::ValidationInput> read_validation_inputs(const std::vector<std::string>& files,
                                                           const model::ImportDescriptor& flags,
                                                           const std::string& descriptor_path);

int cmd_validate(int argc, char** argv);

}  // namespace fb
