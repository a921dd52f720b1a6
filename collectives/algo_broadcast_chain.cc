// Pipelined chain broadcast: ranks form a chain from the root; the message goes in pieces and
// each rank forwards a piece as soon as it has it. Every link carries the message once, so large
// messages approach link bandwidth (busbw = algbw) whatever n; latency grows with n.
#include <vector>

#include "collectives/algo_tree_chain.h"

namespace fb {
namespace {

constexpr int kTag = 25;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  if (r == a.root && !a.in_place) engine.copy(a.recv, a.send, count * es);
  if (n == 1 || count == 0) return;
  const int v = rooted_rank(r, a.root, n);
  const int pieces = chain_pieces(count, es);
  auto piece = [&](int i) { return block_range(count, pieces, i); };
  // Every piece lands at its final place, so all receives can be posted at once.
  std::vector<RequestPtr> recvs;
  if (v > 0) {
    for (int i = 0; i < pieces; ++i) {
      const BlockRange p = piece(i);
      recvs.push_back(comm.irecv(byte_ptr(a.recv, p.first, es), p.count * es,
                                 real_rank(v - 1, a.root, n), kTag));
    }
  }
  std::vector<RequestPtr> sends;
  for (int i = 0; i < pieces; ++i) {
    if (v > 0) comm.wait(recvs[static_cast<std::size_t>(i)]);
    if (v + 1 < n) {
      const BlockRange p = piece(i);
      sends.push_back(comm.isend(byte_ptr(a.recv, p.first, es), p.count * es,
                                 real_rank(v + 1, a.root, n), kTag));
    }
  }
  comm.wait_all(sends);
}

}  // namespace

extern const AlgorithmDef kBroadcastChain = {
    "chain", CollKind::kBroadcast, "pipelined chain from the root, 256 KiB pieces", run, nullptr};

}  // namespace fb
