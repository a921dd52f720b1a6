#include "fabric_model/job_spec.h"

#include <algorithm>
#include <fstream>

#include "fabric_model/embedded_data.h"

namespace fb::model {

namespace {

std::int64_t get_int(const nlohmann::json& j, const char* key, const std::string& where,
                     bool required, std::int64_t fallback) {
  if (!j.contains(key)) {
    if (required) throw ModelError(where + ": missing key '" + key + "'");
    return fallback;
  }
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw ModelError(where + ": '" + key + "' must be an integer");
  const auto x = v.get<std::int64_t>();
  if (x < 0) throw ModelError(where + ": '" + key + "' must not be negative");
  return x;
}

int dtype_bytes(const nlohmann::json& j, const char* key, const std::string& where,
                std::string& name) {
  if (!j.contains(key)) return name == "fp32" ? 4 : 2;
  if (!j.at(key).is_string()) throw ModelError(where + ": '" + key + "' must be a string");
  name = j.at(key).get<std::string>();
  if (name == "fp32") return 4;
  if (name == "bf16" || name == "fp16") return 2;
  if (name == "fp8") return 1;
  throw ModelError(where + ": unknown dtype '" + json_util::printable(name) + "' for '" + key +
                   "' (expected fp32, bf16, fp16, fp8)");
}

const nlohmann::json& object(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) throw ModelError(where + ": missing key '" + key + "'");
  if (!j.at(key).is_object()) throw ModelError(where + ": '" + key + "' must be an object");
  return j.at(key);
}

std::string positive(const char* what, std::int64_t v) {
  if (v > 0) return "";
  return std::string(what) + " must be positive (got " + std::to_string(v) + ")";
}

}  // namespace

std::int64_t JobSpec::degree(const std::string& kind) const {
  if (kind == "tp") return tp;
  if (kind == "cp") return cp;
  if (kind == "pp") return pp;
  if (kind == "dp") return dp;
  if (kind == "ep") return ep;
  throw ModelError("unknown parallel kind '" + kind + "'");
}

double JobSpec::compute_time_us_per_step() const {
  if (!(compute_tflops_per_gpu > 0)) return 0;
  const double active = static_cast<double>(active_parameters > 0 ? active_parameters : parameters);
  const double flops = 6.0 * active * static_cast<double>(tokens_per_step());
  return flops / (static_cast<double>(gpus) * compute_tflops_per_gpu * 1e12) * 1e6;
}

void JobSpec::validate() const {
  const std::string w = "job '" + json_util::printable(name) + "'";
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"gpus", gpus},
      {"tp", tp},
      {"cp", cp},
      {"pp", pp},
      {"dp", dp},
      {"ep", ep},
      {"parameters", parameters},
      {"layers", layers},
      {"hidden_size", hidden_size},
      {"attention_heads", attention_heads},
      {"kv_heads", kv_heads},
      {"micro_batch_sequences", micro_batch_sequences},
      {"sequence_length_tokens", sequence_length_tokens},
      {"micro_batches_per_step", micro_batches_per_step},
      {"bucket_parameters", bucket_parameters}};
  for (const auto& [key, v] : sizes) {
    const std::string why = positive(key, v);
    if (!why.empty()) {
      std::string m = w;
      m.append(": ").append(why);
      throw ModelError(m);
    }
  }
  if (compute_tflops_per_gpu < 0) throw ModelError(w + ": compute_tflops_per_gpu is negative");
  if (tp * cp * pp * dp != gpus)
    throw ModelError(w + ": tp x cp x pp x dp = " + std::to_string(tp * cp * pp * dp) +
                     " is not the job's GPU count " + std::to_string(gpus));
  if (dp % ep != 0)
    throw ModelError(w + ": ep (" + std::to_string(ep) + ") does not divide dp (" +
                     std::to_string(dp) + ")");
  if ((layers + pipeline_balance_layers) % pp != 0) {
    std::string m = w + ": layers (" + std::to_string(layers);
    if (pipeline_balance_layers > 0)
      m += " + pipeline_balance_layers " + std::to_string(pipeline_balance_layers);
    m += ") not divisible by pp (" + std::to_string(pp) + ")";
    throw ModelError(m);
  }
  if (pipeline_balance_layers >= pp)
    throw ModelError(w + ": pipeline_balance_layers must be below pp");
  if (moe_layers > layers) throw ModelError(w + ": moe_layers exceeds layers");
  if (kv_heads > attention_heads) throw ModelError(w + ": kv_heads exceeds attention_heads");
  if (sequence_length_tokens % cp != 0)
    throw ModelError(w + ": sequence_length_tokens not divisible by cp");
  if (ep > 1 || moe_layers > 0 || experts > 0) {
    if (experts <= 0 || top_k <= 0 || moe_layers <= 0)
      throw ModelError(w + ": an MoE job (ep > 1) needs experts, top_k and moe_layers > 0");
    if (experts % ep != 0)
      throw ModelError(w + ": ep (" + std::to_string(ep) + ") does not divide experts (" +
                       std::to_string(experts) + ")");
    if (top_k > experts) throw ModelError(w + ": top_k exceeds experts");
  }
  if (expert_parameters >= parameters)
    throw ModelError(w + ": expert_parameters must be below parameters");
  if (active_parameters > parameters)
    throw ModelError(w + ": active_parameters exceeds parameters");
  std::vector<std::string> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != std::vector<std::string>{"cp", "dp", "pp", "tp"})
    throw ModelError(w + ": order must name tp, cp, pp and dp once each (innermost first)");
}

