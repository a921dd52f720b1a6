// Watchdog in one process: the message for every kind of missing rank (exact text), and a real
// watchdog thread on a fake world whose call overruns a 0.5 s timeout (the injected handler gets
// the message; nothing is timed: the test only waits, bounded, for the handler).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "collectives/collective.h"
#include "harness/options.h"
#include "harness/timing_loop.h"
#include "harness/watchdog.h"

namespace fb {
namespace {

class FakeWorld final : public World {
 public:
  FakeWorld(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return rank_; }
  int local_size() const override { return size_; }
  void barrier() override {}
  void allreduce_max(double*, int) override {}
  void allreduce_min(double*, int) override {}
  void allreduce_sum(double*, int) override {}
  std::vector<std::string> allgather_string(const std::string& s) override { return {s}; }
  void broadcast_bytes(void*, int, int) override {}
  [[noreturn]] void abort(int) override { std::abort(); }  // the tests inject their handler
  std::string library_version() const override { return "fake"; }

 private:
  int rank_, size_;
};

RankStatus status(int rank, bool answered, long long calls, bool in_call, std::string phase) {
  RankStatus s;
  s.rank = rank;
  s.answered = answered;
  s.calls = calls;
  s.in_call = in_call;
  s.phase = std::move(phase);
  return s;
}

const std::string kPhase = "all_reduce 1048576 B float sum in-place (timed)";

TEST(DescribeTimeout, NamesSilentAndLateRanksAndThoseWaiting) {
  const RankStatus self = status(0, true, 57, true, kPhase);
  const std::vector<RankStatus> others = {
      status(1, true, 57, true, kPhase),
      status(2, false, 0, false, ""),
      status(3, true, 55, false, "all_reduce 524288 B float sum in-place (check)"),
      status(4, true, 57, true, kPhase),
      status(5, false, 0, false, ""),
      status(6, false, 0, false, ""),
      status(7, true, 55, false, "all_reduce 524288 B float sum in-place (check)"),
      status(8, true, 56, true, "all_reduce 1048576 B float sum in-place (warm-up)"),
  };
  EXPECT_EQ(describe_timeout(self, 10, others, true),
            "watchdog: " + kPhase +
                " did not complete within 10 s on rank 0 (call 57); ranks that did not arrive: "
                "2,5-6 (no answer: stopped, hung or dead), 3,7 (at call 55, between calls: "
                "all_reduce 524288 B float sum in-place (check)), 8 (at call 56, in a call: "
                "all_reduce 1048576 B float sum in-place (warm-up)); waiting in this call: 0-1,4; "
                "aborting the job");
}

TEST(DescribeTimeout, EveryRankArrivedMeansTheCollectiveItselfHangs) {
  const RankStatus self = status(2, true, 9, true, kPhase);
  const std::vector<RankStatus> others = {status(0, true, 9, true, kPhase),
                                          status(1, true, 9, false, kPhase),
                                          status(3, true, 10, false, "next")};
  EXPECT_EQ(describe_timeout(self, 0.5, others, true),
            "watchdog: " + kPhase +
                " did not complete within 0.5 s on rank 2 (call 9); ranks that did not arrive: "
                "none (every rank reached this call: the collective itself hangs); waiting in "
                "this call: 0,2; past this call: 1,3; aborting the job");
}

TEST(DescribeTimeout, OthersUnknownWithoutThreadSupport) {
  EXPECT_EQ(describe_timeout(status(1, true, 3, true, ""), 300, {}, false),
            "watchdog: a collective call did not complete within 300 s on rank 1 (call 3); ranks "
            "that did not arrive: unknown (the other ranks cannot be asked: MPI lacks "
            "MPI_THREAD_MULTIPLE); aborting the job");
}

// Collects the message the watchdog thread hands over.
struct Catcher {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> messages;

  WatchdogOptions options(double timeout_s) {
    WatchdogOptions o;
    o.timeout_s = timeout_s;
    o.poll_s = 0.02;
    o.on_timeout = [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      messages.push_back(m);
      cv.notify_all();
    };
    return o;
  }
  // Bounded wait (a generous bound, not a timing assertion).
  bool wait_for_message() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), [this] { return !messages.empty(); });
  }
};

