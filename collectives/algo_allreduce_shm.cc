// Shared-memory all-reduce for ranks on one node. No messages: ranks synchronise through
// sequence numbers in a shared segment and move data with loads and stores.
//  - Direct (large, when every rank's buffers are shared memory, e.g. allocated by the own
//    backend): rank r reduces slice r of the vector straight from every rank's send buffer and
//    writes the result into every rank's receive buffer. Each byte is read once and written n
//    times in total, the least memory traffic an all-reduce can have; one barrier at the end.
//  - Staged (small, or buffers that are not shared): each rank copies a chunk of its input into
//    its own slot of a shared segment, publishes a sequence number, and once all have published
//    reduces all slots into its receive buffer. One synchronisation per chunk; two slots used
//    alternately, so a rank may refill one while slower ranks still read the other.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kSegmentKey = 0x5348;
constexpr std::size_t kLine = 64;
constexpr std::size_t kSlotBytes = 256 << 10;
// Below this the staged path's one synchronisation per chunk beats the direct path's two.
constexpr std::size_t kDirectMinBytes = 8 << 10;
// Direct path: reduce this much, then copy it out while it is still in cache.
constexpr std::size_t kDirectPieceBytes = 32 << 10;

// Where a rank's buffers are, as SharedMemory::locate says; written before a sync, read after.
struct BufferInfo {
  std::uint64_t shared;  // 1 when both buffers are in mappable memory
  std::uint64_t send_id, send_offset, recv_id, recv_offset;
};

// Per rank: [buffer info line][slot 0][slot 1]; a slot is [sequence number (8 B)][data], the
// number and the first 56 data bytes sharing one cache line, so a small all-reduce moves one
// line per peer. Round s uses slot s & 1 for both its data and its sequence number.
constexpr std::size_t kHeader = sizeof(std::uint64_t);
constexpr std::size_t kSlotStride = (kHeader + kSlotBytes + kLine - 1) / kLine * kLine;
constexpr std::size_t kSegmentBytes = kLine + 2 * kSlotStride;

struct Layout {
  const std::vector<void*>& seg;
  unsigned char* slot_base(int rank, std::uint64_t seq_no) const {
    return static_cast<unsigned char*>(seg[static_cast<std::size_t>(rank)]) + kLine +
           (seq_no & 1) * kSlotStride;
  }
  std::atomic<std::uint64_t>& seq(int rank, std::uint64_t seq_no) const {
    return *reinterpret_cast<std::atomic<std::uint64_t>*>(slot_base(rank, seq_no));
  }
  unsigned char* slot(int rank, std::uint64_t seq_no) const {
    return slot_base(rank, seq_no) + kHeader;
  }
  BufferInfo& info(int rank) const {
    return *static_cast<BufferInfo*>(seg[static_cast<std::size_t>(rank)]);
  }
  // The last round this rank published.
  std::uint64_t last(int rank) const {
    return std::max(seq(rank, 0).load(std::memory_order_relaxed),
                    seq(rank, 1).load(std::memory_order_relaxed));
  }
};

// Spin-wait hint: backs off the polling load so it does not keep stealing the line the peer is
// still writing its data and sequence number into.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Publishes round `seq_no` and waits until every rank has. A peer is never more than one round
// ahead (it cannot pass round s+1 before we publish it), so slot s & 1 holds s-2 or s.
void sync(const Layout& l, SharedMemory& shm, int n, int r, std::uint64_t seq_no) {
  l.seq(r, seq_no).store(seq_no, std::memory_order_release);
  for (int j = 0; j < n; ++j) {
    if (j == r) continue;
    // The clock is read only once a wait turns out to be long: a small all-reduce is ~0.3 us.
    std::chrono::steady_clock::time_point t0;
    unsigned spins = 0;
    while (l.seq(j, seq_no).load(std::memory_order_acquire) < seq_no) {
      cpu_relax();
      if (++spins % 256 == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (spins == 256) t0 = now;
        shm.poll(std::chrono::duration<double>(now - t0).count());
      }
    }
  }
}

