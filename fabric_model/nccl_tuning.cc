#include "fabric_model/nccl_tuning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "fabric_model/embedded_data.h"

namespace fb::model::nccl {

namespace {

constexpr std::array<const char*, kNumAlgorithms> kAlgoNames = {
    "tree", "ring", "collnet_direct", "collnet_chain", "nvls", "nvls_tree", "pat"};
constexpr std::array<const char*, kNumAlgorithms> kNcclAlgoNames = {
    "Tree", "Ring", "CollNetDirect", "CollNetChain", "NVLS", "NVLSTree", "PAT"};
constexpr std::array<const char*, kNumProtocols> kProtoNames = {"LL", "LL128", "Simple"};
constexpr std::array<const char*, 3> kHwNames = {"nvlink", "pci", "net"};
constexpr std::array<const char*, 3> kSpeedArrayNames = {"sm_pre90", "sm90", "sm100"};
constexpr int kHwNvlink = 0, kHwPci = 1, kHwNet = 2;

int ai(Algorithm a) { return static_cast<int>(a); }
int pi(Protocol p) { return static_cast<int>(p); }

int coll_index(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return 0;
    case Collective::kAllGather:
      return 1;
    case Collective::kReduceScatter:
      return 2;
    default:
      throw ModelError("nccl method: " + fb::model::to_string(c) +
                       " has no NCCL tuning model (NCCL tunes only collectives; p2p is not "
                       "modelled)");
  }
}

// NCCL's log2i (bitops.h log2Down): floor(log2(n)), -1 for 0.
int log2i(std::uint64_t n) {
  int l = -1;
  while (n != 0) {
    n >>= 1;
    ++l;
  }
  return l;
}

// ---------------------------------------------------------------- constants file parsing

class Reader {
 public:
  Reader(const nlohmann::json& constants, std::string origin, Constants& out)
      : c_(constants), origin_(std::move(origin)), out_(out) {}

  // The entry's value; checks {value, source} and records the source.
  const nlohmann::json& value(const std::string& name) {
    const std::string where = origin_ + ": constant '" + name + "'";
    if (!c_.contains(name)) throw ModelError(where + " is missing");
    const auto& e = c_.at(name);
    json_util::reject_unknown_keys(e, {"value", "source"}, where);
    if (!e.contains("source") || !e.at("source").is_string() ||
        e.at("source").get<std::string>().empty())
      throw ModelError(where + ": needs a non-empty 'source'");
    if (!e.contains("value")) throw ModelError(where + ": needs a 'value'");
    out_.sources[name] = e.at("source").get<std::string>();
    return e.at("value");
  }
  double num(const nlohmann::json& v, const std::string& name) const {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      throw ModelError(origin_ + ": constant '" + name + "': expected a non-negative number");
    return v.get<double>();
  }
  double scalar(const std::string& name) { return num(value(name), name); }
  int integer(const std::string& name) {
    const double d = scalar(name);
    if (d != std::floor(d) || d > 1e6)
      throw ModelError(origin_ + ": constant '" + name + "': expected an integer");
    return static_cast<int>(d);
  }
  std::vector<double> vec(const nlohmann::json& v, const std::string& name, std::size_t n) const {
    if (!v.is_array() || (n != 0 && v.size() != n) || v.empty())
      throw ModelError(origin_ + ": constant '" + name + "': expected an array of " +
                       (n != 0 ? std::to_string(n) : std::string("at least 1")) + " numbers");
    std::vector<double> out;
    for (const auto& x : v) out.push_back(num(x, name));
    return out;
  }
  template <std::size_t R, std::size_t C>
  std::array<std::array<double, C>, R> matrix(const std::string& name) {
    const auto& v = value(name);
    if (!v.is_array() || v.size() != R)
      throw ModelError(origin_ + ": constant '" + name + "': expected " + std::to_string(R) +
                       " rows");
    std::array<std::array<double, C>, R> out{};
    for (std::size_t r = 0; r < R; ++r) {
      const auto row = vec(v[r], name, C);
      std::copy(row.begin(), row.end(), out[r].begin());
    }
    return out;
  }
  AlgoProtoTable algo_table(const nlohmann::json& v, const std::string& name) const {
    std::vector<std::string> keys(kAlgoNames.begin(), kAlgoNames.end());
    json_util::reject_unknown_keys(v, keys, origin_ + ": constant '" + name + "'");
    AlgoProtoTable t{};
    for (int a = 0; a < kNumAlgorithms; ++a) {
      if (!v.contains(kAlgoNames[a]))
        throw ModelError(origin_ + ": constant '" + name + "': missing algorithm '" +
                         kAlgoNames[a] + "'");
      const auto row = vec(v.at(kAlgoNames[a]), name, kNumProtocols);
      std::copy(row.begin(), row.end(), t[a].begin());
    }
    return t;
  }
  // An object with exactly `keys`, each read by `f`.
  template <typename F>
  void keyed(const nlohmann::json& v, const std::string& name, const std::vector<std::string>& keys,
             F f) const {
    json_util::reject_unknown_keys(v, keys, origin_ + ": constant '" + name + "'");
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!v.contains(keys[i]))
        throw ModelError(origin_ + ": constant '" + name + "': missing '" + keys[i] + "'");
      f(i, v.at(keys[i]));
    }
  }

 private:
  const nlohmann::json& c_;
  std::string origin_;
  Constants& out_;
};

