// The exit codes of every fabricbench command (README.md, "Exit codes"). Unscoped so a command's
// `int` return takes them as they are.
#pragma once

namespace fb {

enum ExitCode : int {
  kExitOk = 0,
  kExitWrongResults = 1,  // the run finished, but some elements were wrong
  kExitUsage = 2,         // bad flags or input files, or a setup check refused the run
  kExitRunFailed = 3,     // a rank failed mid-run, results could not be written, internal error
  kExitTimeout = 4,       // the watchdog ended a hung collective (-T)
  kExitBelowMinBw = 5,    // correct, but avg busbw < 0.9 x NCCL_TESTS_MIN_BW (footer: FAILED)
  kExitSignalBase = 128,  // + the signal number: interrupted, partial results written
};

}  // namespace fb
