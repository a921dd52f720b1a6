// The collective registry's sizes and bus factors, and the runner's timing and checking with a
// single-rank world and an in-memory backend (correct, or corrupting one element).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "collectives/backend.h"
#include "collectives/collective.h"
#include "harness/options.h"
#include "harness/runner.h"
#include "harness/timing_loop.h"

namespace fb {
namespace {

TEST(Registry, BusBandwidthFactorsFollowNcclTests) {
  const struct {
    const char* name;
    double factor_at_8;
  } kCases[] = {{"all_reduce", 2.0 * 7 / 8}, {"all_gather", 7.0 / 8}, {"reduce_scatter", 7.0 / 8},
                {"alltoall", 7.0 / 8},       {"broadcast", 1.0},      {"reduce", 1.0},
                {"sendrecv", 1.0},           {"gather", 7.0 / 8},     {"scatter", 7.0 / 8},
                {"alltoallv", 7.0 / 8},      {"hypercube", 7.0 / 8}};
  for (const auto& c : kCases) {
    const CollectiveDef* def = find_collective(c.name);
    ASSERT_NE(def, nullptr) << c.name;
    EXPECT_DOUBLE_EQ(def->bus_bw_factor(8), c.factor_at_8) << c.name;
  }
  EXPECT_DOUBLE_EQ(find_collective("all_reduce")->bus_bw_factor(1), 0.0);
  EXPECT_EQ(find_collective("gather")->bus_bw_factor(1), 0.0);
  EXPECT_EQ(find_collective("allreduce"), nullptr);
}

TEST(Registry, RingStepsCountTheRingAlgorithmsSteps) {
  // all_reduce: reduce-scatter + all-gather, n-1 steps each; chunk exchanges n-1; chains 1.
  const struct {
    const char* name;
    int steps_at_8;
  } kCases[] = {{"all_reduce", 14}, {"all_gather", 7}, {"reduce_scatter", 7}, {"alltoall", 7},
                {"broadcast", 1},   {"reduce", 1},     {"sendrecv", 1},       {"gather", 7},
                {"scatter", 7},     {"alltoallv", 7},  {"hypercube", 3}};
  for (const auto& c : kCases) {
    const CollectiveDef* def = find_collective(c.name);
    ASSERT_NE(def, nullptr) << c.name;
    EXPECT_EQ(def->ring_steps(8), c.steps_at_8) << c.name;
    EXPECT_EQ(def->ring_steps(1), 1) << c.name;
  }
  EXPECT_EQ(find_collective("all_reduce")->ring_steps(2), 2);
  // hypercube: log2 p exchanges of the largest power of two p <= n, two more when p < n.
  EXPECT_EQ(find_collective("hypercube")->ring_steps(4), 2);
  EXPECT_EQ(find_collective("hypercube")->ring_steps(3), 3);
  EXPECT_EQ(find_collective("hypercube")->ring_steps(5), 4);
}

// The registry holds exactly the collectives of collectives/coll_*.cc (CMake's FB_COLLECTIVES,
// which drives the end-to-end test lists), so a new collective needs no edit here.
TEST(Registry, HoldsExactlyTheCollectiveSourceFiles) {
  std::vector<std::string> files, registered;
  std::string names = FB_COLLECTIVE_NAMES;
  for (std::size_t at = 0; at <= names.size();) {
    const std::size_t comma = std::min(names.find(',', at), names.size());
    files.push_back(names.substr(at, comma - at));
    at = comma + 1;
  }
  for (const auto* def : all_collectives()) {
    registered.emplace_back(def->name);
    EXPECT_EQ(find_collective(def->name), def) << def->name;
  }
  std::sort(files.begin(), files.end());
  std::sort(registered.begin(), registered.end());
  EXPECT_EQ(registered, files);
}

TEST(Registry, CountsFollowNcclTestsSizeMeaning) {
  // all_gather: the size is the gathered output, split into equal per-rank chunks (rounded down).
  CollCounts c = find_collective("all_gather")->counts(1000, 4, 3);
  EXPECT_EQ(c.param_count, 83u);
  EXPECT_EQ(c.send_count, 83u);
  EXPECT_EQ(c.recv_count, 249u);
  EXPECT_EQ(c.bytes, 996u);
  // reduce_scatter: the size is each rank's input.
  c = find_collective("reduce_scatter")->counts(1000, 4, 3);
  EXPECT_EQ(c.send_count, 249u);
  EXPECT_EQ(c.recv_count, 83u);
  // alltoall: both buffers hold nranks chunks.
  c = find_collective("alltoall")->counts(1000, 4, 3);
  EXPECT_EQ(c.send_count, 249u);
  EXPECT_EQ(c.recv_count, 249u);
  EXPECT_EQ(c.param_count, 83u);
  // all_reduce: one buffer of size bytes; a partial element is dropped.
  c = find_collective("all_reduce")->counts(7, 2, 5);
  EXPECT_EQ(c.param_count, 3u);
  EXPECT_EQ(c.bytes, 6u);
  // gather and hypercube: as all_gather; scatter: the root's input of nranks chunks.
  for (const char* name : {"gather", "hypercube"}) {
    c = find_collective(name)->counts(1000, 4, 3);
    EXPECT_EQ(c.send_count, 83u) << name;
    EXPECT_EQ(c.recv_count, 249u) << name;
    EXPECT_EQ(c.param_count, 83u) << name;
    EXPECT_EQ(c.bytes, 996u) << name;
  }
  c = find_collective("scatter")->counts(1000, 4, 3);
  EXPECT_EQ(c.send_count, 249u);
  EXPECT_EQ(c.recv_count, 83u);
  EXPECT_EQ(c.bytes, 996u);
  // alltoallv, default spread 1: 1000 B of float on 4 ranks is 62 elements per peer on average,
  // 248 in all; peer at distance d gets floor(d * 248 / 6): 0, 41, 82, 124 = 247 per rank.
  c = find_collective("alltoallv")->counts(1000, 4, 4);
  EXPECT_EQ(c.param_count, 62u);
  EXPECT_EQ(c.send_count, 247u);
  EXPECT_EQ(c.recv_count, 247u);
  EXPECT_EQ(c.bytes, 988u);
}

// The point-to-point steps of the new collectives, by hand.
TEST(Registry, PointToPointSchedules) {
  auto schedule = [](const char* name, int rank, int nranks, std::size_t bytes, int root,
                     bool in_place) {
    const CollectiveDef* def = find_collective(name);
    CollArgs a;
    a.coll = def;
    a.root = root;
    a.in_place = in_place;
    a.counts = def->counts(bytes, 4, nranks);
    ScheduleCache cache;
    return cache.get(a, rank, nranks);
  };
  using T = std::vector<std::tuple<int, std::size_t, std::size_t>>;  // peer, offset, bytes
  auto list = [](const std::vector<P2pTransfer>& v) {
    T out;
    for (const auto& t : v) out.emplace_back(t.peer, t.offset, t.bytes);
    return out;
  };
  // alltoallv, rank 0 of 4 (counts above): to peers 1-3 41, 82, 124 floats; from peer j the
  // share of distance (0 - j) mod 4: 124, 82, 41.
  P2pSchedule s = schedule("alltoallv", 0, 4, 1000, 0, false);
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(list(s.steps[0].sends), (T{{1, 0, 164}, {2, 164, 328}, {3, 492, 496}}));
  EXPECT_EQ(list(s.steps[0].recvs), (T{{1, 0, 496}, {2, 496, 328}, {3, 824, 164}}));
  EXPECT_EQ(s.copy_bytes, 0u);
  EXPECT_FALSE(s.stage_input);
  EXPECT_TRUE(schedule("alltoallv", 0, 4, 1000, 0, true).stage_input);
  // gather to root 2 of 3, 83 floats each: the root receives chunks 0 and 1 and copies its own.
  s = schedule("gather", 2, 3, 1000, 2, false);
  EXPECT_EQ(list(s.steps[0].recvs), (T{{0, 0, 332}, {1, 332, 332}}));
  EXPECT_EQ(s.copy_dst, 664u);
  EXPECT_EQ(list(schedule("gather", 1, 3, 1000, 2, false).steps[0].sends), (T{{2, 0, 332}}));
  // scatter from root 0: in place rank 1's chunk lands at chunk 1 of its buffer.
  EXPECT_EQ(list(schedule("scatter", 0, 3, 1000, 0, false).steps[0].sends),
            (T{{1, 332, 332}, {2, 664, 332}}));
  EXPECT_EQ(list(schedule("scatter", 1, 3, 1000, 0, true).steps[0].recvs), (T{{0, 332, 332}}));
  // hypercube on 3 ranks (p = 2): rank 2 hands block 2 to rank 0, ranks 0 and 1 swap what they
  // hold (rank 0: blocks 0 and 2), rank 0 sends rank 2 blocks 0-1.
  s = schedule("hypercube", 0, 3, 1200, 0, false);  // 100 floats per block
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(list(s.steps[0].recvs), (T{{2, 800, 400}}));
  EXPECT_EQ(list(s.steps[1].sends), (T{{1, 0, 400}, {1, 800, 400}}));
  EXPECT_EQ(list(s.steps[1].recvs), (T{{1, 400, 400}}));
  EXPECT_EQ(list(s.steps[2].sends), (T{{2, 0, 800}}));
  // hypercube on 4 ranks: nccl-tests' two exchanges, rank 1 with 0 then with 3.
  s = schedule("hypercube", 1, 4, 1600, 0, false);
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(list(s.steps[0].sends), (T{{0, 400, 400}}));
  EXPECT_EQ(list(s.steps[1].sends), (T{{3, 0, 800}}));
  EXPECT_EQ(list(s.steps[1].recvs), (T{{3, 800, 800}}));
}

class SingleRankWorld final : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  void barrier() override {}
  void allreduce_max(double*, int) override {}
  void allreduce_min(double*, int) override {}
  void allreduce_sum(double*, int) override {}
  std::vector<std::string> allgather_string(const std::string& s) override { return {s}; }
  void broadcast_bytes(void*, int, int) override {}
  [[noreturn]] void abort(int) override { std::abort(); }
  std::string library_version() const override { return "test"; }
};

// One rank: every collective copies its input to its output (avg divides by one).
class CopyBackend : public Backend {
 public:
  explicit CopyBackend(long long corrupt_at = -1) : corrupt_at_(corrupt_at) {}
  std::string name() const override { return "copy"; }
  std::string algorithm(const CollArgs&) const override { return "copy"; }
  bool supports(const CollectiveDef&) const override { return true; }
  void run(const CollArgs& a) override {
    ++calls;
    const std::size_t bytes = a.counts.send_count * dtype_size(a.dtype);
    if (a.send != a.recv && bytes) std::memmove(a.recv, a.send, bytes);
    if (corrupt_at_ >= 0 && static_cast<std::size_t>(corrupt_at_) < bytes) {
      static_cast<unsigned char*>(a.recv)[corrupt_at_] ^= 0x40;
    }
  }
  int calls = 0;

