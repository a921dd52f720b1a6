// The suite's own collective algorithms: one file per algorithm (algo_<collective>_<name>.cc)
// defining one AlgorithmDef, and one line in the registry (algorithms.cc). An algorithm sees only
// a Communicator (point-to-point transport) and an Engine (reductions and copies where the data
// lives); `--backend own --algo NAME` runs it.
//
// Contract of AlgorithmDef::run, for every rank of `comm`:
//  - args.counts, dtype, op, root and in_place mean what collective.h and backend.h say; when in
//    place, args.send == args.recv + in_place_input_offset (elements) and the algorithm must read
//    its input before overwriting it.
//  - Every rank calls run with the same arguments (except the buffer pointers); on return the
//    receive buffer holds the result defined by the collective's expected() (after Engine::sync).
//  - avg: combine with sum (Engine::reduce does), then Engine::avg_finalize each result element
//    exactly once with comm.size().
//  - Counts may be 0 or not divisible by the rank count; use block_range() to split.
//  - Tags: any int in [0, kMaxAlgoTag]; messages between a pair with one tag arrive in order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/backend.h"
#include "collectives/collective.h"
#include "collectives/transport.h"

namespace fb {

struct AlgorithmDef {
  const char* name;     // unique per collective kind; "auto" and "list" are reserved
  CollKind kind;        // the collective it implements
  const char* summary;  // one line for --algo list
  void (*run)(const CollArgs& args, Communicator& comm, Engine& engine);
  // Whether it can run on this communicator (e.g. needs shared memory); nullptr: always.
  bool (*usable)(Communicator& comm);
};

// The registry, in registration order (algorithms.cc).
const std::vector<const AlgorithmDef*>& all_algorithms();
std::vector<const AlgorithmDef*> algorithms_for(CollKind kind);
const AlgorithmDef* find_algorithm(CollKind kind, std::string_view name);
// True when some collective has an algorithm of this name (for validating --algo early).
bool algorithm_name_known(std::string_view name);
// `--algo list`: one line per algorithm, "collective  name  summary", plus the auto table.
std::string format_algorithm_list();

// One row of the auto-selection table (algo_auto_table.inc, regenerated from measurements by
// scripts/tune_auto.sh): the first row whose collective, rank range and byte range match,
// and whose algorithm is usable on the communicator, wins.
struct AutoRule {
  const char* collective;            // collective name, e.g. "all_reduce"
  int min_ranks, max_ranks;          // inclusive
  std::size_t min_bytes, max_bytes;  // [min, max) of CollCounts::bytes
  const char* algo;
};
const std::vector<AutoRule>& auto_rules();
// `--algo auto`: the table's choice, else the first usable registered algorithm; throws if the
// collective has no usable algorithm.
const AlgorithmDef& choose_algorithm(const CollectiveDef& coll, std::size_t bytes,
                                     Communicator& comm);
// Resolves NAME|auto for one call; throws with the available names when NAME is unknown for this
// collective or not usable on this communicator.
const AlgorithmDef& resolve_algorithm(std::string_view algo, const CollectiveDef& coll,
                                      std::size_t bytes, Communicator& comm);

// Runs a collective's point-to-point schedule (CollectiveDef::p2p_schedule) over comm: what the
// own backend runs (as algorithm "p2p") for a collective with a schedule and no algorithm of its
// own (gather, scatter, alltoallv, hypercube).
constexpr const char* kP2pAlgoName = "p2p";
void run_p2p_schedule(const CollArgs& args, const P2pSchedule& schedule, Communicator& comm,
                      Engine& engine);

// ---- helpers shared by algorithms -----------------------------------------------------------

// Elements [first, first + count) of block i when `count` elements are split into `nblocks`
// blocks as evenly as possible (the first count % nblocks blocks get one more).
struct BlockRange {
  std::size_t first = 0;
  std::size_t count = 0;
};
inline BlockRange block_range(std::size_t count, int nblocks, int i) {
  const std::size_t n = static_cast<std::size_t>(nblocks);
  const std::size_t idx = static_cast<std::size_t>(i);
  const std::size_t base = count / n, extra = count % n;
  return {idx * base + (idx < extra ? idx : extra), base + (idx < extra ? 1 : 0)};
}

inline unsigned char* byte_ptr(void* p, std::size_t elems, std::size_t elem_size) {
  return static_cast<unsigned char*>(p) + elems * elem_size;
}
inline const unsigned char* byte_ptr(const void* p, std::size_t elems, std::size_t elem_size) {
  return static_cast<const unsigned char*>(p) + elems * elem_size;
}

// A reduction over one rank is the input itself: copies send to recv (recv_count elements) and
// returns true when comm has one rank.
inline bool single_rank_copy(const CollArgs& a, Communicator& comm, Engine& engine) {
  if (comm.size() != 1) return false;
  engine.copy(a.recv, a.send, a.counts.recv_count * dtype_size(a.dtype));
  return true;
}

// Building blocks over any communicator (algo_allreduce_ring.cc), also used by hierarchical
// algorithms on node-local and cross-node communicators. `count` elements are split into
// comm.size() blocks by block_range().
//  ring_reduce_scatter: afterwards block comm.rank() of `recv` holds the reduction (not
//    avg-finalised) of every rank's `send`; other blocks of `recv` are clobbered. send may equal
//    recv.
//  ring_all_gather: block comm.rank() of `buf` is this rank's; afterwards every block is filled.
// Messages are cut into pipeline pieces so reductions overlap transfers.
void ring_reduce_scatter(Communicator& comm, Engine& engine, DType dtype, RedOp op,
                         const void* send, void* recv, std::size_t count, int tag);
void ring_all_gather(Communicator& comm, Engine& engine, DType dtype, void* buf, std::size_t count,
                     int tag);
// In-place-or-not ring all-reduce of `count` elements (avg finalised when op is kAvg).
void ring_all_reduce(Communicator& comm, Engine& engine, DType dtype, RedOp op, const void* send,
                     void* recv, std::size_t count, int tag);

}  // namespace fb