const std::vector<std::string>& constant_names() {
  static const std::vector<std::string> kNames = {"base_latency_us",
                                                  "hw_latency_us",
                                                  "ll_max_gbytes_per_s",
                                                  "per_channel_max_ring_ll128_gbytes_per_s",
                                                  "per_channel_max_tree_ll128_gbytes_per_s",
                                                  "per_channel_max_tree_gbytes_per_s",
                                                  "per_channel_max_nvls_tree_gbytes_per_s",
                                                  "tree_correction_factor",
                                                  "tree_correction_log_size_limit",
                                                  "nvls_tree_correction_log_size_limit",
                                                  "tree_correction_size_shift_bits",
                                                  "nvls_tree_correction_min_compcap",
                                                  "ring_ll_bw_factor",
                                                  "ring_ll128_bw_factor",
                                                  "tree_allreduce_bw_factor",
                                                  "tree_ll_bw_divisor",
                                                  "tree_ll128_bw_factor_one_node",
                                                  "tree_ll128_bw_factor_multi_node",
                                                  "tree_pattern_tree_bw_factor",
                                                  "tree_bus_to_alg_ratio",
                                                  "collnet_bus_to_alg_ratio",
                                                  "collnet_allgather_inter_factor",
                                                  "collnet_direct_arity_latency_us",
                                                  "max_direct_arity",
                                                  "max_nvls_arity",
                                                  "nvls_efficiency",
                                                  "nvls_tree_two_node_inter_factor",
                                                  "nvls_allreduce_intra_factor",
                                                  "pat_bw_factor",
                                                  "pat_log_latency_divisor",
                                                  "pat_linear_latency_per_rank_us",
                                                  "pat_min_compcap",
                                                  "ring_plateau_factor",
                                                  "ring_plateau_factor_pre_sm80",
                                                  "ring_plateau_min_bytes_per_rank_per_channel",
                                                  "net_overhead_us",
                                                  "net_overhead_simple_multiplier",
                                                  "speed_array_inter_gbytes_per_s",
                                                  "speed_array_intra_gbytes_per_s",
                                                  "dup_channels_min_bw_gbytes_per_s",
                                                  "dup_channels_skip_below_gbytes_per_s",
                                                  "dup_channels_skip_above_channels",
                                                  "ring_max_channels"};
  return kNames;
}

template <typename T>
struct Field {
  const char* name;
  T Constants::*member;
};

const std::vector<Field<int>>& int_fields() {
  static const std::vector<Field<int>> kFields = {
      {"tree_correction_log_size_limit", &Constants::tree_correction_log_size_limit},
      {"nvls_tree_correction_log_size_limit", &Constants::nvls_tree_correction_log_size_limit},
      {"tree_correction_size_shift_bits", &Constants::tree_correction_size_shift_bits},
      {"nvls_tree_correction_min_compcap", &Constants::nvls_tree_correction_min_compcap},
      {"max_direct_arity", &Constants::max_direct_arity},
      {"max_nvls_arity", &Constants::max_nvls_arity},
      {"pat_min_compcap", &Constants::pat_min_compcap},
      {"dup_channels_skip_above_channels", &Constants::dup_channels_skip_above_channels},
      {"ring_max_channels", &Constants::ring_max_channels}};
  return kFields;
}

const std::vector<Field<double>>& double_fields() {
  static const std::vector<Field<double>> kFields = {
      {"ring_ll_bw_factor", &Constants::ring_ll_bw_factor},
      {"ring_ll128_bw_factor", &Constants::ring_ll128_bw_factor},
      {"tree_allreduce_bw_factor", &Constants::tree_allreduce_bw_factor},
      {"tree_ll_bw_divisor", &Constants::tree_ll_bw_divisor},
      {"tree_ll128_bw_factor_one_node", &Constants::tree_ll128_bw_factor_one_node},
      {"tree_ll128_bw_factor_multi_node", &Constants::tree_ll128_bw_factor_multi_node},
      {"tree_pattern_tree_bw_factor", &Constants::tree_pattern_tree_bw_factor},
      {"tree_bus_to_alg_ratio", &Constants::tree_bus_to_alg_ratio},
      {"collnet_bus_to_alg_ratio", &Constants::collnet_bus_to_alg_ratio},
      {"collnet_allgather_inter_factor", &Constants::collnet_allgather_inter_factor},
      {"collnet_direct_arity_latency_us", &Constants::collnet_direct_arity_latency_us},
      {"nvls_tree_two_node_inter_factor", &Constants::nvls_tree_two_node_inter_factor},
      {"nvls_allreduce_intra_factor", &Constants::nvls_allreduce_intra_factor},
      {"pat_bw_factor", &Constants::pat_bw_factor},
      {"pat_log_latency_divisor", &Constants::pat_log_latency_divisor},
      {"pat_linear_latency_per_rank_us", &Constants::pat_linear_latency_per_rank_us},
      {"ring_plateau_factor", &Constants::ring_plateau_factor},
      {"ring_plateau_factor_pre_sm80", &Constants::ring_plateau_factor_pre_sm80},
      {"ring_plateau_min_bytes_per_rank_per_channel",
       &Constants::ring_plateau_min_bytes_per_rank_per_channel},
      {"net_overhead_simple_multiplier", &Constants::net_overhead_simple_multiplier},
      {"dup_channels_min_bw_gbytes_per_s", &Constants::dup_channels_min_bw_gbytes_per_s},
      {"dup_channels_skip_below_gbytes_per_s", &Constants::dup_channels_skip_below_gbytes_per_s}};
  return kFields;
}
}  // namespace

std::string to_string(Algorithm a) { return kAlgoNames[ai(a)]; }
std::string to_string(Protocol p) { return kProtoNames[pi(p)]; }
std::string nccl_name(Algorithm a) { return kNcclAlgoNames[ai(a)]; }

Algorithm algorithm_from_string(const std::string& s) {
  for (int a = 0; a < kNumAlgorithms; ++a)
    if (s == kAlgoNames[a]) return static_cast<Algorithm>(a);
  throw ModelError("unknown NCCL algorithm '" + json_util::printable(s) +
                   "' (expected ring, tree, collnet_direct, collnet_chain, nvls, nvls_tree or "
                   "pat)");
}

Protocol protocol_from_string(const std::string& s) {
  for (int p = 0; p < kNumProtocols; ++p)
    if (s == kProtoNames[p]) return static_cast<Protocol>(p);
  throw ModelError("unknown NCCL protocol '" + json_util::printable(s) +
                   "' (expected LL, LL128 or Simple)");
}

