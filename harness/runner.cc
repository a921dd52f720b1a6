#include "harness/runner.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>

#include "fabric_model/units.h"
#include "harness/stats.h"
#include "harness/timing_loop.h"
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
    gt.time_us = model::micros_from_seconds(v);
    gt.algbw_gbps = model::gbps_from(static_cast<double>(gt.bytes), v);
    gt.busbw_gbps = gt.algbw_gbps * coll.bus_bw_factor(gt.nranks);
    out.push_back(gt);
  }
  return out;
}

}  // namespace

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
      const TimedLoop loop = run_timed_loop(opts, backend, world, args, watchdog, device_buffers);
      const double mine = loop.per_call_s;
      // The samples: per iteration (-I 1, -z 3), else the whole loop's one.
      std::vector<double> times =
          loop.iteration_s.empty() ? std::vector<double>{mine} : loop.iteration_s;
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
      for (auto& x : times) x = model::micros_from_seconds(x);
      const SampleStats st = compute_stats(times);

      t.measured = true;
      t.iters = opts.iters;
      t.time_us = model::micros_from_seconds(combined);
      t.algbw_gbps = model::gbps_from(static_cast<double>(row.bytes), combined);
      t.busbw_gbps = t.algbw_gbps * coll.bus_bw_factor(row_ranks);
      if (layout != nullptr)
        t.groups = group_timings(coll, *layout, step.size, es, rank_mean, opts.average);
      t.time_us_min = st.min;
      t.time_us_median = st.median;
      t.time_us_mean = st.mean;
      t.time_us_max = st.max;
      t.time_us_p99 = st.p99;
      t.rank_time_us = rank_mean;
      for (double& x : t.rank_time_us) x = model::micros_from_seconds(x);
      if (opts.per_iter_timing == 1) {
        t.per_iter = per_iter_stats(times, opts.per_iter_skip);
        t.per_iter.rank_times_us.resize(static_cast<std::size_t>(job_ranks));
        for (int r = 0; r < job_ranks; ++r) {
          const auto first = rank_times.begin() + static_cast<std::ptrdiff_t>(
                                                      static_cast<std::size_t>(r) * times.size());
          t.per_iter.rank_times_us[static_cast<std::size_t>(r)].assign(
              first, first + static_cast<std::ptrdiff_t>(times.size()));
          for (double& x : t.per_iter.rank_times_us[static_cast<std::size_t>(r)]) {
            x = model::micros_from_seconds(x);
          }
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
