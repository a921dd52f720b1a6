// fabricbench: one binary, one subcommand per collective plus the model and publishing tools.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "collectives/collective.h"
#include "harness/cmd_calibrate.h"
#include "harness/cmd_import.h"
#include "harness/cmd_job.h"
#include "harness/cmd_model.h"
#include "harness/cmd_publish.h"
#include "harness/cmd_validate.h"
#include "harness/commands.h"
#include "harness/exit_codes.h"
#include "harness/options.h"

namespace fb {
namespace {

// The tool subcommands; the collectives come from their registry.
const Command kCommands[] = {
    {"model", "collective time on a modelled cluster and fabric", &cmd_model},
    {"topo-size", "bill of materials of a Clos cluster", &cmd_topo_size},
    {"job", "a training job's communication per step on modelled fabrics", &cmd_job},
    {"calibrate", "fit latency/bandwidth/efficiency to results files", &cmd_calibrate},
    {"import", "nccl-tests output (text or -J JSON) as fabricbench results files", &cmd_import},
    {"validate", "nccl-tests logs vs the model's prediction, calibrated leaving each out",
     &cmd_validate},
    {"publish", "tables and plots from results/ (measured, model vs measured, fabrics)",
     &cmd_publish},
};

}  // namespace
}  // namespace fb

int main(int argc, char** argv) {
  using namespace fb;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(top_level_help().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[1];
  try {
    if (find_collective(sub) != nullptr) return cmd_collective(argc - 1, argv + 1);
    for (const Command& c : kCommands) {
      if (c.run != nullptr && sub == c.name) return c.run(argc - 1, argv + 1);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fabricbench: %s\n", e.what());
    return exit_code_for(e);
  }
  std::fprintf(stderr, "fabricbench: unknown command '%s' (see fabricbench --help)\n", sub.c_str());
  return kExitUsage;
}