Constants parse_constants(const nlohmann::json& j, const std::string& origin) {
  json_util::reject_unknown_keys(j, {"nccl_version", "commit", "files", "notes", "constants"},
                                 origin);
  Constants k;
  for (const char* key : {"nccl_version", "commit"}) {
    if (!j.contains(key) || !j.at(key).is_string() || j.at(key).get<std::string>().empty())
      throw ModelError(origin + ": needs a non-empty string '" + key + "'");
  }
  k.nccl_version = j.at("nccl_version").get<std::string>();
  k.commit = j.at("commit").get<std::string>();
  if (!j.contains("constants")) throw ModelError(origin + ": needs 'constants'");
  const auto& c = j.at("constants");
  json_util::reject_unknown_keys(c, constant_names(), origin + ": constants");
  Reader r(c, origin, k);

  k.base_latency_us = r.algo_table(r.value("base_latency_us"), "base_latency_us");
  r.keyed(r.value("hw_latency_us"), "hw_latency_us", {kHwNames.begin(), kHwNames.end()},
          [&](std::size_t i, const nlohmann::json& v) {
            k.hw_latency_us[i] = r.algo_table(v, "hw_latency_us");
          });
  k.ll_max_gbytes_per_s = r.matrix<kNumCompCaps, kNumNodeClasses>("ll_max_gbytes_per_s");
  k.per_channel_max_ring_ll128_gbytes_per_s =
      r.matrix<kNumCompCaps, kNumNodeClasses>("per_channel_max_ring_ll128_gbytes_per_s");
  k.per_channel_max_tree_ll128_gbytes_per_s =
      r.matrix<kNumCompCaps, kNumNodeClasses>("per_channel_max_tree_ll128_gbytes_per_s");
  k.per_channel_max_tree_gbytes_per_s =
      r.matrix<kNumCompCaps, kNumNodeClasses>("per_channel_max_tree_gbytes_per_s");
  k.per_channel_max_nvls_tree_gbytes_per_s =
      r.matrix<kNumCompCaps, kNumNodeClasses>("per_channel_max_nvls_tree_gbytes_per_s");
  k.tree_correction_factor = r.matrix<kNumProtocols, 24>("tree_correction_factor");
  for (const auto& f : int_fields()) k.*f.member = r.integer(f.name);
  for (const auto& f : double_fields()) k.*f.member = r.scalar(f.name);
  if (k.tree_correction_log_size_limit > 24 || k.nvls_tree_correction_log_size_limit > 24)
    throw ModelError(origin + ": tree correction log size limits must be <= 24 (table width)");
  if (k.tree_ll_bw_divisor == 0 || k.pat_log_latency_divisor == 0)
    throw ModelError(origin + ": tree_ll_bw_divisor and pat_log_latency_divisor must be > 0");
  if (k.ring_max_channels < 1) throw ModelError(origin + ": ring_max_channels must be >= 1");
  {
    const auto v = r.vec(r.value("nvls_efficiency"), "nvls_efficiency", kNumCompCaps);
    std::copy(v.begin(), v.end(), k.nvls_efficiency.begin());
  }
  r.keyed(r.value("net_overhead_us"), "net_overhead_us", {"intel", "amd", "other"},
          [&](std::size_t i, const nlohmann::json& v) {
            const double x = r.num(v, "net_overhead_us");
            (i == 0   ? k.net_overhead_intel_us
             : i == 1 ? k.net_overhead_amd_us
                      : k.net_overhead_other_us) = x;
          });
  for (const char* name : {"speed_array_inter_gbytes_per_s", "speed_array_intra_gbytes_per_s"}) {
    auto& dst = std::string(name) == "speed_array_inter_gbytes_per_s"
                    ? k.speed_array_inter_gbytes_per_s
                    : k.speed_array_intra_gbytes_per_s;
    r.keyed(r.value(name), name, {kSpeedArrayNames.begin(), kSpeedArrayNames.end()},
            [&](std::size_t i, const nlohmann::json& v) {
              dst[i] = r.vec(v, name, 0);
              if (!std::is_sorted(dst[i].rbegin(), dst[i].rend()) || dst[i].back() <= 0)
                throw ModelError(origin + ": constant '" + name +
                                 "': speeds must be positive and descending");
            });
  }
  return k;
}

Constants constants_from_text(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    throw ModelError(origin + ": invalid JSON: " + what);
  }
  return parse_constants(j, origin);
}

const Constants& default_constants() {
  static const Constants kDefault = [] {
    for (const auto& f : embedded_files())
      if (std::string(f.kind) == "tuning" && std::string(f.name) == "nccl_2_30")
        return constants_from_text(f.text, "tuning/nccl_2_30.json");
    throw ModelError("tuning/nccl_2_30.json is not embedded (fabric_model/CMakeLists.txt)");
  }();
  return kDefault;
}

// ---------------------------------------------------------------- table

const Entry& Table::at(Collective c, Algorithm a, Protocol p) const {
  return e[coll_index(c)][ai(a)][pi(p)];
}

namespace {

int compcap_index(int cc) { return cc >= 100 ? 3 : cc >= 90 ? 2 : cc >= 80 ? 1 : 0; }
int speed_array_index(int cc) { return cc >= 100 ? 2 : cc >= 90 ? 1 : 0; }

// Which (collective, algorithm, protocol) NCCL has a model for at all (cost_model.cc modelMap and
// each model's init): the reason when it has none, else "".
std::string existence_reason(int c, Algorithm a, Protocol p) {
  const bool ar = c == 0;
  const std::string simple_only =
      nccl_name(a) + " has Simple only (no " + to_string(p) + " implementation in NCCL)";
  switch (a) {
    case Algorithm::kTree:
      return ar ? "" : "Tree exists only for all_reduce (src/tuning/tree.cc)";
    case Algorithm::kRing:
      return "";
    case Algorithm::kCollNetDirect:
      return p != Protocol::kSimple ? simple_only : "";
    case Algorithm::kCollNetChain:
      if (p != Protocol::kSimple) return simple_only;
      return ar ? "" : "CollNetChain exists only for all_reduce (cost_model.cc modelMap)";
    case Algorithm::kNvls:
      return p != Protocol::kSimple ? simple_only : "";
    case Algorithm::kNvlsTree:
      if (p != Protocol::kSimple) return simple_only;
      return ar ? "" : "NVLSTree exists only for all_reduce (src/tuning/nvls.cc)";
    case Algorithm::kPat:
      if (p != Protocol::kSimple) return simple_only;
      return ar ? "PAT exists only for all_gather and reduce_scatter (src/tuning/pat.cc)" : "";
  }
  return "?";
}

}  // namespace

