// Split groups, nccl-tests' NCCL_TESTS_SPLIT / NCCL_TESTS_SPLIT_MASK: the job's ranks split into
// groups that run the same collective at the same time, each on a communicator of its own. A
// rank's group is its color, computed from its rank in the whole job alone, so every rank knows
// the whole layout without communicating. Pure (no MPI, no environment reads): unit-testable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fb {

struct SplitRule {
  enum class Op { kNone, kAnd, kOr, kMod, kDiv };
  Op op = Op::kNone;
  std::uint64_t value = 0;
  std::string env;   // "NCCL_TESTS_SPLIT" or "NCCL_TESTS_SPLIT_MASK"; empty when not set
  std::string text;  // the variable's value as given
  std::string note;  // why another split variable was ignored, or empty
  bool active() const { return op != Op::kNone; }
  // "MOD 2", "AND 0x3" (the mask); "none" when not active.
  std::string describe() const;
};

// nccl-tests' rules: NCCL_TESTS_SPLIT_MASK (hexadecimal, with or without 0x) is color = rank &
// mask and wins when both are set; NCCL_TESTS_SPLIT is an operator (AND, OR, MOD, DIV in any case,
// or & | % /) and a value (decimal, 0x hexadecimal, 0b binary; a leading 0 is octal, as C's
// strtoul reads it). Null or empty values are "not set". Throws UsageError with one line for an
// unknown operator, a malformed or out-of-range value, or MOD/DIV 0 (nccl-tests divides by it).
SplitRule parse_split_env(const char* split_mask, const char* split);

// The color (group) of `rank` under the rule; 0 for every rank when the rule is not active.
// Throws UsageError when the color does not fit an int (MPI_Comm_split's color).
int split_color(const SplitRule& rule, int rank);

struct SplitGroup {
  int color = 0;
  std::vector<int> ranks;  // job ranks, ascending; a rank's index here is its rank in the group
};

// Every group of a job of `nranks` ranks, in the order of their lowest rank.
struct SplitLayout {
  std::vector<int> color_of_rank;
  std::vector<int> group_of_rank;  // index into groups
  std::vector<SplitGroup> groups;
  const SplitGroup& group_of(int rank) const {
    return groups[static_cast<std::size_t>(group_of_rank[static_cast<std::size_t>(rank)])];
  }
  int min_group_size() const;
  int max_group_size() const;
  bool equal_sizes() const;
};
SplitLayout split_layout(const SplitRule& rule, int nranks);

}  // namespace fb
