// The collective registry: what each collective moves, how its bus bandwidth is defined, how its
// buffers are laid out, and what a correct result is. The harness sizes, checks and reports only
// through these records; a new collective is one coll_*.cc file plus one line in registry.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

enum class CollKind {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kBroadcast,
  kReduce,
  kAlltoall,
  kSendRecv,
  kGather,
  kScatter,
  kAlltoallv,
  kHypercube
};

// Element counts of one call, with nccl-tests' meaning of the requested size.
struct CollCounts {
  std::size_t send_count = 0;  // elements in each rank's send buffer
  std::size_t recv_count = 0;  // elements in each rank's receive buffer
  std::size_t param_count =
      0;                  // the count argument of the call (per-rank chunk for gather/scatter)
  std::size_t bytes = 0;  // the "size" column: algbw = bytes / time
};

// Everything that determines a rank's input and expected output.
struct DataContext {
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;  // only for collectives that reduce
  int root = 0;
  int rank = 0;
  int nranks = 1;
  std::uint64_t seed = 0;
  CollCounts counts;
  bool in_place = false;
};

// Region of the receive buffer that holds a defined result on this rank.
struct CheckRegion {
  std::size_t first = 0;  // element offset into the receive buffer
  std::size_t count = 0;
};

// A collective as steps of point-to-point transfers, the way nccl-tests runs gather, scatter,
// alltoallv and hypercube (grouped sends and receives). Offsets are bytes into this rank's buffers
// as CollArgs gives them (in place, send = recv + the input offset). The transfers of one step are
// posted together; a step starts when the previous one has completed on this rank.
struct P2pTransfer {
  int peer = 0;
  std::size_t offset = 0;  // bytes into the send buffer (sends) or the receive buffer (receives)
  std::size_t bytes = 0;
  bool from_recv = false;  // a send of data this rank received in an earlier step
};
struct P2pStep {
  std::vector<P2pTransfer> sends, recvs;
};
struct P2pSchedule {
  // In place, sends read a copy of the input taken before the first receive (the receives
  // overwrite it); the copy is part of the collective.
  bool stage_input = false;
  // Before the steps: this rank's own block, `copy_bytes` from send + copy_src to recv + copy_dst
  // (nothing to do when the two coincide, in place).
  std::size_t copy_src = 0, copy_dst = 0, copy_bytes = 0;
  std::vector<P2pStep> steps;
};

struct CollectiveDef {
  const char* name;
  CollKind kind;
  bool uses_op;
  bool uses_root;
  // Counts for a requested size in bytes (rounded down to whole elements / chunks).
  CollCounts (*counts)(std::size_t bytes, std::size_t elem_size, int nranks);
  // busbw = algbw * factor: the fraction of data that crosses the slowest link of an optimal
  // algorithm, so busbw is comparable to the hardware peak (nccl-tests' PERFORMANCE.md).
  double (*bus_bw_factor)(int nranks);
  // Steps of the ring (or pairwise) algorithm over `nranks` ranks: the latency terms an alpha-beta
  // fit counts (calibration reads it from the results' metadata). 1 for one rank.
  int (*ring_steps)(int nranks);
  // Element offset in the receive buffer where the input lives when running in place.
  std::size_t (*in_place_input_offset)(const DataContext& ctx);
  // Writes this rank's input (send_count elements) to `input`.
  void (*fill_input)(const DataContext& ctx, void* input);
  // Writes the expected contents of the check region to `expected` and returns the region.
  CheckRegion (*expected)(const DataContext& ctx, void* expected);
  // Optional: the collective as point-to-point steps (see P2pSchedule); backends without a call
  // of their own for it run these.
  void (*p2p_schedule)(const DataContext& ctx, P2pSchedule* out) = nullptr;
  // Optional: why a run with these sizes cannot be done on `nranks` ranks ("" if it can), e.g.
  // an unreadable alltoallv matrix file; checked by every rank before anything is allocated.
  std::string (*check_run)(std::size_t min_bytes, std::size_t max_bytes, int nranks) = nullptr;
  // Optional: the inputs the collective read from elsewhere (alltoallv's pattern), for the
  // results' metadata ("collective_setup").
  std::string (*setup)() = nullptr;
};

// Shared pieces of the registry records.
// One buffer of size / elem_size elements on every rank (all_reduce, broadcast, reduce, sendrecv).
CollCounts whole_buffer_counts(std::size_t bytes, std::size_t elem_size, int nranks);
// The input sits at the start of the receive buffer when running in place.
std::size_t input_at_start(const DataContext& ctx);
// Each byte crosses each link once in the optimal algorithm: busbw = algbw.
double unit_bus_factor(int nranks);
// (n-1)/n: the share of the data other ranks contribute or receive (all_gather, reduce_scatter,
// alltoall, gather, scatter, alltoallv, hypercube).
double peer_share_bus_factor(int nranks);
// size / nranks whole elements per chunk and nranks chunks (the chunked collectives' counts).
struct ChunkCounts {
  std::size_t chunk = 0;
  std::size_t total = 0;
};
ChunkCounts split_into_chunks(std::size_t bytes, std::size_t elem_size, int nranks);
// One step whatever the rank count (rooted collectives and sendrecv, as pipelined chains).
int single_step(int nranks);
// n-1 steps: each rank exchanges one chunk with a neighbour per step (all_gather, reduce_scatter,
// alltoall).
int ring_chunk_steps(int nranks);
// This rank's own input stream, from the sum value domain (collectives that only move data).
void fill_own_stream(const DataContext& ctx, void* input);

const std::vector<const CollectiveDef*>& all_collectives();
const CollectiveDef* find_collective(std::string_view name);

// Value domain of a collective's data: reductions use the op's domain, the others the sum domain.
inline RedOp data_op(const CollectiveDef& def, RedOp op) { return def.uses_op ? op : RedOp::kSum; }

}  // namespace fb