 private:
  long long corrupt_at_;
};

RunOptions options_for(const char* coll, const char* extra_size = "4K") {
  ParseOutcome p = parse_run_options({coll, "-b", "8", "-e", extra_size, "-f", "4", "-n", "3", "-w",
                                      "2", "-d", "all", "-o", "all"});
  EXPECT_TRUE(p.options) << p.output;
  return *p.options;
}

TEST(Runner, EveryCollectiveChecksCleanWithACorrectBackend) {
  SingleRankWorld world;
  for (const auto* def : all_collectives()) {
    RunOptions opts = options_for(def->name);
    CopyBackend backend;
    std::vector<SizeResult> rows;
    RunSummary s = run_sweep(opts, backend, world, nullptr, false,
                             [&](const SizeResult& r) { rows.push_back(r); });
    EXPECT_EQ(s.wrong_total, 0) << def->name;
    const std::size_t ops = def->uses_op ? all_redops().size() : 1;
    // 8, 32, 128, 512, 2048 bytes for each dtype (and op).
    EXPECT_EQ(rows.size(), 5 * all_dtypes().size() * ops) << def->name;
    for (const auto& r : rows) {
      EXPECT_EQ(r.out_of_place.wrong, 0);
      EXPECT_EQ(r.in_place.wrong, 0);
      EXPECT_EQ(r.out_of_place.iters, 3);
      EXPECT_LE(r.out_of_place.time_us_min, r.out_of_place.time_us_median);
      EXPECT_LE(r.out_of_place.time_us_median, r.out_of_place.time_us_max);
      EXPECT_GT(r.out_of_place.time_us, 0.0);
    }
    // (warm-up + timed + check) x 2 variants per row.
    EXPECT_EQ(backend.calls, static_cast<int>(rows.size()) * 2 * (2 + 3 + 1)) << def->name;
  }
}

TEST(Runner, OneCorruptedByteIsCountedAsOneWrongElement) {
  SingleRankWorld world;
  ParseOutcome p = parse_run_options({"all_reduce", "-b", "4K", "-e", "4K", "-n", "1", "-w", "0"});
  ASSERT_TRUE(p.options);
  CopyBackend backend(/*corrupt_at=*/101);
  std::vector<SizeResult> rows;
  RunSummary s = run_sweep(*p.options, backend, world, nullptr, false,
                           [&](const SizeResult& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].out_of_place.wrong, 1);
  EXPECT_EQ(rows[0].in_place.wrong, 1);
  EXPECT_EQ(s.wrong_total, 2);
  EXPECT_EQ(s.out_of_bounds, 2);
}

TEST(Runner, NoCheckMeansWrongIsUnknown) {
  SingleRankWorld world;
  ParseOutcome p =
      parse_run_options({"all_reduce", "-b", "64", "-e", "64", "-n", "1", "-w", "0", "-c", "0"});
  ASSERT_TRUE(p.options);
  CopyBackend backend(/*corrupt_at=*/3);
  std::vector<SizeResult> rows;
  RunSummary s = run_sweep(*p.options, backend, world, nullptr, false,
                           [&](const SizeResult& r) { rows.push_back(r); });
  EXPECT_EQ(rows.at(0).out_of_place.wrong, -1);
  EXPECT_EQ(s.wrong_total, 0);
}

TEST(Runner, MemoryPlanCoversInPlaceInputAndRefusesTooLarge) {
  ParseOutcome p = parse_run_options({"reduce_scatter", "-b", "8", "-e", "1M", "-d", "double"});
  ASSERT_TRUE(p.options);
  const SweepPlan plan = plan_sweep(*p.options, 4, false);
  EXPECT_EQ(plan.send_bytes, 1u << 20);
  EXPECT_EQ(plan.recv_bytes, 1u << 20);  // in place the input lives in the receive buffer
  EXPECT_EQ(check_memory(plan, 4, 1ull << 30), "");
  const std::string err = check_memory(plan, 4, 1u << 20);
  EXPECT_NE(err.find("do not fit in host memory"), std::string::npos);
  EXPECT_NE(err.find(std::to_string(plan.host_bytes)), std::string::npos);
}

// A fake clock the timed loop reads through its injected clock: calls advance it, reads count.
double g_fake_now_s = 0;
int g_clock_reads = 0;
double fake_clock() {
  ++g_clock_reads;
  return g_fake_now_s;
}

// Each call takes `call_s` on the fake clock, the k-th (from 0) `call_s + k * step_s`.
class FakeTimeBackend final : public Backend {
 public:
  FakeTimeBackend(double call_s, double step_s) : call_s_(call_s), step_s_(step_s) {}
  std::string name() const override { return "fake-time"; }
  std::string algorithm(const CollArgs&) const override { return "fake"; }
  bool supports(const CollectiveDef&) const override { return true; }
  void run(const CollArgs&) override { g_fake_now_s += call_s_ + step_s_ * calls++; }
  int calls = 0;