Table build_table(const Job& job, const Constants& k) {
  const std::int64_t n = job.ranks, nodes = job.nodes;
  if (n < 2) throw ModelError("nccl method: needs at least 2 ranks (NCCL runs no model for 1)");
  if (nodes < 1 || n % nodes != 0)
    throw ModelError("nccl method: ranks (" + std::to_string(n) +
                     ") must be a positive multiple of nodes (" + std::to_string(nodes) + ")");
  if (job.compute_capability <= 0) throw ModelError("nccl method: compute capability must be > 0");
  Table t;
  t.job = job;
  const std::int64_t ppn = n / nodes;  // nRanks / nNodes (integer, as NCCL's latency terms)
  const double ppn_f = static_cast<double>(ppn);
  const int cc = job.compute_capability, cci = compcap_index(cc);
  // ncclTuningGetConstantsIndexes: index2 by node count, index1 by GPU (1 node) or CPU vendor.
  const int index2 = nodes <= 2 ? static_cast<int>(nodes) - 1 : 2;
  const bool amd_like = job.cpu == CpuVendor::kAmd || job.cpu == CpuVendor::kMixed;
  const int index1 = nodes == 1 ? cci : (amd_like ? 1 : 0);
  const double ll_max = k.ll_max_gbytes_per_s[index1][index2];
  const int intra_hw = job.nvlink_intra ? kHwNvlink : kHwPci;
  const int inter_hw = nodes == 1 ? intra_hw : kHwNet;
  const int log_nodes = log2i(static_cast<std::uint64_t>(nodes));
  const double net_overhead_base = job.cpu == CpuVendor::kIntel ? k.net_overhead_intel_us
                                   : job.cpu == CpuVendor::kAmd ? k.net_overhead_amd_us
                                                                : k.net_overhead_other_us;
  // isLL128Enabled with LL128_C2C=1: intra path <= NVB (NVLink), NIC path <= PXN on SM90+ or
  // <= PXB before; compute capability >= 70. The NIC path is assumed PIX/PXB (a NIC per GPU
  // behind its PCIe switch), which passes both.
  std::string ll128_reason;
  if (cc < 70) ll128_reason = "LL128 needs compute capability >= 70 (isLL128Enabled)";
  if (!job.nvlink_intra)
    ll128_reason = "LL128 off: intra-node path is PCI, NCCL enables it only up to PATH_NVB";
  const bool nvls_support = job.nvls_multicast && cc >= 90;
  const GraphInfo& nvls_graph = job.graphs[ai(Algorithm::kNvls)];
  const int collnet_heads = job.graphs[ai(Algorithm::kCollNetDirect)].channels;

  for (int c = 0; c < kNumCollectives; ++c) {
    const bool ar = c == 0;
    const std::int64_t nsteps = ar ? 2 * (n - 1) : n - 1;
    const std::int64_t ninter = nodes == 1 ? 0 : ar ? 2 * (nodes - 1) : nodes - 1;
    for (int a = 0; a < kNumAlgorithms; ++a) {
      const auto algo = static_cast<Algorithm>(a);
      const GraphInfo& g = job.graphs[a];
      const double nch = g.channels;
      for (int p = 0; p < kNumProtocols; ++p) {
        const auto proto = static_cast<Protocol>(p);
        Entry& e = t.e[c][a][p];
        e.reason = existence_reason(c, algo, proto);
        if (e.reason.empty() && proto == Protocol::kLL128) e.reason = ll128_reason;
        // Model-specific gating (each model's init and sim).
        if (e.reason.empty() && (algo == Algorithm::kNvls || algo == Algorithm::kNvlsTree)) {
          if (!nvls_support)
            e.reason = cc < 90 ? "NVLS needs SM90+ (search.cc builds no NVLS graph below)"
                               : "no NVSwitch multicast (NVLink SHARP): comm->nvlsSupport = 0";
          else if (algo == Algorithm::kNvlsTree && nodes == 1)
            e.reason = "NVLSTree needs more than one node (src/tuning/nvls.cc)";
          else if (algo == Algorithm::kNvls && nodes > 1 && !job.collnet_enable)
            e.reason = "multi-node NVLS needs NCCL_COLLNET_ENABLE=1 (src/tuning/nvls.cc)";
          else if (nvls_graph.channels < 2)
            e.reason = "NVLS graph has fewer than 2 channels (src/tuning/nvls.cc)";
          else if (!ar && ppn > k.max_nvls_arity)
            e.reason = "NVLS all_gather/reduce_scatter needs <= NCCL_MAX_NVLS_ARITY local ranks";
          else if (algo == Algorithm::kNvls && nodes > 1 && !job.in_network_reduction)
            e.reason = "multi-node NVLS needs CollNet support (in-network reduction)";
          else if (algo == Algorithm::kNvls && nodes > 1 && !ar && ppn > collnet_heads)
            e.reason =
                "multi-node NVLS all_gather/reduce_scatter needs local ranks <= CollNet "
                "heads";
        }
        if (e.reason.empty() &&
            (algo == Algorithm::kCollNetDirect || algo == Algorithm::kCollNetChain)) {
          if (!job.in_network_reduction)
            e.reason = "no in-network reduction on this fabric (no CollNet plugin / SHARP)";
          else if (!job.collnet_enable && !job.nvlink_intra)
            e.reason = "CollNet without NCCL_COLLNET_ENABLE needs an NVSwitch system";
          else if (nodes > 1 && !job.collnet_enable)
            e.reason = "multi-node CollNet needs NCCL_COLLNET_ENABLE=1 (src/tuning/collnet.cc)";
          else if (nodes > 1 && ppn > collnet_heads)
            e.reason = "CollNet needs local ranks <= CollNet heads (one NIC per GPU)";
          else if (ppn > k.max_direct_arity + 1)
            e.reason = "CollNet needs <= NCCL_MAX_DIRECT_ARITY+1 local ranks";
        }
        if (e.reason.empty() && algo == Algorithm::kPat) {
          if (cc < k.pat_min_compcap)
            e.reason = "PAT needs SM60+ (CUDA atomics)";
          else if (!job.pat_enable)
            e.reason = "PAT disabled (NCCL_PAT_ENABLE=0)";
          else if (nodes != n)
            e.reason = "PAT needs one GPU per node (nNodes == nRanks, src/tuning/pat.cc)";
        }
        if (!e.reason.empty()) continue;
        if (g.channels < 1 || g.bw_intra_gbytes_per_s <= 0 || g.bw_inter_gbytes_per_s <= 0) {
          e.reason = nccl_name(algo) + " graph has no channels or bandwidth";
          continue;
        }

        const double intra_lat = k.hw_latency_us[intra_hw][a][p];
        // interLat: the algorithm's NET latency (its intra latency on one node) plus the graph's
        // network latency, twice for Simple (the flush).
        double inter_lat = nodes == 1 ? intra_lat : k.hw_latency_us[kHwNet][a][p];
        inter_lat += g.latency_inter_us;
        if (proto == Protocol::kSimple) inter_lat += g.latency_inter_us;
        double bw = 0, lat = k.base_latency_us[a][p];
        switch (algo) {
          case Algorithm::kRing: {
            double bus = (nodes > 1 ? g.bw_inter_gbytes_per_s : g.bw_intra_gbytes_per_s) * nch;
            if (proto == Protocol::kLL) bus = std::min(ll_max, bus * k.ring_ll_bw_factor);
            if (proto == Protocol::kLL128)
              bus = std::min(bus * k.ring_ll128_bw_factor,
                             nch * k.per_channel_max_ring_ll128_gbytes_per_s[cci][index2]);
            bw = bus * static_cast<double>(n) / static_cast<double>(nsteps);
            // Every step at least pays the network post overhead on multi-node rings.
            double overhead = 0;
            if (nodes > 1) {
              overhead = net_overhead_base;
              if (proto == Protocol::kSimple) overhead *= k.net_overhead_simple_multiplier;
            }
            lat += static_cast<double>(nsteps - ninter) * std::max(intra_lat, overhead) +
                   static_cast<double>(ninter) * inter_lat;
            break;
          }
          case Algorithm::kTree: {
            double bus = std::min(g.bw_inter_gbytes_per_s, g.bw_intra_gbytes_per_s) * nch;
            bus = std::min(bus * k.tree_allreduce_bw_factor,
                           nch * k.per_channel_max_tree_gbytes_per_s[cci][index2]);
            if (proto == Protocol::kLL) bus = std::min(bus / k.tree_ll_bw_divisor, ll_max);
            if (proto == Protocol::kLL128)
              bus = std::min(bus * (nodes == 1 ? k.tree_ll128_bw_factor_one_node
                                               : k.tree_ll128_bw_factor_multi_node),
                             nch * k.per_channel_max_tree_ll128_gbytes_per_s[cci][index2]);
            if (g.pattern == "tree") bus *= k.tree_pattern_tree_bw_factor;
            bw = bus * k.tree_bus_to_alg_ratio;
            lat += 2 * (static_cast<double>(ppn - 1) * intra_lat + log_nodes * inter_lat);
            break;
          }
          case Algorithm::kCollNetDirect:
          case Algorithm::kCollNetChain: {
            // collnet.cc at this commit computes the all_gather/reduce_scatter value
            // ppn * min(bwIntra, 0.9 bwInter) and the all_reduce one from the same variable (its
            // loop carries reduce_scatter's value into all_reduce), divided by the GPU/NIC factor;
            // its Hopper 0.85 compares the table index with 90 and never applies. As written.
            double bus =
                ppn_f * std::min(g.bw_intra_gbytes_per_s,
                                 g.bw_inter_gbytes_per_s * k.collnet_allgather_inter_factor);
            if (ar) {
              double factor = ppn_f / nch;  // GPU/NIC ratio
              factor -= (factor - 1) / 2;
              bus /= factor;
            }
            bw = bus * k.collnet_bus_to_alg_ratio;
            if (algo == Algorithm::kCollNetDirect)
              lat += 2 * (static_cast<double>(std::min<std::int64_t>(1, ppn - 1)) * intra_lat +
                          static_cast<double>(ppn - 1) * k.collnet_direct_arity_latency_us) +
                     inter_lat;
            else
              lat += 2 * static_cast<double>(ppn - 1) * intra_lat + inter_lat;
            break;
          }
          case Algorithm::kNvls:
          case Algorithm::kNvlsTree: {
            double intra_bw = g.bw_intra_gbytes_per_s * k.nvls_efficiency[cci] * (nch - 1) / nch;
            intra_bw *= ar ? k.nvls_allreduce_intra_factor : (ppn_f - 1) / ppn_f;
            const double inter_bw =
                g.bw_inter_gbytes_per_s * ((nodes <= 2 && algo == Algorithm::kNvlsTree)
                                               ? k.nvls_tree_two_node_inter_factor
                                               : 1.0);
            double per_ch = std::min(intra_bw, inter_bw);
            if (algo == Algorithm::kNvlsTree)
              per_ch = std::min(per_ch, k.per_channel_max_nvls_tree_gbytes_per_s[cci][index2]);
            bw = per_ch * nch * static_cast<double>(n) / static_cast<double>(nsteps);
            if (algo == Algorithm::kNvls)
              lat = intra_lat + (nodes > 1 ? inter_lat : 0);  // replaces the base latency
            else
              lat += intra_lat + 2 * log_nodes * inter_lat;
            break;
          }
          case Algorithm::kPat: {
            bw = std::min(g.bw_inter_gbytes_per_s, g.bw_intra_gbytes_per_s) * nch * k.pat_bw_factor;
            // PAT adds the graph latency once (no flush term) to the inter hardware latency.
            const double pat_inter = k.hw_latency_us[inter_hw][a][p] + g.latency_inter_us;
            lat += log_nodes * (pat_inter / k.pat_log_latency_divisor) +
                   static_cast<double>(n) * k.pat_linear_latency_per_rank_us;
            break;
          }
        }
        if (!(bw > 0)) {
          e.reason = nccl_name(algo) + " bandwidth is 0 for this job";
          continue;
        }
        e.applicable = true;
        e.latency_us = lat;
        e.bandwidth_gbytes_per_s = bw;
      }
    }
  }
  return t;
}

