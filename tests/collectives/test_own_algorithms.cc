// Every registered algorithm of every collective, over the thread transport: every rank count
// 1..16, sizes 0, 1, 7, 1000, 10007 elements and a few large ones, every dtype and op, in and out
// of place, roots first and last, single node and simulated multi-node layouts. Results are
// compared exactly (avg on floats within the datagen bound) with the collective's expected().
// The table follows the registry, so a new algorithm is covered by adding its registry line.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string_view>
#include <tuple>

#include "collectives/algorithm.h"
#include "collectives/transport_host.h"
#include "collectives/transport_thread.h"
#include "tests/collectives/algo_check.h"

namespace fb {
namespace {

using test::CheckCase;

const CollectiveDef& coll_of(const AlgorithmDef& a) {
  for (const auto* c : all_collectives()) {
    if (c->kind == a.kind) return *c;
  }
  throw std::runtime_error("no collective for algorithm");
}

// Requested size in bytes for `elems` elements: per rank for collectives whose size is split
// into per-rank chunks, so chunk counts take the same odd values.
std::size_t bytes_for(const CollectiveDef& coll, std::size_t elems, DType t, int nranks) {
  const CollCounts one = coll.counts(dtype_size(t) * 12, dtype_size(t), 12);
  const bool chunked = one.param_count != one.recv_count || one.param_count != one.send_count;
  return elems * dtype_size(t) * (chunked ? static_cast<std::size_t>(nranks) : 1);
}

struct Outcome {
  std::size_t wrong = 0;
  bool skipped = false;  // the algorithm is not usable on this layout (e.g. shm across nodes)
};

Outcome run_case(const AlgorithmDef& algo, const CheckCase& c, int nranks, int ranks_per_node) {
  std::atomic<std::size_t> wrong{0};
  std::atomic<bool> skipped{false};
  ThreadRunOptions opts;
  opts.ranks_per_node = ranks_per_node;
  opts.timeout_s = 60;
  run_threads(
      nranks,
      [&](Communicator& comm) {
        if (algo.usable != nullptr && !algo.usable(comm)) {
          skipped = true;
          return;
        }
        auto engine = make_host_engine();
        std::vector<unsigned char> send(test::send_buffer_bytes(c, nranks));
        std::vector<unsigned char> recv(test::recv_buffer_bytes(c, nranks));
        wrong += test::run_checked(c, comm.rank(), nranks, send.data(), recv.data(),
                                   [&](const CollArgs& a) { algo.run(a, comm, *engine); });
      },
      opts);
  return {wrong.load(), skipped.load()};
}

class OwnAlgorithm : public ::testing::TestWithParam<const AlgorithmDef*> {
 protected:
  // Runs the case for each layout; returns how many runs were not skipped.
  int check(const CheckCase& c, int nranks, const std::vector<int>& layouts) {
    int ran = 0;
    for (int ppn : layouts) {
      const Outcome o = run_case(*GetParam(), c, nranks, ppn);
      EXPECT_EQ(o.wrong, 0u) << GetParam()->name << " " << c.str() << " nranks=" << nranks
                             << " ranks_per_node=" << ppn;
      ran += o.skipped ? 0 : 1;
    }
    return ran;
  }
  CheckCase make(DType t, RedOp op, std::size_t elems, bool in_place, int root, int nranks) {
    const CollectiveDef& coll = coll_of(*GetParam());
    CheckCase c;
    c.coll = &coll;
    c.dtype = t;
    c.op = op;
    c.bytes = bytes_for(coll, elems, t, nranks);
    c.in_place = in_place;
    c.root = root;
    return c;
  }
  std::vector<int> roots(int nranks) const {
    if (!coll_of(*GetParam()).uses_root || nranks == 1) return {0};
    return {0, nranks - 1};
  }
};

// Float sum: every rank count, every small size, in and out of place, one node and nodes of 2
// and 3 ranks (hierarchical algorithms; uneven last node).
TEST_P(OwnAlgorithm, EveryRankCountAndSize) {
  int ran = 0;
  for (int n = 1; n <= 16; ++n) {
    std::vector<int> layouts = {0};
    if (n >= 4) layouts = {0, 2, 3};
    for (std::size_t elems : {0, 1, 7, 1000, 10007}) {
      for (bool in_place : {false, true}) {
        for (int root : roots(n)) {
          ran += check(make(DType::kFloat, RedOp::kSum, elems, in_place, root, n), n, layouts);
        }
      }
    }
  }
  EXPECT_GT(ran, 0) << "the algorithm never ran";
}

// Every dtype and op on a few rank counts and sizes.
TEST_P(OwnAlgorithm, EveryDtypeAndOp) {
  const bool uses_op = coll_of(*GetParam()).uses_op;
  for (const auto& t : all_dtypes()) {
    for (const auto& o : all_redops()) {
      if (!uses_op && o.op != RedOp::kSum) continue;
      for (int n : {2, 3, 5, 8}) {
        for (std::size_t elems : {7, 1000}) {
          for (bool in_place : {false, true}) {
            check(make(t.dtype, o.op, elems, in_place, n - 1 < 1 ? 0 : n - 1, n), n, {0});
          }
        }
      }
    }
  }
}

// Sizes beyond the pipeline pieces, slots and chunks of every algorithm (MiBs, odd counts).
TEST_P(OwnAlgorithm, LargeSizes) {
  for (int n : {2, 3, 4, 7}) {
    for (std::size_t elems : {std::size_t{300007}, std::size_t{(1 << 20) + 5}}) {
      for (bool in_place : {false, true}) {
        check(make(DType::kFloat, RedOp::kSum, elems, in_place, 0, n), n, {0});
      }
    }
    check(make(DType::kInt32, RedOp::kMax, 300007, false, n - 1, n), n, {0, 2});
    check(make(DType::kDouble, RedOp::kAvg, 300007, true, 0, n), n, {0});
  }
}

// Back-to-back calls on one communicator reuse state (sequence numbers, double-buffered slots).
TEST_P(OwnAlgorithm, RepeatedCallsStayCorrect) {
  for (int n : {2, 3, 6}) {
    const CheckCase c = make(DType::kInt64, RedOp::kSum, 70001, false, 0, n);
    std::atomic<std::size_t> wrong{0};
    run_threads(n, [&](Communicator& comm) {
      if (GetParam()->usable != nullptr && !GetParam()->usable(comm)) return;
      auto engine = make_host_engine();
      std::vector<unsigned char> send(test::send_buffer_bytes(c, n));
      // Odd calls run in place, where reduce_scatter's receive buffer holds the whole input.
      CheckCase in_place = c;
      in_place.in_place = true;
      std::vector<unsigned char> recv(test::recv_buffer_bytes(in_place, n));
      for (int i = 0; i < 7; ++i) {
        CheckCase ci = c;
        ci.seed = static_cast<std::uint64_t>(i);
        ci.in_place = i % 2 == 1;
        ci.bytes = i == 3 ? 24 : c.bytes;  // a small call between large ones
        wrong += test::run_checked(ci, comm.rank(), n, send.data(), recv.data(),
                                   [&](const CollArgs& a) { GetParam()->run(a, comm, *engine); });
      }
    });
    EXPECT_EQ(wrong.load(), 0u) << "nranks=" << n;
  }
}

std::string param_name(const ::testing::TestParamInfo<const AlgorithmDef*>& info) {
  return std::string(coll_of(*info.param).name) + "_" + info.param->name;
}

INSTANTIATE_TEST_SUITE_P(Registry, OwnAlgorithm, ::testing::ValuesIn(all_algorithms()), param_name);

// Collectives given as point-to-point schedules with no algorithm of their own (the own backend's
// "p2p": gather, scatter, alltoallv, hypercube), over the thread transport.
std::vector<const CollectiveDef*> p2p_collectives() {
  std::vector<const CollectiveDef*> out;
  for (const auto* c : all_collectives()) {
    if (c->p2p_schedule != nullptr && algorithms_for(c->kind).empty()) out.push_back(c);
  }
  return out;
}

class P2pCollective : public ::testing::TestWithParam<const CollectiveDef*> {
 protected:
  void check(DType t, std::size_t elems, bool in_place, int root, int n) {
    CheckCase c;
    c.coll = GetParam();
    c.dtype = t;
    c.bytes = bytes_for(*c.coll, elems, t, n);
    c.in_place = in_place;
    c.root = root;
    std::atomic<std::size_t> wrong{0};
    ThreadRunOptions opts;
    opts.timeout_s = 60;
    run_threads(
        n,
        [&](Communicator& comm) {
          auto engine = make_host_engine();
          ScheduleCache cache;
          std::vector<unsigned char> send(test::send_buffer_bytes(c, n));
          std::vector<unsigned char> recv(test::recv_buffer_bytes(c, n));
          wrong += test::run_checked(
              c, comm.rank(), n, send.data(), recv.data(), [&](const CollArgs& a) {
                run_p2p_schedule(a, cache.get(a, comm.rank(), n), comm, *engine);
              });
        },
        opts);
    EXPECT_EQ(wrong.load(), 0u) << c.str() << " nranks=" << n;
  }
};

// Every rank count 1..16 (powers of two and not), sizes 0, 1, odd and not divisible by the rank
// count, in and out of place, first and last root; every dtype on a few rank counts.
TEST_P(P2pCollective, EveryRankCountSizeAndDtype) {
  for (int n = 1; n <= 16; ++n) {
    for (std::size_t elems : {0, 1, 7, 1000, 10007}) {
      for (bool in_place : {false, true}) {
        for (int root : {0, n - 1}) {
          if (root != 0 && !GetParam()->uses_root) continue;
          check(DType::kFloat, elems, in_place, root, n);
        }
      }
    }
  }
  for (const auto& t : all_dtypes()) {
    for (int n : {2, 3, 4, 5}) {
      for (std::size_t elems : {7, 1001}) check(t.dtype, elems, n % 2 == 1, n - 1, n);
    }
  }
}

std::string coll_param_name(const ::testing::TestParamInfo<const CollectiveDef*>& p) {
  return p.param->name;
}

INSTANTIATE_TEST_SUITE_P(Registry, P2pCollective, ::testing::ValuesIn(p2p_collectives()),
                         coll_param_name);

TEST(AlgorithmRegistry, NamesAreUniquePerCollectiveAndAutoRulesResolve) {
  std::set<std::pair<int, std::string>> seen;
  for (const auto* a : all_algorithms()) {
    EXPECT_TRUE(seen.insert({static_cast<int>(a->kind), a->name}).second) << a->name;
    EXPECT_NE(std::string(a->name), "auto");
    EXPECT_NE(std::string(a->name), "list");
  }
  for (const auto& r : auto_rules()) {
    const CollectiveDef* c = find_collective(r.collective);
    ASSERT_NE(c, nullptr) << r.collective;
    EXPECT_NE(find_algorithm(c->kind, r.algo), nullptr) << r.collective << " " << r.algo;
  }
}

TEST(AlgorithmRegistry, AutoPicksAUsableAlgorithmAndNamesAreChecked) {
  ThreadRunOptions opts;
  opts.ranks_per_node = 2;
  run_threads(
      4,
      [](Communicator& comm) {
        for (const auto* c : all_collectives()) {
          if (algorithms_for(c->kind).empty()) continue;
          for (std::size_t bytes : {std::size_t{8}, std::size_t{1} << 26}) {
            const AlgorithmDef& a = choose_algorithm(*c, bytes, comm);
            if (a.usable != nullptr && !a.usable(comm)) throw std::runtime_error("unusable");
          }
        }
        const CollectiveDef& ar = *find_collective("all_reduce");
        try {
          resolve_algorithm("no_such_algo", ar, 8, comm);
          throw std::logic_error("accepted an unknown name");
        } catch (const std::runtime_error& e) {
          if (std::string(e.what()).find("have: ring") == std::string::npos) throw;
        }
      },
      opts);
  EXPECT_NE(format_algorithm_list().find("all_reduce"), std::string::npos);
}

// The table row --algo auto should take: the first one matching collective, rank count and size
// whose algorithm is usable here; nullptr if none (auto then takes the first usable algorithm).
const AutoRule* table_row(const CollectiveDef& c, std::size_t bytes, Communicator& comm) {
  for (const auto& r : auto_rules()) {
    if (std::string_view(r.collective) != c.name || comm.size() < r.min_ranks ||
        comm.size() > r.max_ranks || bytes < r.min_bytes || bytes >= r.max_bytes) {
      continue;
    }
    const AlgorithmDef* a = find_algorithm(c.kind, r.algo);
    if (a != nullptr && (a->usable == nullptr || a->usable(comm))) return &r;
  }
  return nullptr;
}

// Every collective, rank counts 1..9 (one node, and nodes of 2 ranks where shm is unusable), sizes
// 0 B - 1 TiB: auto picks a registered algorithm of that collective that is usable here, and for
// collectives with several algorithms it is the table's row (the table covers every rank count and
// size; no silent fallback to the first registered algorithm).
TEST(AutoSelection, PicksTheTablesUsableAlgorithmForEveryCollectiveRankCountAndSize) {
  std::mutex mu;
  std::vector<std::string> failures;
  for (int n = 1; n <= 9; ++n) {
    for (int ppn : {0, 2}) {
      ThreadRunOptions opts;
      opts.ranks_per_node = ppn;
      run_threads(
          n,
          [&](Communicator& comm) {
            auto fail = [&](const CollectiveDef& c, std::size_t bytes, const std::string& what) {
              std::lock_guard<std::mutex> lock(mu);
              failures.push_back(std::string(c.name) + " n=" + std::to_string(n) +
                                 " ppn=" + std::to_string(ppn) + " bytes=" + std::to_string(bytes) +
                                 ": " + what);
            };
            for (const auto* c : all_collectives()) {
              const auto algos = algorithms_for(c->kind);
              if (algos.empty()) continue;
              for (std::size_t bytes = 0; bytes <= (std::size_t{1} << 40);
                   bytes = bytes == 0 ? 1 : bytes * 4) {
                const AlgorithmDef& a = choose_algorithm(*c, bytes, comm);
                if (find_algorithm(c->kind, a.name) != &a) fail(*c, bytes, "not registered");
                if (a.usable != nullptr && !a.usable(comm)) fail(*c, bytes, "not usable");
                if (algos.size() < 2) continue;
                const AutoRule* row = table_row(*c, bytes, comm);
                if (row == nullptr) {
                  fail(*c, bytes, "no table row");
                } else if (std::string_view(row->algo) != a.name) {
                  fail(*c, bytes, std::string("picked ") + a.name + ", table says " + row->algo);
                }
              }
            }
          },
          opts);
    }
  }
  for (const auto& f : failures) ADD_FAILURE() << f;
}

// The latency/bandwidth trade-off the defaults encode, on rank counts the table has no measured
// rows for (5..9): log-step algorithms for a small message, ring/chain for a huge one.
TEST(AutoSelection, SmallMessagesTakeLogStepAlgorithmsLargeOnesRingOrChain) {
  const std::vector<std::tuple<std::string, std::string, std::string>> expect = {
      {"all_gather", "rd", "ring"},       {"reduce_scatter", "rh", "ring"},
      {"broadcast", "binomial", "chain"}, {"reduce", "binomial", "chain"},
      {"all_reduce", "rhd", "ring"},  // across nodes (ppn 2), where shm is unusable
  };
  for (int n = 5; n <= 9; ++n) {
    ThreadRunOptions opts;
    opts.ranks_per_node = 2;
    std::mutex mu;
    std::vector<std::string> got;
    run_threads(
        n,
        [&](Communicator& comm) {
          if (comm.rank() != 0) return;
          for (const auto& [coll, small, large] : expect) {
            const CollectiveDef& c = *find_collective(coll);
            std::lock_guard<std::mutex> lock(mu);
            got.emplace_back(choose_algorithm(c, 8, comm).name);
            got.emplace_back(choose_algorithm(c, std::size_t{1} << 30, comm).name);
          }
        },
        opts);
    ASSERT_EQ(got.size(), 2 * expect.size());
    for (std::size_t i = 0; i < expect.size(); ++i) {
      EXPECT_EQ(got[2 * i], std::get<1>(expect[i])) << std::get<0>(expect[i]) << " n=" << n;
      EXPECT_EQ(got[2 * i + 1], std::get<2>(expect[i])) << std::get<0>(expect[i]) << " n=" << n;
    }
  }
}

}  // namespace
}  // namespace fb