 private:
  double call_s_, step_s_;
};

class CountingWorld final : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  void barrier() override { ++barriers; }
  void allreduce_max(double*, int) override {}
  void allreduce_min(double*, int) override {}
  void allreduce_sum(double*, int) override {}
  std::vector<std::string> allgather_string(const std::string& s) override { return {s}; }
  void broadcast_bytes(void*, int, int) override {}
  [[noreturn]] void abort(int) override { std::abort(); }
  std::string library_version() const override { return "test"; }
  int barriers = 0;
};

struct CountingObserver final : CallObserver {
  int begins = 0, ends = 0;
  void begin_call() override { ++begins; }
  void end_call() override { ++ends; }
};

RunOptions loop_options(std::vector<std::string> extra) {
  std::vector<std::string> args{"all_reduce", "-b", "8", "-e", "8", "-n", "3", "-m", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  ParseOutcome p = parse_run_options(args);
  EXPECT_TRUE(p.options) << p.output;
  return *p.options;
}

struct LoopRun {
  TimedLoop loop;
  int clock_reads = 0, calls = 0, barriers = 0, watch_begins = 0, watch_ends = 0;
};

LoopRun run_loop(const RunOptions& opts, double call_s, double step_s = 0) {
  g_fake_now_s = 1000;
  g_clock_reads = 0;
  FakeTimeBackend backend(call_s, step_s);
  CountingWorld world;
  CountingObserver watchdog;
  CollArgs args;
  args.coll = find_collective("all_reduce");
  LoopRun r;
  r.loop = run_timed_loop(opts, backend, world, args, &watchdog, false, &fake_clock);
  r.clock_reads = g_clock_reads;
  r.calls = backend.calls;
  r.barriers = world.barriers;
  r.watch_begins = watchdog.begins;
  r.watch_ends = watchdog.ends;
  return r;
}

// The default: two clock reads around the -n x -m calls, time per call = total / calls, no
// per-iteration samples, the watchdog armed once.
TEST(TimedLoop, WholeLoopReadsTheClockTwiceAndDividesByTheCalls) {
  // Calls of 0.25, 0.375, ... 0.875 s (exact in binary): 3.375 s over 6 calls.
  const LoopRun r = run_loop(loop_options({}), 0.25, 0.125);
  EXPECT_EQ(r.calls, 6);
  EXPECT_EQ(r.clock_reads, 2);
  EXPECT_DOUBLE_EQ(r.loop.per_call_s, 3.375 / 6);
  EXPECT_TRUE(r.loop.iteration_s.empty());
  EXPECT_EQ(r.watch_begins, 1);
  EXPECT_EQ(r.watch_ends, 1);
  EXPECT_EQ(r.barriers, 0);
  EXPECT_FALSE(times_each_iteration(loop_options({}), false));
}

// -z 1: a barrier after each call, inside the one timed region.
TEST(TimedLoop, BlockingOneBarriersEveryCallInsideTheWholeLoop) {
  const LoopRun r = run_loop(loop_options({"-z", "1"}), 0.5);
  EXPECT_EQ(r.barriers, 6);
  EXPECT_EQ(r.clock_reads, 2);
  EXPECT_DOUBLE_EQ(r.loop.per_call_s, 0.5);
  EXPECT_TRUE(r.loop.iteration_s.empty());
}

// -I 1: one clock read per iteration (plus the start), n samples of the iteration's time / m.
TEST(TimedLoop, PerIterationTimingReadsTheClockOncePerIteration) {
  const LoopRun r = run_loop(loop_options({"-I", "1"}), 0.25, 0.125);
  EXPECT_EQ(r.clock_reads, 4);
  ASSERT_EQ(r.loop.iteration_s.size(), 3u);
  // Iterations: (0.25 + 0.375) / 2, (0.5 + 0.625) / 2, (0.75 + 0.875) / 2.
  EXPECT_DOUBLE_EQ(r.loop.iteration_s[0], 0.3125);
  EXPECT_DOUBLE_EQ(r.loop.iteration_s[1], 0.5625);
  EXPECT_DOUBLE_EQ(r.loop.iteration_s[2], 0.8125);
  EXPECT_DOUBLE_EQ(r.loop.per_call_s, 3.375 / 6);
  EXPECT_EQ(r.watch_begins, 1);
}

// -z 3: each iteration between its own two reads, the barrier after it not timed.
TEST(TimedLoop, BlockingThreeTimesEachIterationWithoutItsBarrier) {
  const LoopRun r = run_loop(loop_options({"-z", "3"}), 0.25);
  EXPECT_EQ(r.barriers, 3);
  EXPECT_EQ(r.clock_reads, 6);
  ASSERT_EQ(r.loop.iteration_s.size(), 3u);
  for (double x : r.loop.iteration_s) EXPECT_DOUBLE_EQ(x, 0.25);
  EXPECT_DOUBLE_EQ(r.loop.per_call_s, 0.25);
  EXPECT_TRUE(times_each_iteration(loop_options({"-z", "3"}), false));
  EXPECT_FALSE(times_each_iteration(loop_options({"-z", "3"}), true));  // host path only
}

TEST(TimedLoop, MetadataNamesTheMode) {
  EXPECT_EQ(timing_metadata(loop_options({}), false)["mode"], "whole_loop");
  EXPECT_EQ(timing_metadata(loop_options({"-I", "1"}), false)["mode"], "per_iteration");
  EXPECT_EQ(timing_metadata(loop_options({"-z", "3"}), false)["mode"], "per_iteration");
  EXPECT_EQ(timing_metadata(loop_options({}), true)["mode"], "device_events");
  const nlohmann::json t = timing_metadata(loop_options({"-I", "1"}), false);
  EXPECT_EQ(t["per_iteration_samples"], true);
  EXPECT_FALSE(t.contains("note"));
  EXPECT_TRUE(timing_metadata(loop_options({}), false).contains("note"));
  // The measured clock cost goes beside the machine's description (not compared between runs).
  nlohmann::json meta = {{"machine", nlohmann::json::object()}};
  const std::string line = add_timing_metadata(meta, loop_options({"-I", "1"}), false);
  EXPECT_EQ(meta["timing"]["mode"], "per_iteration");
  EXPECT_GT(meta["machine"]["clock_read_ns"].get<double>(), 0.0);
  EXPECT_EQ(line.rfind("timing: per iteration (", 0), 0u) << line;
  EXPECT_NE(line.find("a clock read costs"), std::string::npos) << line;
  nlohmann::json no_machine = nlohmann::json::object();
  EXPECT_EQ(add_timing_metadata(no_machine, loop_options({}), false).rfind("timing: whole loop", 0),
            0u);
  EXPECT_FALSE(no_machine.contains("machine"));
}

// Whole-loop rows: no per-iteration summary, and the order statistics are the one sample.
TEST(Runner, WholeLoopRowsHaveOneSampleAndNoPerIterationTimes) {
  SingleRankWorld world;
  ParseOutcome p = parse_run_options(
      {"all_reduce", "-b", "64", "-e", "256", "-f", "4", "-n", "4", "-w", "1", "-m", "3"});
  ASSERT_TRUE(p.options);
  CopyBackend backend;
  std::vector<SizeResult> rows;
  run_sweep(*p.options, backend, world, nullptr, false,
            [&](const SizeResult& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    for (const Timing* t : {&r.out_of_place, &r.in_place}) {
      EXPECT_FALSE(t->per_iter.present);
      EXPECT_TRUE(t->per_iter.times_us.empty());
      EXPECT_EQ(t->iters, 4);
      EXPECT_EQ(t->time_us_min, t->time_us);  // one rank: the combined time is its own
      EXPECT_EQ(t->time_us_median, t->time_us);
      EXPECT_EQ(t->time_us_max, t->time_us);
      EXPECT_EQ(t->time_us_p99, t->time_us);
      ASSERT_EQ(t->rank_time_us.size(), 1u);
      EXPECT_EQ(t->rank_time_us[0], t->time_us);
    }
  }
  // (warm-up 1 + timed 4 x 3 + check 1) x 2 variants x 2 sizes.
  EXPECT_EQ(backend.calls, 2 * 2 * (1 + 12 + 1));
}

// -I 1 -K 1: n samples per variant, the first left out of the summary.
TEST(Runner, PerIterationTimingKeepsEverySampleAndSkips) {
  SingleRankWorld world;
  ParseOutcome p = parse_run_options(
      {"all_reduce", "-b", "64", "-e", "64", "-n", "5", "-w", "0", "-I", "1", "-K", "1"});
  ASSERT_TRUE(p.options);
  CopyBackend backend;
  std::vector<SizeResult> rows;
  run_sweep(*p.options, backend, world, nullptr, false,
            [&](const SizeResult& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 1u);
  for (const Timing* t : {&rows[0].out_of_place, &rows[0].in_place}) {
    ASSERT_TRUE(t->per_iter.present);
    EXPECT_EQ(t->per_iter.skipped, 1);
    EXPECT_EQ(t->per_iter.times_us.size(), 5u);
    ASSERT_EQ(t->per_iter.rank_times_us.size(), 1u);
    EXPECT_EQ(t->per_iter.rank_times_us[0].size(), 5u);
    EXPECT_LE(t->time_us_min, t->time_us_median);
  }
}

}  // namespace
}  // namespace fb