AlgoTime algo_time(const Table& t, const Constants& k, Collective c, Algorithm a, Protocol p,
                   Bytes bytes) {
  const Entry& e = t.at(c, a, p);
  AlgoTime r;
  r.algo = a;
  r.proto = p;
  r.applicable = e.applicable;
  r.reason = e.reason;
  if (!e.applicable) return r;
  double lat = e.latency_us, bw = e.bandwidth_gbytes_per_s;
  const Job& job = t.job;
  const int log_size = log2i(bytes >> k.tree_correction_size_shift_bits);
  const bool ar = c == Collective::kAllReduce;
  if (a == Algorithm::kTree && ar && log_size >= 0 && log_size < k.tree_correction_log_size_limit)
    bw *= k.tree_correction_factor[pi(p)][log_size];
  if (a == Algorithm::kNvlsTree && ar && log_size >= 0 &&
      log_size < k.nvls_tree_correction_log_size_limit &&
      job.compute_capability >= k.nvls_tree_correction_min_compcap && job.x86)
    bw *= k.tree_correction_factor[pi(p)][log_size];
  // Ring/Simple multi-node all_reduce: latency grows once each rank's share per channel reaches
  // 64 B (integer division, as NCCL; comm->nChannels taken as the ring graph's channels).
  if (a == Algorithm::kRing && p == Protocol::kSimple && job.nodes > 1 && ar) {
    const auto per = static_cast<std::uint64_t>(job.graphs[ai(Algorithm::kRing)].channels) *
                     static_cast<std::uint64_t>(job.ranks);
    const std::uint64_t share = per > 0 ? bytes / per : 0;  // integer division, as NCCL
    if (per > 0 && static_cast<double>(share) >= k.ring_plateau_min_bytes_per_rank_per_channel)
      lat *= job.compute_capability < 80 ? k.ring_plateau_factor_pre_sm80 : k.ring_plateau_factor;
  }
  // latCount = 1: one collective per launch (numPipeOps = 1).
  r.latency_us = lat;
  r.bandwidth_gbytes_per_s = bw;
  r.bandwidth_us = static_cast<double>(bytes) / (1000.0 * bw);
  r.time_us = r.latency_us + r.bandwidth_us;
  return r;
}

