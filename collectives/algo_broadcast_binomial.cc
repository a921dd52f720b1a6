// Binomial-tree broadcast: ceil(log2 n) rounds; in each, every rank that has the data sends it
// to one that has not. Latency-optimal for small messages; each rank receives the whole message
// once, but the root sends it log2 n times.
#include <vector>

#include "collectives/algo_tree_chain.h"

namespace fb {
namespace {

constexpr int kTag = 24;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t bytes = a.counts.recv_count * dtype_size(a.dtype);
  if (r == a.root && !a.in_place) engine.copy(a.recv, a.send, bytes);
  if (n == 1 || bytes == 0) return;
  const int v = rooted_rank(r, a.root, n);
  // The parent is v with its lowest set bit cleared; the children are v + m for the powers of
  // two m below that bit (all m < n for the root), largest subtree first.
  int mask = 1;
  for (; mask < n; mask <<= 1) {
    if (v & mask) {
      RequestPtr q = comm.irecv(a.recv, bytes, real_rank(v - mask, a.root, n), kTag);
      comm.wait(q);
      break;
    }
  }
  std::vector<RequestPtr> sends;
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (v + mask < n) {
      sends.push_back(comm.isend(a.recv, bytes, real_rank(v + mask, a.root, n), kTag));
    }
  }
  comm.wait_all(sends);
}

}  // namespace

extern const AlgorithmDef kBroadcastBinomial = {
    "binomial", CollKind::kBroadcast, "binomial tree, ceil(log2 n) rounds of whole messages", run,
    nullptr};

}  // namespace fb
