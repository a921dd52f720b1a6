// The registries: one line per collective.
#include "collectives/collective.h"

namespace fb {

extern const CollectiveDef kAllReduce, kAllGather, kReduceScatter, kBroadcast, kReduce, kAlltoall,
    kSendRecv;

const std::vector<const CollectiveDef*>& all_collectives() {
  static const std::vector<const CollectiveDef*> kAll = {
      &kAllReduce, &kAllGather, &kReduceScatter, &kBroadcast, &kReduce, &kAlltoall, &kSendRecv,
  };
  return kAll;
}

const CollectiveDef* find_collective(std::string_view name) {
  for (const auto* def : all_collectives()) {
    if (name == def->name) return def;
  }
  return nullptr;
}

}  // namespace fb