std::vector<AlgoTime> rank_candidates(const Table& t, const Constants& k, Collective c,
                                      Bytes bytes) {
  std::vector<AlgoTime> out;
  for (int a = 0; a < kNumAlgorithms; ++a)
    for (int p = 0; p < kNumProtocols; ++p)
      out.push_back(algo_time(t, k, c, static_cast<Algorithm>(a), static_cast<Protocol>(p), bytes));
  // NCCL keeps the first strictly smaller time in id order (algo * 3 + proto).
  std::stable_sort(out.begin(), out.end(), [](const AlgoTime& x, const AlgoTime& y) {
    if (x.applicable != y.applicable) return x.applicable;
    return x.applicable && x.time_us < y.time_us;
  });
  return out;
}

// ---------------------------------------------------------------- graphs from the topology

namespace {

// Largest speed of the array <= limit (the array's last entry when none is).
double largest_speed_at_most(const std::vector<double>& speeds, double limit) {
  for (double s : speeds)
    if (s <= limit) return s;
  return speeds.back();
}

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

DerivedGraphs derive_graphs(const ClusterConfig& topo, std::int64_t ranks, const Constants& k,
                            const Options& o) {
  if (topo.gpus_per_server < 1) throw ModelError("nccl method: gpus_per_server must be >= 1");
  DerivedGraphs d;
  const int gpn = static_cast<int>(std::min<std::int64_t>(topo.gpus_per_server, ranks));
  const bool multi = ranks > topo.gpus_per_server;
  const int cc = topo.gpu_compute_capability;
  const int si = speed_array_index(cc);
  const double nic = gbytes_per_s(topo.nic_gbps);      // GB/s per GPU (all planes)
  const double nvl = gbytes_per_s(topo.scaleup_gbps);  // GB/s per GPU per direction
  if (multi && nic <= 0)
    throw ModelError("nccl method: " + std::to_string(ranks) +
                     " GPUs span several servers but nic_gbps is 0 (NCCL needs a NIC between "
                     "nodes)");
  const auto& inter = k.speed_array_inter_gbytes_per_s[si];
  const auto& intra = k.speed_array_intra_gbytes_per_s[si];
  const std::string arr = std::string(kSpeedArrayNames[si]);

  // ncclTopoDupChannels: double channels (halve bw) when bw >= 25, unless SM>80, bw < 50 and > 4
  // channels; never above ringGraph.maxChannels.
  auto dup = [&](GraphInfo& g) {
    const double bw = g.bw_intra_gbytes_per_s;
    if (bw < k.dup_channels_min_bw_gbytes_per_s) return false;
    if (cc > 80 && bw < k.dup_channels_skip_below_gbytes_per_s &&
        g.channels > k.dup_channels_skip_above_channels)
      return false;
    const int dup_ch = std::min(g.channels * 2, k.ring_max_channels);
    const int div = (dup_ch + g.channels - 1) / g.channels;
    g.bw_intra_gbytes_per_s /= div;
    g.bw_inter_gbytes_per_s /= div;
    g.channels = dup_ch;
    return div > 1;
  };

  GraphInfo ring;
  ring.pattern = "ring";
  std::string ring_rule;
  if (multi) {
    // One ring channel per NIC (one NIC per GPU); per-channel bw = largest inter speed <= NIC
    // GB/s whose channels all fit through one GPU's NVLink (search.cc totalBw check).
    ring.channels = std::min(gpn, k.ring_max_channels);
    double limit = nic;
    if (nvl > 0) limit = std::min(limit, nvl / ring.channels);
    ring.bw_inter_gbytes_per_s = ring.bw_intra_gbytes_per_s = largest_speed_at_most(inter, limit);
    ring_rule = "ring/tree: " + std::to_string(ring.channels) +
                " channels (one per NIC), per-channel bw = largest " + arr +
                " inter speed <= min(NIC " + fmt(nic) + " GB/s, NVLink " + fmt(nvl) + " GB/s / " +
                std::to_string(ring.channels) + " channels) = " + fmt(ring.bw_inter_gbytes_per_s);
  } else {
    // One node: largest intra speed <= the GPU's NVLink bandwidth, as many channels as fit.
    const double bw = largest_speed_at_most(intra, nvl > 0 ? nvl : intra.back());
    ring.bw_inter_gbytes_per_s = ring.bw_intra_gbytes_per_s = bw;
    ring.channels = std::max(
        1, std::min(k.ring_max_channels, static_cast<int>(std::floor((nvl > 0 ? nvl : bw) / bw))));
    ring_rule = "ring/tree: per-channel bw = largest " + arr + " intra speed <= NVLink " +
                fmt(nvl) + " GB/s = " + fmt(bw) +
                ", channels = floor(NVLink / bw) = " + std::to_string(ring.channels);
  }
  if (dup(ring))
    ring_rule += "; duplicated (bw >= 25 GB/s, search.cc ncclTopoDupChannels) to " +
                 std::to_string(ring.channels) + " x " + fmt(ring.bw_inter_gbytes_per_s) + " GB/s";
  d.rules.push_back(ring_rule);

  GraphInfo tree = ring;
  tree.pattern = "balanced_tree";
  GraphInfo collnet = ring;
  collnet.pattern = "collnet_direct";
  collnet.channels = gpn;  // one head per GPU/NIC
  d.rules.push_back(
      "tree: the ring's channels and bw, pattern balanced_tree (treeGraph channels "
      "= ringGraph's); collnet: " +
      std::to_string(gpn) + " heads (one per NIC) at the ring's per-channel bw");

  GraphInfo nvls;
  nvls.pattern = "nvls";
  nvls.channels = std::min(gpn, k.max_nvls_arity);
  if (multi) {
    nvls.bw_inter_gbytes_per_s = nvls.bw_intra_gbytes_per_s = largest_speed_at_most(inter, nic);
    d.rules.push_back("nvls/nvls_tree: " + std::to_string(nvls.channels) +
                      " heads (one per GPU/NIC), bw = largest " + arr +
                      " inter speed <= NIC = " + fmt(nvls.bw_inter_gbytes_per_s) + " GB/s");
  } else {
    // Intra-node NVLS pulls evenly from all GPUs (minChannels = maxChannels = GPUs); non-ring
    // patterns see totalBw * n/(n-1).
    const double total = nvl * (gpn > 1 ? gpn / (gpn - 1.0) : 1.0);
    nvls.bw_inter_gbytes_per_s = nvls.bw_intra_gbytes_per_s =
        largest_speed_at_most(intra, nvls.channels > 0 ? total / nvls.channels : 0);
    d.rules.push_back(
        "nvls: " + std::to_string(nvls.channels) + " heads, bw = largest " + arr +
        " intra speed <= NVLink x n/(n-1) / heads = " + fmt(nvls.bw_intra_gbytes_per_s) + " GB/s");
  }
  GraphInfo pat = ring;  // PAT runs on the ring graph's channels
  d.rules.push_back("pat: the ring graph");

  d.graphs[ai(Algorithm::kRing)] = ring;
  d.graphs[ai(Algorithm::kTree)] = tree;
  d.graphs[ai(Algorithm::kCollNetDirect)] = collnet;
  d.graphs[ai(Algorithm::kCollNetChain)] = collnet;
  d.graphs[ai(Algorithm::kNvls)] = nvls;
  d.graphs[ai(Algorithm::kNvlsTree)] = nvls;
  d.graphs[ai(Algorithm::kPat)] = pat;
  for (int a = 0; a < kNumAlgorithms; ++a) {
    const GraphOverride& ov = o.graphs[a];
    GraphInfo& g = d.graphs[a];
    bool any = false;
    if (ov.channels) g.channels = *ov.channels, any = true;
    if (ov.bw_intra_gbytes_per_s) g.bw_intra_gbytes_per_s = *ov.bw_intra_gbytes_per_s, any = true;
    if (ov.bw_inter_gbytes_per_s) g.bw_inter_gbytes_per_s = *ov.bw_inter_gbytes_per_s, any = true;
    if (ov.latency_inter_us) g.latency_inter_us = *ov.latency_inter_us, any = true;
    if (ov.pattern) g.pattern = *ov.pattern, any = true;
    if (g.channels < 1 || g.bw_intra_gbytes_per_s < 0 || g.bw_inter_gbytes_per_s < 0 ||
        g.latency_inter_us < 0)
      throw ModelError("nccl method: " + nccl_name(static_cast<Algorithm>(a)) +
                       " graph override must have channels >= 1 and non-negative values");
    if (any)
      d.rules.push_back(nccl_name(static_cast<Algorithm>(a)) + " graph overridden: " +
                        std::to_string(g.channels) + " x " + fmt(g.bw_intra_gbytes_per_s) + "/" +
                        fmt(g.bw_inter_gbytes_per_s) + " GB/s intra/inter");
  }
  d.unknowns.emplace_back(
      "the speed NCCL's graph search actually settles on (it tries the speed array down and back "
      "up, with timeouts; the derived bw is its starting point)");
  d.unknowns.emplace_back(
      "PCI/NUMA layout and NIC-GPU affinity (path types PIX/PXB/PXN/SYS), which gate LL128 and "
      "the channel count");
  d.unknowns.emplace_back("crossNic, sameChannels and the tree's pass-2 bwIntra increase");
  d.unknowns.emplace_back(
      "NIC fusion of the planes (NCCL may see one 400G device or two 200G ones)");
  d.unknowns.emplace_back(
      "multi-node NVLink (NVL72 MNNVL): NCCL may count the NVLink domain, not the server, as its "
      "node; here nodes = servers");
  d.unknowns.emplace_back(
      "comm->nChannels after NCCL's own channel setup (the ring plateau threshold uses the ring "
      "graph's channels)");
  d.unknowns.emplace_back("the network plugin's latency (graph latencyInter, 0 here)");
  d.unknowns.emplace_back(
      "NCCL_* environment (NCCL_ALGO, NCCL_PROTO, NCCL_NTHREADS, NCCL_MIN/MAX_NCHANNELS, "
      "NCCL_NET_OVERHEAD, NCCL_COLLNET_ENABLE) and tuner plugins that rewrite the table");
  d.unknowns.emplace_back(
      "symmetric-memory kernels and CE collectives (registered buffers) that can replace these "
      "choices");
  d.unknowns.emplace_back(
      "the channel count per call (ncclTuningGetChannels shrinks channels for small sizes; time "
      "is unaffected in NCCL's model)");
  return d;
}

Job make_job(const ClusterConfig& topo, const FabricProfile& fab, std::int64_t ranks,
             const DerivedGraphs& g, const Options& o) {
  Job j;
  j.ranks = ranks;
  const std::int64_t gpn = topo.gpus_per_server;
  if (ranks > gpn && ranks % gpn != 0)
    throw ModelError("nccl method: gpus (" + std::to_string(ranks) +
                     ") must be a multiple of gpus_per_server (" + std::to_string(gpn) + ")");
  j.nodes = ranks > gpn ? ranks / gpn : 1;
  j.compute_capability = topo.gpu_compute_capability;
  j.cpu = o.cpu;
  j.nvlink_intra = topo.scaleup_gbps > 0;
  j.nvls_multicast = topo.scaleup_multicast;
  j.in_network_reduction = fab.in_network_reduction.supported;
  j.collnet_enable = o.collnet_enable.value_or(j.in_network_reduction);
  j.pat_enable = o.pat_enable;
  j.graphs = g.graphs;
  return j;
}

// ---------------------------------------------------------------- entry point

// bus_factor: the model's collective table (traffic.h), nccl-tests' factors.

std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topo, const FabricProfile& fab,
                                        const EvalOptions& o, const std::string& algo,
                                        const std::string& protocol,
                                        const std::vector<Bytes>& sizes) {
  return evaluate_sizes(topo, fab, o, algo, protocol, sizes, Options{});
}

