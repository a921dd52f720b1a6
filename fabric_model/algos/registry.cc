// The model algorithms, one line each (static libraries drop self-registering objects, so the
// list is explicit). A new algorithm: a new file in this folder and one line here.
#include "fabric_model/algos/algorithm.h"

#define FB_MODEL_ALGORITHMS(X)  \
  X(kRingAlgorithm)             \
  X(kHierAlgorithm)             \
  X(kTreeAlgorithm)             \
  X(kRhdAlgorithm)              \
  X(kHierTreeAlgorithm)         \
  X(kNvlsTreeAlgorithm)         \
  X(kNvlsAlgorithm)             \
  X(kInnetAlgorithm)            \
  X(kPatAlgorithm)              \
  X(kRingMultichannelAlgorithm) \
  X(kPairwiseAlgorithm)         \
  X(kPermutationAlgorithm)

namespace fb::model {

#define FB_DECLARE(a) extern const ModelAlgorithm a;
FB_MODEL_ALGORITHMS(FB_DECLARE)
#undef FB_DECLARE

const std::vector<const ModelAlgorithm*>& model_algorithms() {
#define FB_LIST(a) &(a),
  static const std::vector<const ModelAlgorithm*> kAll = {FB_MODEL_ALGORITHMS(FB_LIST)};
#undef FB_LIST
  return kAll;
}

const ModelAlgorithm* find_model_algorithm(const std::string& name) {
  for (const ModelAlgorithm* a : model_algorithms())
    if (name == a->name) return a;
  return nullptr;
}

}  // namespace fb::model
