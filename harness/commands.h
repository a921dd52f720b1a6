// Subcommands of the fabricbench binary. Each is `int cmd_x(int argc, char** argv)` with argv[0]
// the subcommand's name; it prints its own errors (one line) and returns the exit code.
#pragma once

namespace fb {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Runs one collective (argv[0] names it) under the launcher: the measurement command.
int cmd_collective(int argc, char** argv);

}  // namespace fb