void JobSpec::validate_on(const ClusterConfig& c) const {
  const std::string w = "job '" + json_util::printable(name) + "'";
  if (gpus > c.gpus)
    throw ModelError(w + ": needs " + std::to_string(gpus) + " GPUs, topology '" + c.name +
                     "' has " + std::to_string(c.gpus));
  if (tp > c.scaleup_domain_gpus)
    throw ModelError(w + ": tp (" + std::to_string(tp) + ") larger than the scale-up domain (" +
                     std::to_string(c.scaleup_domain_gpus) + " GPUs) of '" + c.name + "'");
  if (gpus % c.scaleup_domain_gpus != 0)
    throw ModelError(w + ": " + std::to_string(gpus) +
                     " GPUs are not a whole number of scale-up domains of " +
                     std::to_string(c.scaleup_domain_gpus));
}

JobSpec parse_job_spec(const nlohmann::json& j, const std::string& origin) {
  const std::string w = "job " + origin;
  json_util::reject_unknown_keys(
      j,
      {"name", "source", "gpus", "parallelism", "model", "batch", "dtypes", "bucket_parameters",
       "sharded_optimizer", "compute_tflops_per_gpu", "sources"},
      w);
  JobSpec s;
  if (j.contains("name") && j.at("name").is_string()) s.name = j.at("name").get<std::string>();
  if (j.contains("source") && j.at("source").is_string())
    s.source = j.at("source").get<std::string>();
  s.gpus = get_int(j, "gpus", w, true, 0);
  const auto& par = object(j, "parallelism", w);
  json_util::reject_unknown_keys(
      par, {"tp", "cp", "pp", "dp", "ep", "order", "pipeline_balance_layers"}, w + " parallelism");
  s.pipeline_balance_layers = get_int(par, "pipeline_balance_layers", w, false, 0);
  s.tp = get_int(par, "tp", w, true, 1);
  s.cp = get_int(par, "cp", w, false, 1);
  s.pp = get_int(par, "pp", w, true, 1);
  s.dp = get_int(par, "dp", w, true, 1);
  s.ep = get_int(par, "ep", w, false, 1);
  if (par.contains("order")) {
    const auto& o = par.at("order");
    if (!o.is_array()) throw ModelError(w + ": 'order' must be an array of tp, cp, pp, dp");
    s.order.clear();
    for (const auto& k : o) {
      if (!k.is_string()) throw ModelError(w + ": 'order' must be an array of tp, cp, pp, dp");
      s.order.push_back(k.get<std::string>());
    }
  }
  const auto& m = object(j, "model", w);
  json_util::reject_unknown_keys(
      m,
      {"parameters", "active_parameters", "expert_parameters", "layers", "moe_layers",
       "hidden_size", "attention_heads", "kv_heads", "experts", "top_k"},
      w + " model");
  s.parameters = get_int(m, "parameters", w, true, 0);
  s.active_parameters = get_int(m, "active_parameters", w, false, 0);
  s.expert_parameters = get_int(m, "expert_parameters", w, false, 0);
  s.layers = get_int(m, "layers", w, true, 0);
  s.moe_layers = get_int(m, "moe_layers", w, false, 0);
  s.hidden_size = get_int(m, "hidden_size", w, true, 0);
  s.attention_heads = get_int(m, "attention_heads", w, true, 0);
  s.kv_heads = get_int(m, "kv_heads", w, true, 0);
  s.experts = get_int(m, "experts", w, false, 0);
  s.top_k = get_int(m, "top_k", w, false, 0);
  const auto& b = object(j, "batch", w);
  json_util::reject_unknown_keys(
      b, {"micro_batch_sequences", "sequence_length_tokens", "micro_batches_per_step"},
      w + " batch");
  s.micro_batch_sequences = get_int(b, "micro_batch_sequences", w, true, 0);
  s.sequence_length_tokens = get_int(b, "sequence_length_tokens", w, true, 0);
  s.micro_batches_per_step = get_int(b, "micro_batches_per_step", w, true, 0);
  if (j.contains("dtypes")) {
    const auto& d = object(j, "dtypes", w);
    json_util::reject_unknown_keys(d, {"gradient", "parameter", "activation"}, w + " dtypes");
    s.gradient_bytes = dtype_bytes(d, "gradient", w, s.gradient_dtype);
    s.parameter_bytes = dtype_bytes(d, "parameter", w, s.parameter_dtype);
    s.activation_bytes = dtype_bytes(d, "activation", w, s.activation_dtype);
  }
  s.bucket_parameters = get_int(j, "bucket_parameters", w, true, 0);
  if (j.contains("sharded_optimizer")) {
    if (!j.at("sharded_optimizer").is_boolean())
      throw ModelError(w + ": 'sharded_optimizer' must be true or false");
    s.sharded_optimizer = j.at("sharded_optimizer").get<bool>();
  }
  if (j.contains("compute_tflops_per_gpu")) {
    if (!j.at("compute_tflops_per_gpu").is_number())
      throw ModelError(w + ": 'compute_tflops_per_gpu' must be a number");
    s.compute_tflops_per_gpu = j.at("compute_tflops_per_gpu").get<double>();
  }
  if (j.contains("sources")) {
    const auto& src = object(j, "sources", w);
    for (auto it = src.begin(); it != src.end(); ++it) {
      if (!it.value().is_string()) throw ModelError(w + ": sources must be strings");
      s.sources[it.key()] = it.value().get<std::string>();
    }
  }
  if (s.name.empty()) s.name = origin;
  s.validate();
  return s;
}

