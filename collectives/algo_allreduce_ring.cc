// Ring all-reduce: a reduce-scatter then an all-gather around the ring, n-1 steps each. Every
// rank sends and receives 2(n-1)/n of the data, the bandwidth optimum; latency grows with n.
// Reduce-scatter messages are cut into pieces so the reduction of one piece overlaps the
// transfer of the next.
#include <algorithm>

#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr std::size_t kPieceBytes = 256 << 10;
constexpr std::size_t kMaxPieces = 8;
constexpr int kTag = 1;

}  // namespace

void ring_reduce_scatter(Communicator& comm, Engine& engine, DType dtype, RedOp op,
                         const void* send, void* recv, std::size_t count, int tag) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(dtype);
  if (n == 1) {
    engine.copy(recv, send, count * es);
    return;
  }
  const int next = (r + 1) % n, prev = (r + n - 1) % n;
  // Every block is cut into the same number of pieces (from the largest block, block 0), so the
  // sender's piece i is the receiver's piece i.
  // Pieces of at least kPieceBytes, at most kMaxPieces per block: each piece is a handshake with
  // the neighbour, and more of them buy no more overlap.
  const std::size_t max_block_bytes = block_range(count, n, 0).count * es;
  const std::size_t piece_bytes =
      std::max(kPieceBytes, (max_block_bytes + kMaxPieces - 1) / kMaxPieces);
  const int pieces =
      static_cast<int>(std::max<std::size_t>(1, (max_block_bytes + piece_bytes - 1) / piece_bytes));
  const std::size_t piece_cap = block_range(block_range(count, n, 0).count, pieces, 0).count * es;
  auto* scratch = static_cast<unsigned char*>(engine.scratch(2 * piece_cap));
  std::vector<RequestPtr> sends;
  // Step s: send block r-s-1 (reduced in step s-1, or our own input at s=0), receive block r-s-2
  // and fold in our input. After n-1 steps block r has passed every rank.
  for (int s = 0; s < n - 1; ++s) {
    const BlockRange sb = block_range(count, n, (r - s - 1 + 2 * n) % n);
    const BlockRange rb = block_range(count, n, (r - s - 2 + 2 * n) % n);
    const void* src = s == 0 ? send : recv;
    auto piece = [&](const BlockRange& b, int i) {
      const BlockRange p = block_range(b.count, pieces, i);
      return BlockRange{b.first + p.first, p.count};
    };
    RequestPtr pending = comm.irecv(scratch, piece(rb, 0).count * es, prev, tag);
    for (int i = 0; i < pieces; ++i) {
      const BlockRange ps = piece(sb, i), pr = piece(rb, i);
      sends.push_back(comm.isend(byte_ptr(src, ps.first, es), ps.count * es, next, tag));
      RequestPtr current = std::move(pending);
      if (i + 1 < pieces) {
        pending = comm.irecv(scratch + static_cast<std::size_t>((i + 1) % 2) * piece_cap,
                             piece(rb, i + 1).count * es, prev, tag);
      }
      comm.wait(current);
      engine.reduce(dtype, op, byte_ptr(recv, pr.first, es), byte_ptr(send, pr.first, es),
                    scratch + static_cast<std::size_t>(i % 2) * piece_cap, pr.count);
    }
    comm.wait_all(sends);
  }
}

void ring_all_gather(Communicator& comm, Engine& engine, DType dtype, void* buf, std::size_t count,
                     int tag) {
  (void)engine;
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(dtype);
  const int next = (r + 1) % n, prev = (r + n - 1) % n;
  // Step s: forward block r-s (ours at s=0, received in step s-1 after), receive block r-s-1.
  for (int s = 0; s < n - 1; ++s) {
    const BlockRange sb = block_range(count, n, (r - s + n) % n);
    const BlockRange rb = block_range(count, n, (r - s - 1 + 2 * n) % n);
    comm.sendrecv(byte_ptr(buf, sb.first, es), sb.count * es, next, byte_ptr(buf, rb.first, es),
                  rb.count * es, prev, tag);
  }
}

void ring_all_reduce(Communicator& comm, Engine& engine, DType dtype, RedOp op, const void* send,
                     void* recv, std::size_t count, int tag) {
  ring_reduce_scatter(comm, engine, dtype, op, send, recv, count, tag);
  // Finalise avg on the block this rank owns, before it is copied everywhere: once per element.
  if (op == RedOp::kAvg) {
    const BlockRange mine = block_range(count, comm.size(), comm.rank());
    engine.avg_finalize(dtype, byte_ptr(recv, mine.first, dtype_size(dtype)), mine.count,
                        comm.size());
  }
  ring_all_gather(comm, engine, dtype, recv, count, tag);
}

namespace {
void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  ring_all_reduce(comm, engine, a.dtype, a.op, a.send, a.recv, a.counts.recv_count, kTag);
}
}  // namespace

extern const AlgorithmDef kAllReduceRing = {
    "ring", CollKind::kAllReduce,
    "reduce-scatter + all-gather around a ring, pipelined in up to 8 pieces of >= 256 KiB", run,
    nullptr};

}  // namespace fb
