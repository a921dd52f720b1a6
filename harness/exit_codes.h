// The exit codes of every fabricbench command (README.md, "Exit codes"). Unscoped so a command's
// `int` return takes them as they are.
#pragma once

#include <exception>
#include <stdexcept>

#include "fabric_model/errors.h"

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

// The exit code of an error a command caught: kExitUsage for usage errors (UsageError, the
// model's ModelError, std::invalid_argument from the size and flag parsers), kExitRunFailed for
// a RunError, `otherwise` for any other exception.
inline ExitCode exit_code_for(const std::exception& e, ExitCode otherwise = kExitRunFailed) {
  if (dynamic_cast<const UsageError*>(&e) != nullptr) return kExitUsage;
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) return kExitUsage;
  if (dynamic_cast<const RunError*>(&e) != nullptr) return kExitRunFailed;
  return otherwise;
}

}  // namespace fb