JobSpec load_job_spec(const std::string& name_or_path) {
  for (const auto& f : embedded_files()) {
    if (std::string(f.kind) == "jobs" && name_or_path == f.name) {
      return parse_job_spec(nlohmann::json::parse(f.text), std::string("preset ") + f.name);
    }
  }
  std::ifstream probe(name_or_path);
  if (!probe) {
    std::string names;
    for (const auto& n : list_job_presets()) {
      if (!names.empty()) names += ", ";
      names += n;
    }
    throw ModelError("unknown job '" + json_util::printable(name_or_path) +
                     "' (not a preset: " + names + "; not a readable file)");
  }
  const std::string text = json_util::read_text_file(name_or_path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ModelError("job " + json_util::printable(name_or_path) + ": not valid JSON (" +
                     json_util::printable(e.what()) + ")");
  }
  return parse_job_spec(j, json_util::printable(name_or_path));
}

std::vector<std::string> list_job_presets() {
  std::vector<std::string> out;
  for (const auto& f : embedded_files())
    if (std::string(f.kind) == "jobs") out.emplace_back(f.name);
  return out;
}

nlohmann::json to_json(const JobSpec& s) {
  return {{"name", s.name},
          {"source", s.source},
          {"gpus", s.gpus},
          {"parallelism",
           {{"tp", s.tp},
            {"cp", s.cp},
            {"pp", s.pp},
            {"dp", s.dp},
            {"ep", s.ep},
            {"order", s.order},
            {"pipeline_balance_layers", s.pipeline_balance_layers}}},
          {"model",
           {{"parameters", s.parameters},
            {"active_parameters", s.active_parameters},
            {"expert_parameters", s.expert_parameters},
            {"layers", s.layers},
            {"moe_layers", s.moe_layers},
            {"hidden_size", s.hidden_size},
            {"attention_heads", s.attention_heads},
            {"kv_heads", s.kv_heads},
            {"experts", s.experts},
            {"top_k", s.top_k}}},
          {"batch",
           {{"micro_batch_sequences", s.micro_batch_sequences},
            {"sequence_length_tokens", s.sequence_length_tokens},
            {"micro_batches_per_step", s.micro_batches_per_step}}},
          {"dtypes",
           {{"gradient", s.gradient_dtype},
            {"parameter", s.parameter_dtype},
            {"activation", s.activation_dtype}}},
          {"bucket_parameters", s.bucket_parameters},
          {"sharded_optimizer", s.sharded_optimizer},
          {"compute_tflops_per_gpu", s.compute_tflops_per_gpu},
          {"sources", s.sources}};
}

}  // namespace fb::model
