// The calibrated view of the fabric comparison: the model's analytic path at every point of the
// model files, with and without a calibration's measured overrides.
#pragma once

#include <string>

#include "fabric_model/calibration.h"
#include "harness/publish_index.h"

namespace fb::pub {

// A "## This machine's calibration" section: the measured groups as what this machine's transport
// does, what they replace per modelled (topology, fabric) and why not, and the re-evaluated
// points where a measurement of the same kind of device and link replaces something.
std::string calibrated_view(const ModelIndex& m, const model::Calibration& cal);

}  // namespace fb::pub
