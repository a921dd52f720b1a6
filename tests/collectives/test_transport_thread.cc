// The in-process thread transport: message matching, splits, shared memory, and that a deadlock
// or a failing rank ends run_threads with an error instead of hanging.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <stdexcept>

#include "collectives/transport_thread.h"

namespace fb {
namespace {

TEST(ThreadTransport, SameTagMessagesArriveInOrderWhateverTheWaitOrder) {
  run_threads(2, [](Communicator& c) {
    if (c.rank() == 0) {
      const int a = 1, b = 2, d = 3;
      std::vector<RequestPtr> s;
      s.push_back(c.isend(&a, sizeof a, 1, 0));
      s.push_back(c.isend(&d, sizeof d, 1, 5));
      s.push_back(c.isend(&b, sizeof b, 1, 0));
      c.wait_all(s);
    } else {
      int x = 0, y = 0, z = 0;
      RequestPtr rx = c.irecv(&x, sizeof x, 0, 0);
      RequestPtr ry = c.irecv(&y, sizeof y, 0, 0);
      RequestPtr rz = c.irecv(&z, sizeof z, 0, 5);
      c.wait(ry);  // reverse order: matching follows posting order, not waiting order
      c.wait(rz);
      c.wait(rx);
      if (x != 1 || y != 2 || z != 3) throw std::runtime_error("out of order");
    }
  });
}

TEST(ThreadTransport, EveryPairExchangesAtEveryRankCount) {
  for (int n = 1; n <= 16; ++n) {
    run_threads(n, [](Communicator& c) {
      std::vector<int> got(static_cast<std::size_t>(c.size()), -1);
      std::vector<RequestPtr> reqs;
      const int mine = 100 * c.rank();
      for (int p = 0; p < c.size(); ++p) {
        reqs.push_back(c.irecv(&got[static_cast<std::size_t>(p)], sizeof(int), p, 9));
        reqs.push_back(c.isend(&mine, sizeof mine, p, 9));  // to self too
      }
      c.wait_all(reqs);
      for (int p = 0; p < c.size(); ++p) {
        if (got[static_cast<std::size_t>(p)] != 100 * p) throw std::runtime_error("wrong value");
      }
      c.barrier();
    });
  }
}

TEST(ThreadTransport, SizeMismatchIsAnError) {
  EXPECT_THROW(run_threads(2,
                           [](Communicator& c) {
                             char buf[8] = {};
                             if (c.rank() == 0) {
                               RequestPtr s = c.isend(buf, 8, 1, 0);
                               c.wait(s);
                             } else {
                               RequestPtr r = c.irecv(buf, 4, 0, 0);
                               c.wait(r);
                             }
                           }),
               std::runtime_error);
}

TEST(ThreadTransport, DeadlockFailsThroughTheTimeout) {
  ThreadRunOptions opts;
  opts.timeout_s = 0.2;
  try {
    run_threads(
        3,
        [](Communicator& c) {
          int x = 0;  // everyone receives first: a classic deadlock
          RequestPtr r = c.irecv(&x, sizeof x, (c.rank() + 1) % c.size(), 0);
          c.wait(r);
        },
        opts);
    FAIL() << "a deadlock returned";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
  }
}

TEST(ThreadTransport, OneFailingRankReleasesTheOthers) {
  try {
    run_threads(4, [](Communicator& c) {
      if (c.rank() == 2) throw std::runtime_error("boom");
      c.barrier();  // would wait for rank 2 forever
    });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "rank 2: boom");
  }
}

TEST(ThreadTransport, SplitsFollowTheSimulatedNodes) {
  ThreadRunOptions opts;
  opts.ranks_per_node = 3;  // 8 ranks: nodes {0,1,2} {3,4,5} {6,7}
  run_threads(
      8,
      [](Communicator& c) {
        auto node = c.split_node_local();
        auto cross = c.split_cross_node();
        const int r = c.rank();
        const int want_local = r < 6 ? 3 : 2;
        const int want_cross = r % 3 == 2 ? 2 : 3;  // local index 2 exists on two nodes only
        if (node->size() != want_local || node->rank() != r % 3) {
          throw std::runtime_error("node split of rank " + std::to_string(r));
        }
        if (cross->size() != want_cross || cross->rank() != r / 3) {
          throw std::runtime_error("cross split of rank " + std::to_string(r));
        }
        // Messages within a split reach the right rank: sum of world ranks around the node.
        int sum = r, in = 0;
        for (int s = 1; s < node->size(); ++s) {
          int out = r;
          node->sendrecv(&out, sizeof out, (node->rank() + s) % node->size(), &in, sizeof in,
                         (node->rank() - s + node->size()) % node->size(), 0);
          sum += in;
        }
        const int base = r / 3 * 3;
        int want = 0;
        for (int i = 0; i < want_local; ++i) want += base + i;
        if (sum != want) throw std::runtime_error("node message sum");
        if (c.shared_memory() != nullptr) throw std::runtime_error("world spans nodes");
        if (node->shared_memory() == nullptr) throw std::runtime_error("node shares memory");
      },
      opts);
}

TEST(ThreadTransport, SharedSegmentsAndPeerAddresses) {
  run_threads(4, [](Communicator& c) {
    SharedMemory* shm = c.shared_memory();
    if (shm == nullptr) throw std::runtime_error("no shared memory");
    const std::vector<void*>& seg = shm->segments(1, 64);
    int mine = c.rank();
    // Publish where `mine` is through the segment, as algorithms do.
    auto* info = static_cast<std::uint64_t*>(seg[static_cast<std::size_t>(c.rank())]);
    if (!shm->locate(&mine, &info[0], &info[1])) throw std::runtime_error("not located");
    c.barrier();
    for (int p = 0; p < c.size(); ++p) {
      const auto* peer = static_cast<const std::uint64_t*>(seg[static_cast<std::size_t>(p)]);
      if (*static_cast<int*>(shm->peer_address(p, peer[0], peer[1])) != p) {
        throw std::runtime_error("peer address of rank " + std::to_string(p));
      }
    }
    c.barrier();  // keep `mine` alive until every peer has read it
  });
}

}  // namespace
}  // namespace fb
