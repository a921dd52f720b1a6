#pragma once
// `fabricbench model` and `fabricbench topo-size`: the fabric model's command line.
// argv[0] is the subcommand name; returns the process exit code (harness/exit_codes.h: kExitUsage
// for bad flags or configs, kExitRunFailed when the output cannot be written).
#include <cstdint>
#include <exception>
#include <string>

namespace fb {

int cmd_model(int argc, char** argv);
int cmd_topo_size(int argc, char** argv);

// Shared by the two commands.
// A GPU count: a size (K/M/G suffixes allowed), 1 to 2^40; throws UsageError otherwise.
std::int64_t parse_gpu_count(const std::string& text);
// Throws UsageError when `path` (if not empty) cannot be created: checked before any work.
void refuse_existing_output(const std::string& path);
// Prints "fabricbench: COMMAND: what" and returns the exit code for `e`: kExitRunFailed for a
// RunError (the output could not be written), else kExitUsage (flags and configs).
int report_command_error(const char* command, const std::exception& e);

}  // namespace fb
