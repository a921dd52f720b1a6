// The results' "meta" object of a run: what ran (tool, commit, command line, collective, backend,
// algorithm, device, sweep), where (every rank's host, pid, binding and GPU; the machine), and
// with what (MPI, CUDA, the backend's own description). Keys are those of the results schema
// (see report.h for those the console reads).
#pragma once

#include <nlohmann/json.hpp>

#include "collectives/backend.h"
#include "collectives/world.h"
#include "harness/options.h"
#include "harness/preflight.h"
#include "harness/split.h"
#include "harness/sysinfo.h"

namespace fb {

// Collective (every rank gathers the others' rows); rank 0's object also has "machine". Split
// runs (opts.split active) also record the rule and every group ("split", each rank's "group"
// and "group_rank"); the bus factor is that of rank 0's group, as the table's.
nlohmann::json run_metadata(World& world, const RunOptions& opts, const Backend& backend,
                            const DeviceDecision& device, const BindResult& bind,
                            const SplitLayout& layout);

}  // namespace fb
