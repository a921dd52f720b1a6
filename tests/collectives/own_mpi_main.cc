// MPI transport check, run by ctest under mpirun (np 1-4): every registered algorithm of every
// collective through the own backend (MPI point-to-point, shared windows), on buffers from the
// backend (shared windows: the shm direct path) and from malloc (shm staged path), several sizes,
// dtypes and ops, in and out of place. Exits non-zero if any rank saw a wrong element or an error.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/backend_own.h"
#include "collectives/world.h"
#include "tests/collectives/algo_check.h"

namespace {

using fb::test::CheckCase;

// Bytes for `elems` elements; chunked collectives get elems per rank.
std::size_t bytes_for(const fb::CollectiveDef& coll, std::size_t elems, fb::DType t, int n) {
  const fb::CollCounts one = coll.counts(fb::dtype_size(t) * 12, fb::dtype_size(t), 12);
  const bool chunked = one.param_count != one.recv_count || one.param_count != one.send_count;
  return elems * fb::dtype_size(t) * (chunked ? static_cast<std::size_t>(n) : 1);
}

void* plain_alloc(std::size_t bytes) {
  return std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
}

int run(fb::World& world) {
  const int n = world.size(), rank = world.rank();
  double failures = 0;
  int cases = 0;
  // Every algorithm, then every collective run by its point-to-point schedule ("p2p" via auto).
  std::vector<std::pair<const fb::CollectiveDef*, std::string>> runs;
  for (const auto* algo : fb::all_algorithms()) {
    for (const auto* c : fb::all_collectives()) {
      if (c->kind == algo->kind) runs.emplace_back(c, algo->name);
    }
  }
  for (const auto* c : fb::all_collectives()) {
    if (c->p2p_schedule != nullptr && fb::algorithms_for(c->kind).empty()) {
      runs.emplace_back(c, "auto");
    }
  }
  for (const auto& [coll, algo_name] : runs) {
    fb::BackendOptions opts;
    opts.algo = algo_name;
    auto backend = fb::make_own_backend(world, opts);
    for (bool shared_buffers : {true, false}) {
      for (std::size_t elems : {0, 1, 7, 1000, 10007, 300007}) {
        for (auto [dtype, op] : {std::pair{fb::DType::kFloat, fb::RedOp::kSum},
                                 std::pair{fb::DType::kInt32, fb::RedOp::kMax},
                                 std::pair{fb::DType::kHalf, fb::RedOp::kAvg}}) {
          for (bool in_place : {false, true}) {
            CheckCase c;
            c.coll = coll;
            c.dtype = dtype;
            c.op = coll->uses_op ? op : fb::RedOp::kSum;
            c.bytes = bytes_for(*coll, elems, dtype, n);
            c.in_place = in_place;
            c.root = coll->uses_root ? n - 1 : 0;
            const std::size_t sb = fb::test::send_buffer_bytes(c, n);
            const std::size_t rb = fb::test::recv_buffer_bytes(c, n);
            // Every rank allocates the same sizes in the same order (shared windows are
            // collective).
            void* send = shared_buffers ? backend->alloc(sb) : plain_alloc(sb);
            void* recv = shared_buffers ? backend->alloc(rb) : plain_alloc(rb);
            std::size_t wrong = 0;
            std::string error;
            try {
              wrong = fb::test::run_checked(c, rank, n, send, recv,
                                            [&](const fb::CollArgs& a) { backend->run(a); });
            } catch (const std::exception& e) {
              error = e.what();
              wrong = 1;
            }
            if (wrong) {
              std::fprintf(stderr, "rank %d: %s %s: %zu wrong%s%s\n", rank, algo_name.c_str(),
                           c.str().c_str(), wrong, error.empty() ? "" : ": ", error.c_str());
            }
            double w = static_cast<double>(wrong != 0);
            world.allreduce_sum(&w, 1);
            failures += w;
            ++cases;
            if (shared_buffers) {
              backend->free(recv);
              backend->free(send);
            } else {
              std::free(recv);
              std::free(send);
            }
          }
        }
      }
    }
  }
  if (rank == 0) {
    std::printf("own algorithms over MPI, %d ranks: %d cases, %g failing\n", n, cases, failures);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto world = fb::make_world(&argc, &argv);
  try {
    return run(*world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "own_mpi_check: rank %d: %s\n", world->rank(), e.what());
    world->abort(1);
  }
}
