// Pipelined chain reduce: partial results flow from the far end of a chain towards the root in
// pieces; each rank adds its input to a piece and passes it on while the next piece arrives.
// Every link carries the message once (busbw = algbw for large messages); latency grows with n.
#include <vector>

#include "collectives/algo_tree_chain.h"

namespace fb {
namespace {

constexpr int kTag = 27;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  if (n == 1 || count == 0) {
    if (n == 1 && !a.in_place) engine.copy(a.recv, a.send, count * es);
    if (n == 1 && a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, a.recv, count, n);
    return;
  }
  const int v = rooted_rank(r, a.root, n);
  const int pieces = chain_pieces(count, es);
  auto piece = [&](int i) { return block_range(count, pieces, i); };
  const int to = v > 0 ? real_rank(v - 1, a.root, n) : -1;
  std::vector<RequestPtr> sends;
  if (v == n - 1) {  // the far end sends its input as it is
    for (int i = 0; i < pieces; ++i) {
      sends.push_back(
          comm.isend(byte_ptr(a.send, piece(i).first, es), piece(i).count * es, to, kTag));
    }
    comm.wait_all(sends);
    return;
  }
  const int from = real_rank(v + 1, a.root, n);
  // Partial results: the root's output, or scratch that stays valid until the sends complete;
  // then two piece buffers, so one piece arrives while the previous one is added.
  const std::size_t piece_bytes = piece(0).count * es;
  const std::size_t acc_bytes = v == 0 ? 0 : count * es;
  auto* scratch = static_cast<unsigned char*>(engine.scratch(acc_bytes + 2 * piece_bytes));
  void* acc = v == 0 ? a.recv : scratch;
  unsigned char* incoming[2] = {scratch + acc_bytes, scratch + acc_bytes + piece_bytes};
  RequestPtr pending = comm.irecv(incoming[0], piece(0).count * es, from, kTag);
  for (int i = 0; i < pieces; ++i) {
    RequestPtr current = std::move(pending);
    if (i + 1 < pieces) {
      pending = comm.irecv(incoming[(i + 1) % 2], piece(i + 1).count * es, from, kTag);
    }
    comm.wait(current);
    const BlockRange p = piece(i);
    engine.reduce(a.dtype, a.op, byte_ptr(acc, p.first, es), byte_ptr(a.send, p.first, es),
                  incoming[i % 2], p.count);
    if (to >= 0) sends.push_back(comm.isend(byte_ptr(acc, p.first, es), p.count * es, to, kTag));
  }
  comm.wait_all(sends);
  if (v == 0 && a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, a.recv, count, n);
}

}  // namespace

extern const AlgorithmDef kReduceChain = {
    "chain", CollKind::kReduce, "pipelined chain towards the root, 256 KiB pieces", run, nullptr};

}  // namespace fb
