// The errors every fabricbench layer throws, by whose fault they are: the user's input (usage:
// flags, input files, configs; exit code kExitUsage) or the run itself (a failed call, a file
// that could not be written; kExitRunFailed). Header-only and pure C++, so the fabric model
// (ModelError, a usage error) and the harness share it.
#pragma once

#include <stdexcept>
#include <string>

namespace fb {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad flags, input files or configs: the user can fix them and run again.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
};

// The run failed after its input was accepted.
class RunError : public Error {
 public:
  explicit RunError(const std::string& what) : Error(what) {}
};

}  // namespace fb
