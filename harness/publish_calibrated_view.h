// The calibrated view of the fabric comparison: the model's analytic path at every point of the
// model files, with and without a calibration's measured overrides.
#pragma once

#include <string>

#include "fabric_model/calibration.h"
#include "harness/publish_index.h"

namespace fb::pub {

// A "## With this machine's calibration" section; says why when the calibration cannot be used.
std::string calibrated_view(const ModelIndex& m, const model::Calibration& cal);

}  // namespace fb::pub
