// `fabricbench calibrate RESULTS... --out calibration.json`: fits alpha-beta and an efficiency
// curve per measured configuration (fabric_model/calibration.h) and writes
// fabricbench.calibration/1. Exit 0 when every group's fit is accepted, 4 when some was refused
// (the file is still written, with the reasons), 2 on bad usage or unreadable input.
#pragma once

#include <string>
#include <vector>

#include "fabric_model/calibration.h"
#include "harness/results_io.h"

namespace fb {

// Groups the rows of `files` by configuration and fits each group. Rows with wrong elements are
// left out (counted in `excluded_wrong`), as are size-0 rows (no bandwidth to fit). `stat` picks
// the time fitted per size: "min-median" (the default: median over runs of each run's fastest
// iteration, see cmd_calibrate.cc), "min" (the fastest iteration of any run) or "median".
model::Calibration calibrate_files(const std::vector<MeasuredFile>& files,
                                   const std::string& stat = "min",
                                   long long* excluded_wrong = nullptr);

int cmd_calibrate(int argc, char** argv);

}  // namespace fb
