#include "harness/runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <stdexcept>

#include "harness/stats.h"
#include "harness/watchdog.h"
#include "kernels/datagen.h"

namespace fb {
namespace {

// Buffers allocated once at the largest size of the sweep through the backend (host or device).
class DeviceBuffer {
 public:
  DeviceBuffer(Backend& b, std::size_t bytes) : backend_(b), p_(b.alloc(bytes)) {}
  ~DeviceBuffer() { backend_.free(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  unsigned char* get() const { return static_cast<unsigned char*>(p_); }

 private:
  Backend& backend_;
  void* p_;
};

struct Buffers {
  std::unique_ptr<DeviceBuffer> send, recv;
  std::vector<unsigned char> host_in, host_out, expected;  // staging and reference, host side
};

std::string phase_name(const SizeResult& row, bool in_place, const char* stage) {
  std::string s = row.collective + " " + std::to_string(row.bytes) + " B " + row.dtype;
  if (row.op != "none") s += " " + row.op;
  s += in_place ? " in-place" : " out-of-place";
  return s + " (" + stage + ")";
}

// nccl-tests' -S timestamp: local time, "%Y-%m-%d %H:%M:%S".
std::string local_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Each group's timing of one variant from every job rank's own mean time (seconds): combined
// over the group's ranks as -a says (0: the group's first rank), with the group's byte count and
// bus factor.
std::vector<GroupTiming> group_timings(const CollectiveDef& coll, const SplitLayout& layout,
                                       std::size_t size, std::size_t es,
                                       const std::vector<double>& rank_mean_s, AverageMode mode) {
  std::vector<GroupTiming> out;
  for (const SplitGroup& g : layout.groups) {
    GroupTiming gt;
    gt.color = g.color;
    gt.nranks = static_cast<int>(g.ranks.size());
    gt.bytes = coll.counts(size, es, gt.nranks).bytes;
    double v = rank_mean_s[static_cast<std::size_t>(g.ranks.front())];
    for (int r : g.ranks) {
      const double x = rank_mean_s[static_cast<std::size_t>(r)];
      switch (mode) {
        case AverageMode::kRank0:
          break;
        case AverageMode::kMean:
          if (r != g.ranks.front()) v += x;
          break;
        case AverageMode::kMin:
          v = std::min(v, x);
          break;
        case AverageMode::kMax:
          v = std::max(v, x);
          break;
      }
    }
    if (mode == AverageMode::kMean) v /= static_cast<double>(g.ranks.size());
    gt.time_us = v * 1e6;
    gt.algbw_gbps = v > 0 ? static_cast<double>(gt.bytes) / v / 1e9 : 0.0;
    gt.busbw_gbps = gt.algbw_gbps * coll.bus_bw_factor(gt.nranks);
    out.push_back(gt);
  }
  return out;
}

}  // namespace

void SummaryBuilder::add(const SizeResult& row) {
  for (const Timing* t : {&row.out_of_place, &row.in_place}) {
    if (!t->measured) continue;
    if (t->wrong > 0) {
      s_.wrong_total += t->wrong;
      ++s_.out_of_bounds;
    }
    busbw_sum_ += t->busbw_gbps;
    ++busbw_n_;
    if (t->rank_time_us.size() >= 2) {
      std::vector<double> sorted = t->rank_time_us;
      std::sort(sorted.begin(), sorted.end());
      const double median = quantile_sorted(sorted, 0.5);
      const auto slowest = std::max_element(t->rank_time_us.begin(), t->rank_time_us.end());
      const double ratio = median > 0 ? *slowest / median : 0.0;
      if (ratio > s_.slowest_ratio) {
        s_.slowest_ratio = ratio;
        s_.slowest_rank = static_cast<int>(slowest - t->rank_time_us.begin());
        s_.slowest_bytes = row.bytes;
        s_.slowest_variant = t == &row.in_place ? "in-place" : "out-of-place";
      }
    }
    if (!t->groups.empty()) {
      if (s_.groups.empty()) {
        for (const GroupTiming& g : t->groups) s_.groups.push_back({g.color, g.nranks, 0.0, 0});
        group_busbw_sum_.assign(t->groups.size(), 0.0);
      }
      for (std::size_t i = 0; i < t->groups.size() && i < s_.groups.size(); ++i) {
        group_busbw_sum_[i] += t->groups[i].busbw_gbps;
        if (t->groups[i].wrong > 0) s_.groups[i].wrong_total += t->groups[i].wrong;
      }
    }
    if (t->busbw_gbps > s_.peak_busbw_gbps) {
      s_.peak_busbw_gbps = t->busbw_gbps;
      s_.peak_bytes = row.bytes;
      s_.peak_variant = t == &row.in_place ? "in-place" : "out-of-place";
    }
  }
}

RunSummary SummaryBuilder::summary(bool complete) const {
  RunSummary s = s_;
  // nccl-tests' average: over every size and both variants.
  s.avg_busbw_gbps = busbw_n_ ? busbw_sum_ / busbw_n_ : 0.0;
  for (std::size_t i = 0; i < s.groups.size(); ++i) {
    s.groups[i].avg_busbw_gbps = busbw_n_ ? group_busbw_sum_[i] / busbw_n_ : 0.0;
  }
  s.complete = complete;
  return s;
}

std::vector<double> time_timed_iterations(const RunOptions& opts, Backend& backend, World& world,
                                          const CollArgs& args, CallObserver* watchdog,
                                          bool device_buffers) {
  const int m = opts.agg_iters;
  std::vector<double> out;
  if (!device_buffers && (opts.blocking == 1 || opts.blocking == 3)) {
    for (int i = 0; i < opts.iters; ++i) {
      if (watchdog) watchdog->begin_call();
      const auto t0 = std::chrono::steady_clock::now();
      for (int a = 0; a < m; ++a) {
        backend.run(args);
        backend.sync();
        if (opts.blocking == 1) world.barrier();
      }
      const auto t1 = std::chrono::steady_clock::now();
      if (opts.blocking == 3) world.barrier();
      if (watchdog) watchdog->end_call();
      out.push_back(std::chrono::duration<double>(t1 - t0).count() / m);
    }
    return out;
  }
  const std::vector<double> calls = backend.time_iterations(args, opts.iters * m, watchdog);
  for (int i = 0; i < opts.iters; ++i) {
    double sum = 0;
    for (int a = 0; a < m; ++a)
      sum += calls[static_cast<std::size_t>(i) * static_cast<std::size_t>(m) +
                   static_cast<std::size_t>(a)];
    out.push_back(sum / m);
  }
  return out;
}

SweepPlan plan_sweep(const RunOptions& opts, int nranks, bool device_buffers) {
  SweepPlan plan;
  for (DType t : opts.dtypes) {
    const CollCounts c = opts.collective->counts(opts.max_bytes, dtype_size(t), nranks);
    plan.send_bytes = std::max(plan.send_bytes, c.send_count * dtype_size(t));
    // In place, the receive buffer also holds the input (reduce_scatter's is the larger).
    plan.recv_bytes =
        std::max({plan.recv_bytes, c.recv_count * dtype_size(t), c.send_count * dtype_size(t)});
  }
  // Host: the input staging, the output copy and the expected result (the receive size each), and
  // the buffers themselves when they live on the host.
  // -u: the buffers start that many bytes into their allocation.
  plan.send_bytes += static_cast<std::size_t>(opts.unalign);
  plan.recv_bytes += static_cast<std::size_t>(opts.unalign);
  plan.host_bytes = std::max(plan.send_bytes, plan.recv_bytes) + 2 * plan.recv_bytes;
  if (!device_buffers) plan.host_bytes += plan.send_bytes + plan.recv_bytes;
  return plan;
}

std::string check_memory(const SweepPlan& plan, int local_ranks, std::size_t available_bytes) {
  const double need = static_cast<double>(plan.host_bytes) * local_ranks;
  if (available_bytes != 0 && need > 0.9 * static_cast<double>(available_bytes)) {
    return "sizes do not fit in host memory: " + std::to_string(local_ranks) + " ranks x " +
           std::to_string(plan.host_bytes) + " B needed, " + std::to_string(available_bytes) +
           " B available (lower -e/--maxbytes)";
  }
  return "";
}

std::string check_device_memory(const SweepPlan& plan, int ranks_per_gpu,
                                std::size_t device_total_bytes) {
  const std::size_t per_rank = plan.send_bytes + plan.recv_bytes;
  const double need = static_cast<double>(per_rank) * ranks_per_gpu;
  if (device_total_bytes != 0 && need > 0.9 * static_cast<double>(device_total_bytes)) {
    return "sizes do not fit in device memory: " + std::to_string(ranks_per_gpu) + " ranks x " +
           std::to_string(per_rank) + " B needed per GPU, " + std::to_string(device_total_bytes) +
           " B on the GPU (lower -e/--maxbytes)";
  }
  return "";
}

double combine_rank_times(World& world, double mine, AverageMode mode) {
  double v = mine;
  switch (mode) {
    case AverageMode::kRank0:
      v = world.rank() == 0 ? mine : 0.0;
      world.allreduce_sum(&v, 1);
      return v;
    case AverageMode::kMean:
      world.allreduce_sum(&v, 1);
      return v / world.size();
    case AverageMode::kMin:
      world.allreduce_min(&v, 1);
      return v;
    case AverageMode::kMax:
      world.allreduce_max(&v, 1);
      return v;
  }
  return v;
}

void for_each_sweep_step(const RunOptions& opts, int nranks,
                         const std::function<bool(const SweepStep&)>& fn) {
  const CollectiveDef& coll = *opts.collective;
  const std::vector<std::size_t> sizes =
      make_sweep(opts.min_bytes, opts.max_bytes, opts.step_bytes, opts.step_factor);
  const std::vector<RedOp> ops = coll.uses_op ? opts.ops : std::vector<RedOp>{RedOp::kSum};
  SweepStep step;
  for (step.cycle = 0; opts.run_cycles == 0 || step.cycle < opts.run_cycles; ++step.cycle) {
    for (DType dtype : opts.dtypes) {
      step.dtype = dtype;
      for (RedOp op : ops) {
        step.op = op;
        const bool every_root = coll.uses_root && opts.root < 0;
        const int first_root = every_root ? 0 : std::max(opts.root, 0);
        const int last_root = every_root ? nranks - 1 : first_root;
        for (step.root = first_root; step.root <= last_root; ++step.root) {
          for (std::size_t size : sizes) {
            step.size = size;
            step.counts = coll.counts(size, dtype_size(dtype), nranks);
            if (!fn(step)) return;
          }
        }
      }
    }
  }
}

RunSummary run_sweep(const RunOptions& opts, Backend& backend, World& world, CallObserver* watchdog,
                     bool device_buffers, const std::function<void(const SizeResult&)>& on_row,
                     const SweepGroups& groups) {
  const CollectiveDef& coll = *opts.collective;
  // The collective's ranks: this rank's group (split runs) or the whole job.
  World& team = groups.group != nullptr ? *groups.group : world;
  const SplitLayout* layout = groups.group != nullptr ? groups.layout : nullptr;
  const int nranks = team.size();
  const int rank = team.rank();
  const int job_ranks = world.size();
  const int job_rank = world.rank();
  // Rows show rank 0's group, as nccl-tests' table does (every group's own numbers: t.groups).
  const int row_ranks =
      layout != nullptr ? static_cast<int>(layout->groups[0].ranks.size()) : nranks;
  const SweepPlan plan = plan_sweep(opts, nranks, device_buffers);

  Buffers buf;
  buf.send = std::make_unique<DeviceBuffer>(backend, std::max<std::size_t>(plan.send_bytes, 1));
  buf.recv = std::make_unique<DeviceBuffer>(backend, std::max<std::size_t>(plan.recv_bytes, 1));
  const std::size_t stage = std::max(plan.send_bytes, plan.recv_bytes);
  buf.host_in.resize(stage);
  buf.host_out.resize(plan.recv_bytes);
  buf.expected.resize(plan.recv_bytes);
  // Touch everything now: first-touch page faults would otherwise be timed.
  std::memset(buf.host_in.data(), 0, buf.host_in.size());
  backend.copy_from_host(buf.send->get(), buf.host_in.data(), plan.send_bytes);
  backend.copy_from_host(buf.recv->get(), buf.host_in.data(), plan.recv_bytes);

  // -u: both buffers start this many bytes past their (page-aligned) allocation.
  unsigned char* const send_base = buf.send->get() + opts.unalign;
  unsigned char* const recv_base = buf.recv->get() + opts.unalign;
  SummaryBuilder summary;
  std::size_t step_index = 0;

  for_each_sweep_step(opts, row_ranks, [&](const SweepStep& step) {
    if (step_index++ < opts.resume_steps) return true;  // measured by the run being resumed
    const int cycle = step.cycle;
    const DType dtype = step.dtype;
    const RedOp op = step.op;
    const std::size_t es = dtype_size(dtype);
    SizeResult row;
    row.collective = coll.name;
    row.cycle = cycle;
    row.dtype = dtype_name(dtype);
    row.op = coll.uses_op ? redop_name(op) : "none";
    row.root = coll.uses_root ? step.root : -1;
    CollArgs args;
    args.coll = &coll;
    args.dtype = dtype;
    args.op = op;
    args.root = step.root;
    args.counts = coll.counts(step.size, es, nranks);
    row.bytes = step.counts.bytes;
    row.count = step.counts.param_count;
    row.algo = backend.algorithm(args);

    DataContext ctx;
    ctx.dtype = dtype;
    ctx.op = data_op(coll, op);
    ctx.root = step.root;
    ctx.rank = rank;
    ctx.nranks = nranks;
    ctx.seed = opts.seed + static_cast<std::uint64_t>(cycle);
    ctx.counts = args.counts;

    for (int variant = 0; variant < 2; ++variant) {
      const bool in_place = variant == 1;
      Timing& t = in_place ? row.in_place : row.out_of_place;
      ctx.in_place = in_place;
      args.in_place = in_place;
      args.recv = recv_base;
      args.send = in_place ? recv_base + coll.in_place_input_offset(ctx) * es : send_base;
      const std::size_t send_bytes = args.counts.send_count * es;
      auto load_input = [&] {
        coll.fill_input(ctx, buf.host_in.data());
        backend.copy_from_host(const_cast<void*>(args.send), buf.host_in.data(), send_bytes);
      };
      load_input();

      if (watchdog) watchdog->set_phase(phase_name(row, in_place, "warm-up"));
      backend.time_iterations(args, opts.warmup_iters, watchdog);
      if (watchdog) watchdog->set_phase(phase_name(row, in_place, "barrier"));
      {
        WatchedCall guard(watchdog);  // a rank that never arrives is caught here too
        world.barrier();
      }
      if (watchdog) watchdog->set_phase(phase_name(row, in_place, "timed"));
      std::vector<double> times =
          time_timed_iterations(opts, backend, world, args, watchdog, device_buffers);

      double mine = 0;
      for (double x : times) mine += x;
      mine /= static_cast<double>(times.size());
      if (watchdog) watchdog->set_phase(phase_name(row, in_place, "combining times"));
      double combined = 0;
      // Every rank's own mean time (which rank is slow), outside the timed region.
      std::vector<double> rank_mean(static_cast<std::size_t>(job_ranks), 0.0);
      rank_mean[static_cast<std::size_t>(job_rank)] = mine;
      {
        WatchedCall guard(watchdog);
        world.allreduce_sum(rank_mean.data(), job_ranks);
      }
      std::vector<double> rank_times;  // -I: [rank][iteration], every rank's own times
      if (opts.per_iter_timing == 1) {
        rank_times.assign(static_cast<std::size_t>(job_ranks) * times.size(), 0.0);
        std::copy(times.begin(), times.end(),
                  rank_times.begin() + static_cast<std::ptrdiff_t>(
                                           static_cast<std::size_t>(job_rank) * times.size()));
        WatchedCall guard(watchdog);
        world.allreduce_sum(rank_times.data(), static_cast<int>(rank_times.size()));
      }
      {
        WatchedCall guard(watchdog);
        combined = combine_rank_times(world, mine, opts.average);
        // Per iteration, the slowest rank bounds the collective.
        world.allreduce_max(times.data(), static_cast<int>(times.size()));
      }
      for (auto& x : times) x *= 1e6;
      const SampleStats st = compute_stats(times);

      t.measured = true;
      t.iters = opts.iters;
      t.time_us = combined * 1e6;
      t.algbw_gbps = combined > 0 ? static_cast<double>(row.bytes) / combined / 1e9 : 0.0;
      t.busbw_gbps = t.algbw_gbps * coll.bus_bw_factor(row_ranks);
      if (layout != nullptr)
        t.groups = group_timings(coll, *layout, step.size, es, rank_mean, opts.average);
      t.time_us_min = st.min;
      t.time_us_median = st.median;
      t.time_us_mean = st.mean;
      t.time_us_max = st.max;
      t.time_us_p99 = st.p99;
      t.rank_time_us = rank_mean;
      for (double& x : t.rank_time_us) x *= 1e6;
      if (opts.per_iter_timing == 1) {
        t.per_iter = per_iter_stats(times, opts.per_iter_skip);
        t.per_iter.rank_times_us.resize(static_cast<std::size_t>(job_ranks));
        for (int r = 0; r < job_ranks; ++r) {
          const auto first = rank_times.begin() + static_cast<std::ptrdiff_t>(
                                                      static_cast<std::size_t>(r) * times.size());
          t.per_iter.rank_times_us[static_cast<std::size_t>(r)].assign(
              first, first + static_cast<std::ptrdiff_t>(times.size()));
          for (double& x : t.per_iter.rank_times_us[static_cast<std::size_t>(r)]) x *= 1e6;
        }
      }

      if (opts.check_iters > 0) {
        if (watchdog) watchdog->set_phase(phase_name(row, in_place, "check"));
        double wrong = 0;
        std::vector<double> wrong_by_rank(static_cast<std::size_t>(job_ranks), 0.0);
        for (int c = 0; c < opts.check_iters; ++c) {
          load_input();
          {
            WatchedCall guard(watchdog);
            world.barrier();
          }
          if (watchdog) watchdog->begin_call();
          backend.run(args);
          backend.sync();
          if (watchdog) watchdog->end_call();
          const CheckRegion region = coll.expected(ctx, buf.expected.data());
          if (region.count > 0) {
            backend.copy_to_host(buf.host_out.data(), recv_base + region.first * es,
                                 region.count * es);
            wrong += static_cast<double>(count_mismatches(dtype, ctx.op, buf.host_out.data(),
                                                          buf.expected.data(), region.count));
          }
        }
        wrong_by_rank[static_cast<std::size_t>(job_rank)] = wrong;
        {
          WatchedCall guard(watchdog);
          world.allreduce_sum(wrong_by_rank.data(), job_ranks);
        }
        wrong = 0;
        for (double w : wrong_by_rank) wrong += w;
        t.wrong = static_cast<long long>(wrong);
        for (std::size_t g = 0; g < t.groups.size(); ++g) {
          double sum = 0;
          for (int r : layout->groups[g].ranks) sum += wrong_by_rank[static_cast<std::size_t>(r)];
          t.groups[g].wrong = static_cast<long long>(sum);
        }
      }
    }
    if (opts.report_timestamps == 1) row.timestamp = local_timestamp();
    summary.add(row);
    on_row(row);
    return true;
  });
  return summary.summary(true);  // an interrupted sweep ends the process (see result_sink.h)
}

}  // namespace fb
