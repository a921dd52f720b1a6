// Binomial-tree reduce: the mirror of the binomial broadcast. In round k a rank whose bit k is
// set sends its partial result to v - 2^k and drops out; the others add what v + 2^k sends.
// ceil(log2 n) rounds of whole messages: latency-optimal for small messages.
#include "collectives/algo_tree_chain.h"

namespace fb {
namespace {

constexpr int kTag = 26;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count, bytes = count * es;
  if (n == 1 || count == 0) {
    if (n == 1 && !a.in_place) engine.copy(a.recv, a.send, bytes);
    if (n == 1 && a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, a.recv, count, n);
    return;
  }
  const int v = rooted_rank(r, a.root, n);
  // The root accumulates in its output; other ranks in scratch (their output is undefined and
  // need not be written). The second half receives the child's partial result.
  auto* scratch = static_cast<unsigned char*>(engine.scratch((v == 0 ? 1 : 2) * bytes));
  void* acc = v == 0 ? a.recv : scratch;
  unsigned char* incoming = v == 0 ? scratch : scratch + bytes;
  const void* cur = a.send;
  for (int mask = 1; mask < n; mask <<= 1) {
    if (v & mask) {
      RequestPtr s = comm.isend(cur, bytes, real_rank(v - mask, a.root, n), kTag);
      comm.wait(s);
      return;
    }
    if (v + mask < n) {
      RequestPtr q = comm.irecv(incoming, bytes, real_rank(v + mask, a.root, n), kTag);
      comm.wait(q);
      engine.reduce(a.dtype, a.op, acc, cur, incoming, count);
      cur = acc;
    }
  }
  // Only the root gets here, after hearing from v = 1 at least (n >= 2).
  if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, a.recv, count, n);
}

}  // namespace

extern const AlgorithmDef kReduceBinomial = {"binomial", CollKind::kReduce,
                                             "binomial tree, ceil(log2 n) rounds of whole messages",
                                             run, nullptr};

}  // namespace fb
