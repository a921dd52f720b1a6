#pragma once
// `fabricbench job`: a training job's communication per step on modelled fabrics (every group
// of a kind concurrent on one fabric; fabric_model/job.h). argv[0] is the subcommand name;
// returns the exit code (0 ok, 2 bad input, 3 output not written).
namespace fb {
int cmd_job(int argc, char** argv);
}  // namespace fb
