#include "kernels/ops.h"

namespace fb {

const std::vector<RedOpInfo>& all_redops() {
  static const std::vector<RedOpInfo> kOps = {
      {RedOp::kSum, "sum"}, {RedOp::kProd, "prod"}, {RedOp::kMin, "min"},
      {RedOp::kMax, "max"}, {RedOp::kAvg, "avg"},
  };
  return kOps;
}

const char* redop_name(RedOp op) {
  for (const auto& info : all_redops()) {
    if (info.op == op) return info.name;
  }
  return "?";
}

std::optional<RedOp> parse_redop(std::string_view name) {
  for (const auto& info : all_redops()) {
    if (name == info.name) return info.op;
  }
  return std::nullopt;
}

}  // namespace fb