TEST(Watchdog, OverrunningCallTriggersTheHandlerOnce) {
  FakeWorld world(0, 1);
  Catcher c;
  {
    Watchdog wd(world, c.options(0.5));
    wd.set_phase("warm-up");
    wd.begin_call();
    wd.end_call();
    wd.set_phase(kPhase);
    wd.begin_call();  // never ends in time
    ASSERT_TRUE(c.wait_for_message());
    wd.end_call();
  }
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0], "watchdog: " + kPhase +
                               " did not complete within 0.5 s on rank 0 (call 2); ranks that did "
                               "not arrive: none (the job has one rank); waiting in this call: "
                               "0; aborting the job");
}

TEST(Watchdog, RankOfALargerJobWithoutPeersToAsk) {
  FakeWorld world(3, 4);  // no watchdog communicator: only the local view
  Catcher c;
  {
    Watchdog wd(world, c.options(0.5));
    wd.set_phase(kPhase);
    wd.begin_call();
    ASSERT_TRUE(c.wait_for_message());
  }
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0],
            "watchdog: " + kPhase +
                " did not complete within 0.5 s on rank 3 (call 1); ranks that did not arrive: "
                "unknown (the other ranks cannot be asked: MPI lacks MPI_THREAD_MULTIPLE); "
                "aborting the job");
}

TEST(Watchdog, DisabledWatchdogStartsNoThreadAndNeverCalls) {
  FakeWorld world(0, 1);
  Catcher c;
  {
    Watchdog wd(world, c.options(0));
    wd.begin_call();
  }  // destruction joins nothing and calls nothing
  EXPECT_TRUE(c.messages.empty());
}

// The library never decides to print and end the job: a watchdog that can time out needs the
// caller's handler (cmd_collective passes one that aborts with kExitTimeout).
TEST(Watchdog, TimeoutWithoutHandlerIsRefused) {
  FakeWorld world(0, 1);
  WatchdogOptions o;
  o.timeout_s = 0.5;
  EXPECT_THROW(Watchdog(world, o), std::invalid_argument);
  o.timeout_s = 0;  // disabled: no handler needed
  EXPECT_NO_THROW(Watchdog(world, o));
}

TEST(WatchedCall, BracketsTheScopeAndIgnoresNull) {
  struct Counter final : CallObserver {
    int begins = 0, ends = 0;
    void begin_call() override { ++begins; }
    void end_call() override { ++ends; }
  } counter;
  {
    WatchedCall call(&counter);
    EXPECT_EQ(counter.begins, 1);
    EXPECT_EQ(counter.ends, 0);
  }
  EXPECT_EQ(counter.ends, 1);
  { WatchedCall none(nullptr); }
}

// A collective that never returns inside the whole-loop timed region (the watchdog is armed once
// around the loop, not per call) is still caught: the backend's third call blocks until the
// test releases it after the message came.
TEST(Watchdog, CatchesAHungCallInTheWholeLoop) {
  struct HangingBackend final : Backend {
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    int calls = 0;
    std::string name() const override { return "hang"; }
    std::string algorithm(const CollArgs&) const override { return "hang"; }
    bool supports(const CollectiveDef&) const override { return true; }
    void run(const CollArgs&) override {
      if (++calls != 3) return;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return release; });
    }
  } backend;
  FakeWorld world(0, 1);
  Catcher c;
  ParseOutcome p = parse_run_options({"all_reduce", "-n", "5", "-m", "2"});
  ASSERT_TRUE(p.options);
  CollArgs args;
  args.coll = find_collective("all_reduce");
  {
    Watchdog wd(world, c.options(0.5));
    wd.set_phase(kPhase);
    std::thread runner([&] { run_timed_loop(*p.options, backend, world, args, &wd, false); });
    const bool caught = c.wait_for_message();
    {
      std::lock_guard<std::mutex> lock(backend.mu);
      backend.release = true;
    }
    backend.cv.notify_all();
    runner.join();
    ASSERT_TRUE(caught);
  }
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0], "watchdog: " + kPhase +
                               " did not complete within 0.5 s on rank 0 (call 1); ranks that did "
                               "not arrive: none (the job has one rank); waiting in this call: "
                               "0; aborting the job");
  EXPECT_EQ(backend.calls, 10);  // released, the loop ran to its end
}

}  // namespace
}  // namespace fb