std::vector<ModelResult> evaluate_sizes(const ClusterConfig& topo, const FabricProfile& fab,
                                        const EvalOptions& o, const std::string& algo,
                                        const std::string& protocol,
                                        const std::vector<Bytes>& sizes, const Options& nccl) {
  const Collective coll = o.collective;
  coll_index(coll);  // alltoall/permutation: ModelError
  const bool choose = algo == "auto" || algo == "all";
  std::optional<Algorithm> forced_algo;
  if (!choose) forced_algo = algorithm_from_string(algo);
  std::optional<Protocol> forced_proto;
  if (!protocol.empty()) forced_proto = protocol_from_string(protocol);

  const Constants& k = default_constants();
  const std::int64_t ranks = o.gpus > 0 ? o.gpus : topo.gpus;
  const DerivedGraphs graphs = derive_graphs(topo, ranks, k, nccl);
  const Job job = make_job(topo, fab, ranks, graphs, nccl);
  const Table table = build_table(job, k);

  std::vector<std::string> approx;
  approx.emplace_back(
      "NCCL's tuning model (" + k.nccl_version + ", commit " + k.commit.substr(0, 12) +
      "): NCCL's estimate of its own time, not a fabric simulation; no congestion, routing "
      "or placement");
  approx.emplace_back(
      "flow-model overrides (--scaleup-gbps, step latencies, base latency, reduce rate, qps) do "
      "not enter NCCL's formulas and are ignored");
  approx.emplace_back(
      "job as NCCL sees it: " + std::to_string(job.ranks) + " ranks, " + std::to_string(job.nodes) +
      " nodes, SM" + std::to_string(job.compute_capability) + ", CPU assumed " +
      (nccl.cpu == CpuVendor::kIntel ? "x86 Intel"
       : nccl.cpu == CpuVendor::kAmd ? "x86 AMD"
                                     : "other/mixed") +
      ", " + (job.nvlink_intra ? "NVLink" : "PCI") + " intra, NVLS multicast " +
      (job.nvls_multicast ? "yes" : "no") + ", in-network reduction " +
      (job.in_network_reduction ? "yes" : "no") + ", NCCL_COLLNET_ENABLE " +
      (job.collnet_enable ? "1" : "0") + ", PAT " + (job.pat_enable ? "auto" : "off"));
  approx.emplace_back(
      "bytes = nccl-tests size (all_gather: output, reduce_scatter: input), one collective per "
      "launch (latCount 1)");
  approx.emplace_back(
      "later 2.30.x ring/tree changes are not modelled (see the notes of tuning/nccl_2_30.json): "
      "with one rank per node NCCL's ring latency would use the Tree NET latency");
  for (const auto& r : graphs.rules) approx.push_back("graph rule: " + r);
  for (const auto& u : graphs.unknowns) approx.push_back("NCCL's search would decide: " + u);

  std::vector<ModelResult> out;
  for (Bytes bytes : sizes) {
    std::vector<AlgoTime> ranked = rank_candidates(table, k, coll, bytes);
    std::vector<AlgoTime> pool;
    for (const auto& c : ranked) {
      if (forced_algo && c.algo != *forced_algo) continue;
      if (forced_proto && c.proto != *forced_proto) continue;
      pool.push_back(c);
    }
    if (pool.empty() || !pool.front().applicable) {
      // Simple is the protocol every algorithm has: its reason names the algorithm's own limit.
      std::string why = pool.empty() ? "no candidate" : pool.front().reason;
      for (const auto& c : pool)
        if (!forced_proto && c.proto == Protocol::kSimple) why = c.reason;
      throw ModelError("nccl method: " + (forced_algo ? nccl_name(*forced_algo) : "no algorithm") +
                       (forced_proto ? "/" + to_string(*forced_proto) : std::string()) +
                       " does not apply to " + fb::model::to_string(coll) + ": " + why);
    }
    const AlgoTime& best = pool.front();
    ModelResult r;
    r.topology = topo.name;
    r.fabric = fab.name;
    r.routing = to_string(fab.routing);
    r.collective = fb::model::to_string(coll);
    r.algo = to_string(best.algo);
    r.protocol = to_string(best.proto);
    r.placement = fb::model::to_string(o.placement);
    r.method = "nccl";
    r.selection = forced_algo ? "forced" : "auto";
    r.gpus = ranks;
    r.bytes = bytes;
    r.time_us = r.time_us_min = r.time_us_max = best.time_us;
    r.seed_time_us = {best.time_us};
    r.algbw_gbps = static_cast<double>(bytes) / (best.time_us * 1e3);
    r.busbw_gbps = r.algbw_gbps * bus_factor(coll, ranks);
    r.breakdown.latency_us = best.latency_us;
    r.breakdown.bandwidth_us = best.bandwidth_us;
    for (const auto& c : pool) {
      Candidate cand;
      cand.algo = to_string(c.algo);
      cand.protocol = to_string(c.proto);
      cand.applicable = c.applicable;
      cand.reason = c.reason;
      cand.time_us = c.time_us;
      cand.busbw_gbps =
          c.applicable ? static_cast<double>(bytes) / (c.time_us * 1e3) * bus_factor(coll, ranks)
                       : 0;
      r.candidates.push_back(cand);
    }
    r.approximations = approx;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace fb::model::nccl