bool usable(Communicator& comm) { return comm.shared_memory() != nullptr; }

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  SharedMemory* shm = comm.shared_memory();
  if (shm == nullptr) throw std::runtime_error("shm all_reduce: ranks do not share memory");
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  if (count == 0) return;
  static_assert(sizeof(std::atomic<std::uint64_t>) == kHeader, "sequence number is the header");
  static_assert(sizeof(BufferInfo) <= kLine, "buffer info fits a line");
  const Layout l{shm->segments(kSegmentKey, kSegmentBytes)};
  std::uint64_t seq_no = l.last(r);

  if (count * es >= kDirectMinBytes) {
    // Publish where our buffers are; after the sync every rank sees every rank's, so all take
    // the same path. A peer rereads our info only before the final sync of this call, and we
    // rewrite it only in the next call, after that sync.
    BufferInfo& mine = l.info(r);
    mine.shared = shm->locate(a.send, &mine.send_id, &mine.send_offset) &&
                  shm->locate(a.recv, &mine.recv_id, &mine.recv_offset);
    sync(l, *shm, n, r, ++seq_no);
    bool all_shared = true;
    std::vector<void*> send(static_cast<std::size_t>(n)), recv(static_cast<std::size_t>(n));
    for (int j = 0; j < n && all_shared; ++j) {
      const BufferInfo& bi = l.info(j);
      all_shared = bi.shared != 0;
      if (!all_shared) break;
      send[static_cast<std::size_t>(j)] = shm->peer_address(j, bi.send_id, bi.send_offset);
      recv[static_cast<std::size_t>(j)] = shm->peer_address(j, bi.recv_id, bi.recv_offset);
    }
    if (all_shared) {
      const BlockRange slice = block_range(count, n, r);
      const std::size_t piece = std::max<std::size_t>(1, kDirectPieceBytes / es);
      // Accumulate straight into our own receive buffer, unless in place it is also an input
      // still needed after the first reduction (rank >= 2): then in scratch.
      const bool direct_acc = !a.in_place || r < 2;
      void* scratch = direct_acc ? nullptr : engine.scratch(piece * es);
      for (std::size_t off = 0; off < slice.count; off += piece) {
        const std::size_t first = slice.first + off, len = std::min(piece, slice.count - off);
        auto in = [&](int j) { return byte_ptr(send[static_cast<std::size_t>(j)], first, es); };
        auto out = [&](int j) { return byte_ptr(recv[static_cast<std::size_t>(j)], first, es); };
        void* acc = direct_acc ? out(r) : scratch;
        if (n == 1) engine.copy(acc, in(0), len * es);
        for (int j = 1; j < n; ++j) {
          engine.reduce(a.dtype, a.op, acc, j == 1 ? in(0) : acc, in(j), len);
        }
        if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, acc, len, n);
        // Copy while the piece is still in cache.
        for (int j = 0; j < n; ++j) {
          if (out(j) != acc) engine.copy(out(j), acc, len * es);
        }
      }
      // Nobody returns (and lets its caller touch the buffers) before all slices are written.
      sync(l, *shm, n, r, ++seq_no);
      return;
    }
  }

  const std::size_t chunk = kSlotBytes / es;
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t len = std::min(chunk, count - first);
    ++seq_no;
    engine.copy(l.slot(r, seq_no), byte_ptr(a.send, first, es), len * es);
    sync(l, *shm, n, r, seq_no);
    // Every rank combines the slots in rank order, so all get bit-identical results.
    void* out = byte_ptr(a.recv, first, es);
    if (n == 1) engine.copy(out, l.slot(0, seq_no), len * es);
    for (int j = 1; j < n; ++j) {
      engine.reduce(a.dtype, a.op, out, j == 1 ? l.slot(0, seq_no) : out, l.slot(j, seq_no), len);
    }
    if (a.op == RedOp::kAvg) engine.avg_finalize(a.dtype, out, len, n);
  }
}

}  // namespace

extern const AlgorithmDef kAllReduceShm = {
    "shm", CollKind::kAllReduce,
    "one node: ranks reduce slices straight from each other's buffers (shared windows), or "
    "stage small chunks through a shared segment",
    run, usable};

}  // namespace fb
