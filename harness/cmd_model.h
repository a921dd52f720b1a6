#pragma once
// `fabricbench model` and `fabricbench topo-size`: the fabric model's command line.
// argv[0] is the subcommand name; returns the process exit code (0 ok, 2 bad input).
namespace fb {
int cmd_model(int argc, char** argv);
int cmd_topo_size(int argc, char** argv);
}  // namespace fb
