// The algorithm registry: one line per algorithm, plus the auto-selection table.
#include <cstdint>
#include <sstream>
#include <stdexcept>

#include "collectives/algorithm.h"

namespace fb {

extern const AlgorithmDef kAllReduceRing, kAllReduceRhd, kAllReduceTree, kAllReduceHier,
    kAllReduceShm;
extern const AlgorithmDef kAllGatherRing, kAllGatherRd, kReduceScatterRing, kReduceScatterRh,
    kBroadcastBinomial, kBroadcastChain, kReduceBinomial, kReduceChain, kAlltoallPairwise,
    kSendRecvRing;

const std::vector<const AlgorithmDef*>& all_algorithms() {
  static const std::vector<const AlgorithmDef*> kAll = {
      &kAllReduceRing,   &kAllReduceRhd,      &kAllReduceTree,  &kAllReduceHier,
      &kAllReduceShm,    &kAllGatherRing,     &kAllGatherRd,    &kReduceScatterRing,
      &kReduceScatterRh, &kBroadcastBinomial, &kBroadcastChain, &kReduceBinomial,
      &kReduceChain,     &kAlltoallPairwise,  &kSendRecvRing,
  };
  return kAll;
}

namespace {
constexpr std::size_t kAnyBytes = SIZE_MAX;

const char* kind_name(CollKind kind) {
  for (const auto* c : all_collectives()) {
    if (c->kind == kind) return c->name;
  }
  return "?";
}

std::string names_for(CollKind kind) {
  std::string out;
  for (const auto* a : algorithms_for(kind)) out += std::string(out.empty() ? "" : ", ") + a->name;
  return out.empty() ? "none" : out;
}
}  // namespace

const std::vector<AutoRule>& auto_rules() {
  static const std::vector<AutoRule> kRules = {
#include "collectives/algo_auto_table.inc"
  };
  return kRules;
}

std::vector<const AlgorithmDef*> algorithms_for(CollKind kind) {
  std::vector<const AlgorithmDef*> out;
  for (const auto* a : all_algorithms()) {
    if (a->kind == kind) out.push_back(a);
  }
  return out;
}

const AlgorithmDef* find_algorithm(CollKind kind, std::string_view name) {
  for (const auto* a : all_algorithms()) {
    if (a->kind == kind && name == a->name) return a;
  }
  return nullptr;
}

bool algorithm_name_known(std::string_view name) {
  for (const auto* a : all_algorithms()) {
    if (name == a->name) return true;
  }
  return false;
}

std::string format_algorithm_list() {
  std::ostringstream os;
  os << "collective      algorithm   summary\n";
  for (const auto* a : all_algorithms()) {
    std::string coll = kind_name(a->kind), name = a->name;
    coll.resize(std::max<std::size_t>(coll.size() + 1, 16), ' ');
    name.resize(std::max<std::size_t>(name.size() + 1, 12), ' ');
    os << coll << name << a->summary << "\n";
  }
  os << "auto: first matching row (collective ranks bytes algorithm) whose algorithm is usable\n";
  for (const auto& r : auto_rules()) {
    os << "  " << r.collective << " " << r.min_ranks << "-" << r.max_ranks << " " << r.min_bytes
       << "-" << (r.max_bytes == kAnyBytes ? std::string("inf") : std::to_string(r.max_bytes))
       << " " << r.algo << "\n";
  }
  return os.str();
}

const AlgorithmDef& choose_algorithm(const CollectiveDef& coll, std::size_t bytes,
                                     Communicator& comm) {
  const int n = comm.size();
  for (const auto& r : auto_rules()) {
    if (std::string_view(r.collective) != coll.name || n < r.min_ranks || n > r.max_ranks ||
        bytes < r.min_bytes || bytes >= r.max_bytes) {
      continue;
    }
    const AlgorithmDef* a = find_algorithm(coll.kind, r.algo);
    if (a != nullptr && (a->usable == nullptr || a->usable(comm))) return *a;
  }
  for (const auto* a : algorithms_for(coll.kind)) {
    if (a->usable == nullptr || a->usable(comm)) return *a;
  }
  throw std::runtime_error(std::string("backend own: no usable algorithm for ") + coll.name);
}

const AlgorithmDef& resolve_algorithm(std::string_view algo, const CollectiveDef& coll,
                                      std::size_t bytes, Communicator& comm) {
  if (algo == "auto") return choose_algorithm(coll, bytes, comm);
  const AlgorithmDef* a = find_algorithm(coll.kind, algo);
  if (a == nullptr) {
    throw std::runtime_error("backend own: no algorithm '" + std::string(algo) + "' for " +
                             coll.name + " (have: " + names_for(coll.kind) + ")");
  }
  if (a->usable != nullptr && !a->usable(comm)) {
    throw std::runtime_error("backend own: algorithm '" + std::string(algo) + "' for " + coll.name +
                             " cannot run on these ranks (e.g. it needs them all on one node)");
  }
  return *a;
}

}  // namespace fb
