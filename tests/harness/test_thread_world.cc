// The thread world of -g N: N ranks as N threads of one process, every control-plane call with
// exact values, at odd rank counts, repeated (the generation barrier), and a rank that leaves
// early failing the others' calls instead of hanging them.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "collectives/transport.h"
#include "collectives/world.h"
#include "harness/watchdog.h"

namespace fb {
namespace {

// Runs body(world) on one thread per rank and joins them; a rank's exception fails the test.
void run_ranks(int n, const std::function<void(World&)>& body) {
  std::unique_ptr<World> process = make_single_world();
  std::vector<std::unique_ptr<World>> worlds = make_thread_worlds(n, *process);
  ASSERT_EQ(worlds.size(), static_cast<std::size_t>(n));
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      const auto i = static_cast<std::size_t>(r);
      try {
        body(*worlds[i]);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      worlds[i].reset();
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) {
    EXPECT_EQ(errors[static_cast<std::size_t>(r)], "") << "rank " << r;
  }
}

class ThreadWorldTest : public ::testing::TestWithParam<int> {};

TEST_P(ThreadWorldTest, RanksAndSizes) {
  const int n = GetParam();
  std::vector<std::atomic<int>> seen(static_cast<std::size_t>(n));
  run_ranks(n, [&](World& w) {
    EXPECT_EQ(w.size(), n);
    EXPECT_EQ(w.local_size(), n);
    EXPECT_EQ(w.local_rank(), w.rank());
    seen[static_cast<std::size_t>(w.rank())]++;
    EXPECT_EQ(w.native_handle(), nullptr);
    EXPECT_EQ(w.make_status_channel(), nullptr);
  });
  for (int r = 0; r < n; ++r) EXPECT_EQ(seen[static_cast<std::size_t>(r)].load(), 1);
}

TEST_P(ThreadWorldTest, BarrierHoldsEveryRankUntilAllArrive) {
  const int n = GetParam();
  std::atomic<int> before{0};
  run_ranks(n, [&](World& w) {
    for (int round = 1; round <= 50; ++round) {
      before++;
      w.barrier();
      // Nobody passes round k's barrier before everyone arrived at it.
      EXPECT_GE(before.load(), round * n);
      w.barrier();  // and nobody starts round k+1 before everyone checked
    }
  });
}

TEST_P(ThreadWorldTest, ReductionsAreExactOnEveryRank) {
  const int n = GetParam();
  run_ranks(n, [&](World& w) {
    const double r = w.rank();
    for (int round = 0; round < 20; ++round) {
      double mx[3] = {r, -r, r * 0.5 + round};
      w.allreduce_max(mx, 3);
      EXPECT_EQ(mx[0], n - 1);
      EXPECT_EQ(mx[1], 0);
      EXPECT_EQ(mx[2], (n - 1) * 0.5 + round);
      double mn[2] = {r + round, 10.0 - r};
      w.allreduce_min(mn, 2);
      EXPECT_EQ(mn[0], round);
      EXPECT_EQ(mn[1], 10.0 - (n - 1));
      double sum[2] = {r + 1, 1.0};
      w.allreduce_sum(sum, 2);
      EXPECT_EQ(sum[0], n * (n + 1) / 2.0);
      EXPECT_EQ(sum[1], n);
      w.allreduce_sum(sum, 0);  // nothing to reduce is still a call every rank makes
    }
  });
}

TEST_P(ThreadWorldTest, SumIsBitIdenticalOnEveryRank) {
  // Floating-point sums depend on order; every rank must get the same bits (rank order).
  const int n = GetParam();
  std::vector<double> got(static_cast<std::size_t>(n));
  run_ranks(n, [&](World& w) {
    double v = 0.1 * (w.rank() + 1) + 1e-17 * w.rank();
    w.allreduce_sum(&v, 1);
    got[static_cast<std::size_t>(w.rank())] = v;
  });
  for (double v : got) EXPECT_EQ(std::memcmp(&v, &got[0], sizeof v), 0);
}

TEST_P(ThreadWorldTest, AllgatherStringIsInRankOrder) {
  const int n = GetParam();
  run_ranks(n, [&](World& w) {
    for (int round = 0; round < 10; ++round) {
      // Different lengths, one empty, so no slot is confused with another.
      const std::string mine = w.rank() == 1
                                   ? ""
                                   : std::string(static_cast<std::size_t>(w.rank() + round), 'x') +
                                         std::to_string(w.rank());
      const std::vector<std::string> all = w.allgather_string(mine);
      ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) {
        const std::string want =
            r == 1 ? "" : std::string(static_cast<std::size_t>(r + round), 'x') + std::to_string(r);
        EXPECT_EQ(all[static_cast<std::size_t>(r)], want) << "rank " << r << " round " << round;
      }
    }
  });
}

TEST_P(ThreadWorldTest, BroadcastBytesFromEveryRoot) {
  const int n = GetParam();
  run_ranks(n, [&](World& w) {
    for (int round = 0; round < 3; ++round) {
      for (int root = n - 1; root >= 0; --root) {
        struct {
          int ok;
          char id[128];
        } msg{};
        if (w.rank() == root) {
          msg.ok = 100 * round + root;
          for (int i = 0; i < 128; ++i) msg.id[i] = static_cast<char>(i * 7 + root);
        } else {
          msg.ok = -1;
          std::memset(msg.id, 0x55, sizeof msg.id);
        }
        w.broadcast_bytes(&msg, static_cast<int>(sizeof msg), root);
        EXPECT_EQ(msg.ok, 100 * round + root);
        for (int i = 0; i < 128; ++i) ASSERT_EQ(msg.id[i], static_cast<char>(i * 7 + root));
      }
    }
  });
}

TEST_P(ThreadWorldTest, MixedCallsInSequence) {
  // Calls of different kinds back to back: a fast rank's next call must not disturb a slow
  // rank still reading the previous one.
  const int n = GetParam();
  run_ranks(n, [&](World& w) {
    for (int round = 0; round < 200; ++round) {
      double v = w.rank() + round;
      w.allreduce_max(&v, 1);
      EXPECT_EQ(v, n - 1 + round);
      const auto all = w.allgather_string(std::to_string(w.rank() * round));
      EXPECT_EQ(all.back(), std::to_string((n - 1) * round));
      int x = w.rank() == 0 ? round : -1;
      w.broadcast_bytes(&x, static_cast<int>(sizeof x), 0);
      EXPECT_EQ(x, round);
    }
  });
}

TEST_P(ThreadWorldTest, EachRankGetsAThreadCommunicatorOnce) {
  const int n = GetParam();
  run_ranks(n, [&](World& w) {
    std::unique_ptr<Communicator> comm = w.take_thread_communicator();
    ASSERT_NE(comm, nullptr);
    EXPECT_EQ(comm->rank(), w.rank());
    EXPECT_EQ(comm->size(), n);
    EXPECT_EQ(w.take_thread_communicator(), nullptr);
    // A ring exchange over it.
    int got = -1;
    const int mine = w.rank();
    comm->sendrecv(&mine, sizeof mine, (w.rank() + 1) % n, &got, sizeof got, (w.rank() + n - 1) % n,
                   7);
    EXPECT_EQ(got, (w.rank() + n - 1) % n);
    comm->barrier();
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, ThreadWorldTest, ::testing::Values(1, 2, 3, 5),
                         [](const auto& p) { return "n" + std::to_string(p.param); });

TEST(ThreadWorld, RankThatLeavesFailsTheOthersCall) {
  std::unique_ptr<World> process = make_single_world();
  auto worlds = make_thread_worlds(3, *process);
  std::vector<std::string> errors(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      const auto i = static_cast<std::size_t>(r);
      try {
        worlds[i]->barrier();
        if (r != 2) worlds[i]->barrier();  // rank 2 leaves instead
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      worlds[i].reset();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_NE(errors[0].find("rank 2 (a thread of this process) left the job"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("left the job"), std::string::npos) << errors[1];
  EXPECT_EQ(errors[2], "");
}

TEST(ThreadWorld, RefusesAMultiRankProcessWorldAndZeroRanks) {
  std::unique_ptr<World> process = make_single_world();
  EXPECT_THROW(make_thread_worlds(0, *process), std::invalid_argument);
  auto two = make_thread_worlds(2, *process);
  EXPECT_THROW(make_thread_worlds(2, *two[0]), std::invalid_argument);
}

TEST(ThreadWorld, BroadcastFromANonRankThrows) {
  run_ranks(1, [](World& w) {
    int x = 0;
    EXPECT_THROW(w.broadcast_bytes(&x, sizeof x, 1), std::runtime_error);
  });
}

// The watchdogs of rank-threads: the one that times out names the ranks that did not arrive from
// their own state, and only one reports.
TEST(ThreadWorld, WatchdogGroupNamesTheRankThatDidNotArrive) {
  std::unique_ptr<World> process = make_single_world();
  auto worlds = make_thread_worlds(3, *process);
  WatchdogGroup group(3);
  std::atomic<int> reports{0};
  std::string message;
  std::mutex mu;
  std::vector<std::unique_ptr<Watchdog>> dogs;
  for (int r = 0; r < 3; ++r) {
    WatchdogOptions o;
    o.timeout_s = 0.3;
    o.poll_s = 0.02;
    o.group = &group;
    o.on_timeout = [&](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      reports++;
      message = m;
    };
    dogs.push_back(std::make_unique<Watchdog>(*worlds[static_cast<std::size_t>(r)], o));
  }
  // Ranks 0 and 1 enter call 1; rank 2 is still between calls (it never got there).
  for (int r = 0; r < 2; ++r) {
    dogs[static_cast<std::size_t>(r)]->set_phase("all_reduce 8 B float sum");
    dogs[static_cast<std::size_t>(r)]->begin_call();
  }
  dogs[2]->set_phase("barrier");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  for (int r = 0; r < 2; ++r) dogs[static_cast<std::size_t>(r)]->end_call();
  dogs.clear();
  EXPECT_EQ(reports.load(), 1);
  EXPECT_NE(message.find("ranks that did not arrive: 2 (at call 0, between calls: barrier)"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace fb
