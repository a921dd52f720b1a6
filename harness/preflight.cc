#include "harness/preflight.h"

#include <cstdio>

#include "harness/exit_codes.h"
#include "harness/rank_errors.h"
#include "harness/sizes.h"
#include "kernels/cuda_device.h"

namespace fb {
namespace {

DeviceDecision choose_device(DeviceChoice choice) {
  DeviceDecision d;
  if (choice == DeviceChoice::kCpu) {
    d.reason = "CPU mode: --device cpu";
    return d;
  }
  const GpuProbe probe = probe_gpus();
  if (probe.count > 0) {
    d.kind = DeviceKind::kCuda;
    d.reason = "CUDA mode: " + std::to_string(probe.count) + " GPU(s) visible";
    return d;
  }
  if (choice == DeviceChoice::kCuda) {
    d.error = "--device cuda but no usable GPU: " + probe.reason;
    return d;
  }
  d.reason = "CPU mode: no usable GPU (" + probe.reason + "); host buffers, CPU reduction kernels";
  return d;
}

// Device buffers: refused before cudaMalloc, with the numbers, like host memory.
std::string device_memory_error(World& world, const RunOptions& opts, const SweepPlan& plan) {
  try {
    const int count = probe_gpus().count;
    const int dev = gpu_for_rank(world.local_rank(), count, opts.first_device);
    if (dev < 0) {
      return "NCCL_TESTS_DEVICE=" + std::to_string(opts.first_device) + ": local rank " +
             std::to_string(world.local_rank()) + " would use GPU " +
             std::to_string(opts.first_device + world.local_rank()) + ", but " +
             std::to_string(count) + " are visible";
    }
    const int per_gpu = (world.local_size() + count - 1) / count;
    return check_device_memory(plan, per_gpu, gpu_info(dev).memory_bytes);
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

int preflight(World& world, const RunOptions& opts, const SplitLayout& layout, Preflight* out) {
  const bool split = opts.split.active();
  if (!split && opts.root >= world.size()) {
    if (world.rank() == 0) {
      std::fprintf(stderr, "fabricbench: -r/--root %d is not a rank (the job has %d ranks)\n",
                   opts.root, world.size());
    }
    return kExitUsage;
  }
  if (split && opts.collective->uses_root &&
      (opts.root >= layout.min_group_size() || (opts.root < 0 && !layout.equal_sizes()))) {
    if (world.rank() == 0) {
      std::fprintf(stderr,
                   "fabricbench: -r/--root %d is not a rank of every group: %s=%s makes %zu "
                   "groups of %d to %d ranks%s\n",
                   opts.root, opts.split.env.c_str(), quote_arg(opts.split.text).c_str(),
                   layout.groups.size(), layout.min_group_size(), layout.max_group_size(),
                   opts.root < 0 ? " (-r -1 needs groups of one size)" : "");
    }
    return kExitUsage;
  }
  // What the collective itself cannot do with these sizes (alltoallv's matrix file).
  const CollectiveDef& coll = *opts.collective;
  const int group_size = static_cast<int>(layout.group_of(world.rank()).ranks.size());
  const std::string coll_error =
      coll.check_run ? coll.check_run(opts.min_bytes, opts.max_bytes, group_size) : "";
  if (report_rank_errors(world, coll_error)) return kExitUsage;
  // Output files are checked before anything runs, so a typo costs nothing.
  std::string path_error;
  if (world.rank() == 0) {
    for (const std::string* p : {&opts.json_path, &opts.csv_path}) {
      if (!p->empty() && path_error.empty()) path_error = check_output_path(*p);
    }
  }
  if (report_rank_errors(world, path_error)) return kExitUsage;
  // Before any buffer is allocated (process-wide; ranks that are threads set it alike).
  const std::string heap_error = opts.keep_heap ? keep_freed_heap() : std::string();
  if (report_rank_errors(world, heap_error)) return kExitUsage;
  out->device = choose_device(opts.device);
  if (report_rank_errors(world, out->device.error)) return kExitUsage;
  out->plan = plan_sweep(opts, static_cast<int>(layout.group_of(world.rank()).ranks.size()),
                         out->device_buffers());
  const std::string mem_error =
      check_memory(out->plan, world.local_size(), available_memory_bytes());
  if (report_rank_errors(world, mem_error)) return kExitUsage;
  const std::string dev_mem_error =
      out->device_buffers() ? device_memory_error(world, opts, out->plan) : std::string();
  if (report_rank_errors(world, dev_mem_error)) return kExitUsage;
  return kExitOk;
}

BindResult bind_this_rank(World& world, const RunOptions& opts, bool device_buffers,
                          BindScope scope) {
  if (!opts.bind) {
    BindResult bind;
    bind.description = "not bound (--no-bind)";
    return bind;
  }
  // In CUDA mode a rank runs on the cores nearest its GPU.
  std::string gpu_bus;
  if (device_buffers) {
    try {
      const int dev = gpu_for_rank(world.local_rank(), probe_gpus().count, opts.first_device);
      if (dev >= 0) gpu_bus = gpu_pci_bus_id(dev);
    } catch (const std::exception&) {
      gpu_bus.clear();  // bind to a core instead; bind_rank says why in the metadata
    }
  }
  return bind_rank(world.local_rank(), world.local_size(), gpu_bus, scope);
}

std::unique_ptr<Backend> make_rank_backend(World& world, World& team, const RunOptions& opts,
                                           DeviceKind kind) {
  BackendOptions bopts;
  bopts.device = kind;
  bopts.algo = opts.algo;
  bopts.blocking = opts.blocking;
  bopts.cuda_graph = opts.cuda_graph;
  bopts.first_device = opts.first_device;
  bopts.stream_null = opts.stream_null == 1;
  std::unique_ptr<Backend> backend;
  std::string error;
  try {
    backend = find_backend(opts.backend)->make(team, bopts);
    if (!backend->supports(*opts.collective)) {
      error = "backend " + opts.backend + " does not support " + opts.collective->name;
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (report_rank_errors(world, error)) return nullptr;
  return backend;
}

bool load_resume(World& world, RunOptions& opts, nlohmann::json& meta, int row_ranks,
                 std::vector<SizeResult>* rows) {
  if (opts.resume_path.empty()) return true;
  std::string error;
  if (world.rank() == 0) {
    try {
      *rows = load_resume_rows(opts.resume_path, meta, opts, row_ranks);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (report_rank_errors(world, error)) return false;
  double steps = static_cast<double>(rows->size());
  world.allreduce_max(&steps, 1);
  opts.resume_steps = static_cast<std::size_t>(steps);
  meta["resumed_from"] = {{"file", opts.resume_path}, {"sizes", opts.resume_steps}};
  return true;
}

}  // namespace fb
