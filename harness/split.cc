#include "harness/split.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "fabric_model/errors.h"
#include "harness/sizes.h"

namespace fb {
namespace {

bool all_space(const char* s) {
  for (; *s != 0; ++s) {
    if (std::isspace(static_cast<unsigned char>(*s)) == 0) return false;
  }
  return true;
}

// A whole unsigned number in `base`; false when nothing or something else follows it.
bool parse_unsigned(const char* s, int base, std::uint64_t* out) {
  while (std::isspace(static_cast<unsigned char>(*s)) != 0) ++s;
  if (*s == '-' || *s == '+') return false;
  if (base == 2) {
    if (strncasecmp(s, "0b", 2) != 0) return false;
    s += 2;
  }
  if (std::isxdigit(static_cast<unsigned char>(*s)) == 0) return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, base);
  if (end == s || errno == ERANGE || !all_space(end)) return false;
  *out = v;
  return true;
}

// nccl-tests' value: 0b binary, else C's base-0 reading (0x hex, leading 0 octal, decimal).
bool parse_split_value(const char* s, std::uint64_t* out) {
  const char* p = s;
  while (std::isspace(static_cast<unsigned char>(*p)) != 0) ++p;
  if (strncasecmp(p, "0b", 2) == 0) return parse_unsigned(p, 2, out);
  return parse_unsigned(p, 0, out);
}

const char* op_name(SplitRule::Op op) {
  switch (op) {
    case SplitRule::Op::kAnd:
      return "AND";
    case SplitRule::Op::kOr:
      return "OR";
    case SplitRule::Op::kMod:
      return "MOD";
    case SplitRule::Op::kDiv:
      return "DIV";
    case SplitRule::Op::kNone:
      break;
  }
  return "none";
}

[[noreturn]] void bad(const std::string& env, const std::string& text, const std::string& why) {
  std::string line = env;
  line += '=';
  line += quote_arg(text);
  line += ": ";
  line += why;
  throw UsageError(line);
}

}  // namespace

std::string SplitRule::describe() const {
  if (!active()) return "none";
  std::string s = op_name(op);
  s += ' ';
  if (op == Op::kAnd || op == Op::kOr) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
    s += buf;
  } else {
    s += std::to_string(value);
  }
  return s;
}

SplitRule parse_split_env(const char* split_mask, const char* split) {
  SplitRule rule;
  const bool have_mask = split_mask != nullptr && *split_mask != 0;
  const bool have_split = split != nullptr && *split != 0;
  if (have_mask) {
    rule.env = "NCCL_TESTS_SPLIT_MASK";
    rule.text = split_mask;
    if (!parse_unsigned(split_mask, 16, &rule.value)) {
      bad(rule.env, rule.text, "not a hexadecimal mask (color = rank & mask)");
    }
    if (rule.value > static_cast<std::uint64_t>(INT_MAX)) {
      bad(rule.env, rule.text, "the mask does not fit a 31-bit color");
    }
    rule.op = SplitRule::Op::kAnd;
    if (have_split) {
      rule.note = "NCCL_TESTS_SPLIT ignored: NCCL_TESTS_SPLIT_MASK is set (nccl-tests' order)";
    }
    return rule;
  }
  if (!have_split) return rule;
  rule.env = "NCCL_TESTS_SPLIT";
  rule.text = split;
  const char* p = split;
  while (std::isspace(static_cast<unsigned char>(*p)) != 0) ++p;
  static const struct {
    const char* name;
    SplitRule::Op op;
  } kOps[] = {{"AND", SplitRule::Op::kAnd}, {"&", SplitRule::Op::kAnd},
              {"OR", SplitRule::Op::kOr},   {"|", SplitRule::Op::kOr},
              {"MOD", SplitRule::Op::kMod}, {"%", SplitRule::Op::kMod},
              {"DIV", SplitRule::Op::kDiv}, {"/", SplitRule::Op::kDiv}};
  for (const auto& k : kOps) {
    const std::size_t n = std::strlen(k.name);
    if (strncasecmp(p, k.name, n) == 0) {
      rule.op = k.op;
      p += n;
      break;
    }
  }
  if (rule.op == SplitRule::Op::kNone) {
    bad(rule.env, rule.text, "unknown operator (known: AND OR MOD DIV, or & | % /, then a value)");
  }
  // A letter right after the operator ("ANDY 2", "MODULO 2") is not this operator.
  if (std::isalpha(static_cast<unsigned char>(*p)) != 0 &&
      std::isalpha(static_cast<unsigned char>(p[-1])) != 0) {
    bad(rule.env, rule.text, "unknown operator (known: AND OR MOD DIV, or & | % /, then a value)");
  }
  if (!parse_split_value(p, &rule.value)) {
    bad(rule.env, rule.text,
        std::string("the value after ") + op_name(rule.op) +
            " is not a number (decimal, 0x hexadecimal or 0b binary)");
  }
  if (rule.value > static_cast<std::uint64_t>(INT_MAX)) {
    bad(rule.env, rule.text, "the value does not fit a 31-bit color");
  }
  if ((rule.op == SplitRule::Op::kMod || rule.op == SplitRule::Op::kDiv) && rule.value == 0) {
    bad(rule.env, rule.text, std::string(op_name(rule.op)) + " 0 divides by zero");
  }
  return rule;
}

int split_color(const SplitRule& rule, int rank) {
  const auto r = static_cast<std::uint64_t>(rank);
  std::uint64_t c = 0;
  switch (rule.op) {
    case SplitRule::Op::kNone:
      return 0;
    case SplitRule::Op::kAnd:
      c = r & rule.value;
      break;
    case SplitRule::Op::kOr:
      c = r | rule.value;
      break;
    case SplitRule::Op::kMod:
      c = r % rule.value;
      break;
    case SplitRule::Op::kDiv:
      c = r / rule.value;
      break;
  }
  if (c > static_cast<std::uint64_t>(INT_MAX)) {
    bad(rule.env, rule.text, "rank " + std::to_string(rank) + "'s color does not fit an int");
  }
  return static_cast<int>(c);
}

int SplitLayout::min_group_size() const {
  std::size_t m = 0;
  for (const auto& g : groups) {
    if (m == 0 || g.ranks.size() < m) m = g.ranks.size();
  }
  return static_cast<int>(m);
}

int SplitLayout::max_group_size() const {
  std::size_t m = 0;
  for (const auto& g : groups) m = std::max(m, g.ranks.size());
  return static_cast<int>(m);
}

bool SplitLayout::equal_sizes() const {
  for (const auto& g : groups) {
    if (g.ranks.size() != groups.front().ranks.size()) return false;
  }
  return true;
}

SplitLayout split_layout(const SplitRule& rule, int nranks) {
  SplitLayout out;
  std::map<int, int> index_of_color;
  for (int r = 0; r < nranks; ++r) {
    const int color = split_color(rule, r);
    auto it = index_of_color.find(color);
    if (it == index_of_color.end()) {
      it = index_of_color.emplace(color, static_cast<int>(out.groups.size())).first;
      out.groups.push_back(SplitGroup{color, {}});
    }
    out.groups[static_cast<std::size_t>(it->second)].ranks.push_back(r);
    out.color_of_rank.push_back(color);
    out.group_of_rank.push_back(it->second);
  }
  return out;
}

}  // namespace fb
