#pragma once
// A training job's parallel layout and sizes (`fabricbench job --job NAME|FILE`): the degrees
// TP, CP, PP, DP, EP and their nesting onto the cluster, the model, the batch, dtypes, the
// gradient bucket and whether the optimizer state is sharded. JSON with units in its keys,
// unknown keys rejected; presets under fabric_model/jobs/ are embedded like the topology presets.
#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fabric_model/config.h"
#include "fabric_model/units.h"

namespace fb::model {

inline constexpr const char* kJobKinds[] = {"tp", "cp", "pp", "dp", "ep"};

struct JobSpec {
  std::string name;
  std::string source;
  std::int64_t gpus = 0;  // the job's GPUs = tp * cp * pp * dp
  // Degrees. EP is carved out of DP (expert-parallel groups are blocks of EP consecutive DP
  // ranks, as Megatron-LM folds them), so it is not a factor of the GPU count.
  std::int64_t tp = 1, cp = 1, pp = 1, dp = 1, ep = 1;
  // Nesting, innermost first: rank = tp + TP * (cp + CP * (pp + PP * dp)) for the default.
  std::vector<std::string> order = {"tp", "cp", "pp", "dp"};
  // Layer slots left empty on the end stages so that layers + this is a multiple of pp (Llama 3
  // removes one layer from the first and one from the last stage); the busiest stage holds
  // (layers + this) / pp layers.
  std::int64_t pipeline_balance_layers = 0;
  // Model.
  std::int64_t parameters = 0;         // total
  std::int64_t active_parameters = 0;  // per token (MoE); 0 = parameters
  std::int64_t expert_parameters = 0;  // routed experts' share of parameters (MoE)
  std::int64_t layers = 0;
  std::int64_t moe_layers = 0;
  std::int64_t hidden_size = 0;
  std::int64_t attention_heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t experts = 0;
  std::int64_t top_k = 0;
  // Batch.
  std::int64_t micro_batch_sequences = 0;
  std::int64_t sequence_length_tokens = 0;
  std::int64_t micro_batches_per_step = 0;
  // Bytes per element.
  int gradient_bytes = 4, parameter_bytes = 2, activation_bytes = 2;
  std::string gradient_dtype = "fp32", parameter_dtype = "bf16", activation_dtype = "bf16";
  std::int64_t bucket_parameters = 0;
  bool sharded_optimizer = true;
  double compute_tflops_per_gpu = 0;  // achieved model TFLOP/s per GPU; 0 = no compute time
  std::map<std::string, std::string> sources;  // key -> where its value comes from

  // Shape checks that need no cluster (degrees, divisibility, positive sizes). Throws ModelError.
  void validate() const;
  // Checks against the cluster: GPU count and TP within the scale-up domain. Throws ModelError.
  void validate_on(const ClusterConfig& cluster) const;
  std::int64_t degree(const std::string& kind) const;
  std::int64_t tokens_per_step() const {
    return dp * micro_batches_per_step * micro_batch_sequences * sequence_length_tokens;
  }
  // 6 x active parameters x tokens / (GPUs x achieved rate); 0 without a rate.
  double compute_time_us_per_step() const;
  // Layers and MoE layers of the busiest pipeline stage.
  std::int64_t stage_layers() const { return (layers + pipeline_balance_layers) / pp; }
  std::int64_t stage_moe_layers() const {
    return std::min(stage_layers(), (moe_layers + pp - 1) / pp);
  }
};

JobSpec parse_job_spec(const nlohmann::json& j, const std::string& origin);
// A preset name (see list_job_presets()) or a path to a JSON file. Throws ModelError.
JobSpec load_job_spec(const std::string& name_or_path);
std::vector<std::string> list_job_presets();
nlohmann::json to_json(const JobSpec& s);

}  // namespace fb::model
