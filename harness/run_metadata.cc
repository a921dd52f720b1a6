#include "harness/run_metadata.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fb_config.h"
#include "kernels/cuda_device.h"

namespace fb {
namespace {

nlohmann::json sweep_metadata(const RunOptions& opts) {
  nlohmann::json sweep = {{"minbytes", opts.min_bytes},
                          {"maxbytes", opts.max_bytes},
                          {"stepbytes", opts.step_bytes},
                          {"stepfactor", opts.step_factor},
                          {"iters", opts.iters},
                          {"warmup_iters", opts.warmup_iters},
                          {"check_iters", opts.check_iters},
                          {"average", static_cast<int>(opts.average)},
                          {"run_cycles", opts.run_cycles},
                          {"timeout_s", opts.timeout_s},
                          {"seed", opts.seed}};
  // What else shapes the rows, so --resume can tell a matching run from another one.
  std::vector<std::string> dtype_list, op_list;
  for (DType d : opts.dtypes) dtype_list.emplace_back(dtype_name(d));
  for (RedOp o : opts.ops) op_list.emplace_back(redop_name(o));
  sweep["dtypes"] = dtype_list;
  sweep["ops"] = op_list;
  sweep["root"] = opts.root;
  // Only with -g, so --resume still matches files written before -g existed.
  if (opts.gpus_per_process > 1) sweep["gpus_per_process"] = opts.gpus_per_process;
  // Likewise only when set: the host allocator keeps freed memory (--keep-heap).
  if (opts.keep_heap) sweep["keep_heap"] = true;
  if (opts.per_iter_timing == 1) {
    sweep["per_iter_timing"] = true;
    sweep["per_iter_skip"] = opts.per_iter_skip;
  }
  if (opts.split.active()) sweep["split"] = opts.split.describe();
  // nccl-tests' flags, each only when set (so --resume matches files written before them).
  if (opts.agg_iters != 1) sweep["agg_iters"] = opts.agg_iters;
  if (opts.unalign != 0) sweep["unalign"] = opts.unalign;
  if (opts.blocking != 0) sweep["blocking"] = opts.blocking;
  if (opts.report_cputime != 0) sweep["report_cputime"] = true;
  if (opts.report_timestamps != 0) sweep["report_timestamps"] = true;
  if (opts.stream_null != 0) sweep["stream_null"] = true;
  if (opts.memory_report != 0) sweep["memory_report"] = true;
  if (opts.parallel_init != 0) sweep["parallel_init"] = true;
  return sweep;
}

// This rank's row of meta.ranks (without "rank": the gatherer knows it).
nlohmann::json own_rank_row(World& world, bool device_buffers, const BindResult& bind,
                            int first_device) {
  nlohmann::json row = {{"host", hostname()},
                        {"pid", static_cast<long long>(getpid())},
                        {"device", device_buffers ? "cuda" : "cpu"},
                        {"cpuset", current_cpuset()},
                        {"binding", bind.description}};
  // Each rank's GPU, so a -g run's table shows one GPU per rank.
  if (device_buffers) {
    try {
      const GpuInfo info =
          gpu_info(gpu_for_rank(world.local_rank(), probe_gpus().count, first_device));
      row["device_index"] = info.index;
      row["device_bus_id"] = info.pci_bus_id;
      row["device_name"] = info.name;
    } catch (const std::exception&) {
      // The backend ran on it, so this is unlikely; the row just lacks the GPU.
    }
  }
  return row;
}

nlohmann::json split_metadata(const RunOptions& opts, const SplitLayout& layout) {
  nlohmann::json groups = nlohmann::json::array();
  for (const SplitGroup& g : layout.groups) {
    groups.push_back({{"group", g.color}, {"nranks", g.ranks.size()}, {"ranks", g.ranks}});
  }
  nlohmann::json split = {{"env", opts.split.env},
                          {"value", opts.split.text},
                          {"rule", opts.split.describe()},
                          {"ngroups", layout.groups.size()},
                          {"groups", groups}};
  if (!opts.split.note.empty()) split["note"] = opts.split.note;
  return split;
}

}  // namespace

nlohmann::json run_metadata(World& world, const RunOptions& opts, const Backend& backend,
                            const DeviceDecision& device, const BindResult& bind,
                            const SplitLayout& layout) {
  const bool device_buffers = device.kind == DeviceKind::kCuda;
  nlohmann::json meta;
  meta["tool"] = "fabricbench";
  meta["version"] = FB_VERSION;
  meta["git_commit"] = FB_GIT_COMMIT;
  meta["build_type"] = FB_BUILD_TYPE;
  meta["command_line"] = opts.argv;
  meta["start_time"] = utc_now();
  meta["collective"] = opts.collective->name;
  // From the collective registry, so readers (calibration) need no per-collective table.
  // Split runs: the rows' group (rank 0's); every group's own in meta.split and the rows.
  const int row_ranks = static_cast<int>(layout.groups.front().ranks.size());
  meta["bus_bw_factor"] = opts.collective->bus_bw_factor(row_ranks);
  meta["ring_steps"] = opts.collective->ring_steps(row_ranks);
  if (opts.collective->setup) meta["collective_setup"] = opts.collective->setup();
  meta["backend"] = backend.name();
  meta["algorithm"] = opts.backend == "own" ? opts.algo : "library";
  meta["device"] = device_buffers ? "cuda" : "cpu";
  meta["device_reason"] = device.reason;
  meta["nranks"] = world.size();
  meta["sweep"] = sweep_metadata(opts);
  if (opts.split.active()) meta["split"] = split_metadata(opts, layout);
  if (opts.first_device >= 0) meta["first_device"] = opts.first_device;  // NCCL_TESTS_DEVICE
  meta["mpi_library"] = world.library_version();
  meta["cuda_runtime"] = cuda_runtime_version();
  meta["cuda_driver"] = cuda_driver_version();
  nlohmann::json backend_meta = nlohmann::json::object();
  backend.describe(backend_meta);
  meta["backend_info"] = backend_meta;
  // The rows travel as JSON text: the control plane gathers strings.
  const std::vector<std::string> rows =
      world.allgather_string(own_rank_row(world, device_buffers, bind, opts.first_device).dump());
  nlohmann::json ranks = nlohmann::json::array();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    nlohmann::json row = nlohmann::json::parse(rows[r]);
    row["rank"] = static_cast<int>(r);
    if (opts.split.active()) {
      const SplitGroup& g = layout.group_of(static_cast<int>(r));
      row["group"] = g.color;
      row["group_rank"] =
          std::find(g.ranks.begin(), g.ranks.end(), static_cast<int>(r)) - g.ranks.begin();
    }
    ranks.push_back(std::move(row));
  }
  meta["ranks"] = ranks;
  if (world.rank() == 0) meta["machine"] = machine_summary();
  return meta;
}

}  // namespace fb
