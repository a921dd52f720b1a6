// Pipelined double binary tree all-reduce (NCCL's trees): the data is split in two halves, each
// reduced up one binary tree and broadcast back down it, chunk by chunk so that every level of
// the tree works on a different chunk at once. The second tree mirrors the first (rank r sits at
// position n-1-r), so most ranks that are leaves in one tree are inner nodes in the other and
// the load on each rank's links evens out. Latency is O(log n) steps plus the pipeline depth.
#include <algorithm>
#include <array>

#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr std::size_t kChunkBytes = 64 << 10;
constexpr std::size_t kMaxChunks = 16;
constexpr int kTagUp = 3, kTagDown = 4;

// Heap-shaped binary tree over positions 0..n-1: parent (i-1)/2, children 2i+1 and 2i+2.
struct TreeNode {
  int parent = -1;
  std::array<int, 2> child = {-1, -1};
};

TreeNode tree_node(int n, int r, int tree) {
  auto pos = [&](int rank) { return tree == 0 ? rank : n - 1 - rank; };
  auto rank_at = [&](int p) { return tree == 0 ? p : n - 1 - p; };
  const int i = pos(r);
  TreeNode t;
  if (i > 0) t.parent = rank_at((i - 1) / 2);
  for (int c = 0; c < 2; ++c) {
    const int ci = 2 * i + 1 + c;
    if (ci < n) t.child[static_cast<std::size_t>(c)] = rank_at(ci);
  }
  return t;
}

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  if (single_rank_copy(a, comm, engine)) return;
  const int n = comm.size(), r = comm.rank();
  const std::size_t es = dtype_size(a.dtype), count = a.counts.recv_count;
  // Chunks of at least kChunkBytes, at most kMaxChunks per half: each chunk is a handshake per
  // tree edge, and a shallow tree gains nothing from a deeper pipeline.
  const std::size_t half_bytes = block_range(count, 2, 0).count * es;
  const std::size_t chunk_bytes = std::max(kChunkBytes, (half_bytes + kMaxChunks - 1) / kMaxChunks);
  const std::size_t chunk = std::max<std::size_t>(1, chunk_bytes / es);
  const std::array<TreeNode, 2> nodes = {tree_node(n, r, 0), tree_node(n, r, 1)};
  const std::array<BlockRange, 2> half = {block_range(count, 2, 0), block_range(count, 2, 1)};
  const std::size_t chunks = (half[0].count + chunk - 1) / chunk;  // half 0 is the larger
  auto range = [&](int t, std::size_t k) {
    const BlockRange& h = half[static_cast<std::size_t>(t)];
    const std::size_t first = std::min(h.count, k * chunk);
    return BlockRange{h.first + first, std::min(chunk, h.count - first)};
  };
  // One scratch chunk per (tree, child).
  auto* scratch = static_cast<unsigned char*>(engine.scratch(4 * chunk * es));
  std::vector<RequestPtr> sends;

  // Up: fold the children's partial sums of chunk k into ours and pass it to the parent. Sends
  // are not waited for, so a rank moves on to chunk k+1 while its parent reduces chunk k.
  for (std::size_t k = 0; k < chunks; ++k) {
    for (int t = 0; t < 2; ++t) {
      const TreeNode& node = nodes[static_cast<std::size_t>(t)];
      const BlockRange b = range(t, k);
      const void* acc = byte_ptr(a.send, b.first, es);  // a leaf forwards its input untouched
      for (int c = 0; c < 2; ++c) {
        const int child = node.child[static_cast<std::size_t>(c)];
        if (child < 0) continue;
        unsigned char* in = scratch + static_cast<std::size_t>(2 * t + c) * chunk * es;
        RequestPtr q = comm.irecv(in, b.count * es, child, kTagUp);
        comm.wait(q);
        engine.reduce(a.dtype, a.op, byte_ptr(a.recv, b.first, es), acc, in, b.count);
        acc = byte_ptr(a.recv, b.first, es);
      }
      if (node.parent >= 0) {
        sends.push_back(comm.isend(acc, b.count * es, node.parent, kTagUp));
      } else if (acc != byte_ptr(a.recv, b.first, es)) {
        engine.copy(byte_ptr(a.recv, b.first, es), acc, b.count * es);  // a root without children
      }
    }
  }
  // The down phase overwrites the receive buffer that pending up-sends read from.
  comm.wait_all(sends);

  // Down: the root finalises avg once, then every rank passes each chunk on to its children.
  for (std::size_t k = 0; k < chunks; ++k) {
    for (int t = 0; t < 2; ++t) {
      const TreeNode& node = nodes[static_cast<std::size_t>(t)];
      const BlockRange b = range(t, k);
      void* buf = byte_ptr(a.recv, b.first, es);
      if (node.parent >= 0) {
        RequestPtr q = comm.irecv(buf, b.count * es, node.parent, kTagDown);
        comm.wait(q);
      } else if (a.op == RedOp::kAvg) {
        engine.avg_finalize(a.dtype, buf, b.count, n);
      }
      for (int child : node.child) {
        if (child >= 0) sends.push_back(comm.isend(buf, b.count * es, child, kTagDown));
      }
    }
  }
  comm.wait_all(sends);
}

}  // namespace

extern const AlgorithmDef kAllReduceTree = {
    "tree", CollKind::kAllReduce,
    "pipelined double binary tree (mirrored trees, one half of the data each), <= 16 chunks", run,
    nullptr};

}  // namespace fb
