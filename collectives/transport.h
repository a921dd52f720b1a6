// Point-to-point communicator interface for the suite's own algorithms. Algorithms see only this
// and an Engine (reductions and copies on the buffers' device); they never look behind it.
// Implementations: in-process threads (tests), MPI point-to-point, NCCL send/recv (GPU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/ops.h"

namespace fb {

// Algorithms use tags 0..kMaxAlgoTag; transports may use larger tags internally.
constexpr int kMaxAlgoTag = 1023;

// Optional capability of a communicator whose ranks share memory (threads of one process; MPI
// ranks of one node through MPI-3 shared windows). Algorithms use it to read and write peers'
// buffers directly instead of sending messages.
class SharedMemory {
 public:
  virtual ~SharedMemory() = default;
  // Collective (same `key` and `bytes` on every rank): a zero-initialised segment of `bytes` per
  // rank, mapped by all; element r is rank r's segment. Lives as long as the communicator.
  virtual const std::vector<void*>& segments(int key, std::size_t bytes) = 0;
  // Where `p` lies in memory that peers can map (see alloc): an id and offset any rank can turn
  // into its own address of the same byte with peer_address. False if `p` is private memory.
  // Local, no communication: algorithms exchange the (id, offset) pairs through a segment.
  virtual bool locate(const void* p, std::uint64_t* id, std::uint64_t* offset) = 0;
  virtual void* peer_address(int rank, std::uint64_t id, std::uint64_t offset) = 0;
  // Collective, symmetric: memory that locate() finds; nullptr if the transport cannot.
  virtual void* alloc(std::size_t bytes) = 0;
  virtual void free(void* p) = 0;
  // Called from spin-wait loops with the seconds waited so far: throws when the job is being
  // torn down or the transport's deadline passed, so a deadlocked algorithm fails, not hangs.
  virtual void poll(double waited_s) { (void)waited_s; }
};

// A pending send or receive; completed by Communicator::wait.
class Request {
 public:
  virtual ~Request() = default;
};
using RequestPtr = std::unique_ptr<Request>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Non-blocking send/receive of a byte range to/from `peer` (a rank of this communicator).
  // Messages between a pair with the same tag arrive in order.
  virtual RequestPtr isend(const void* buf, std::size_t bytes, int peer, int tag) = 0;
  virtual RequestPtr irecv(void* buf, std::size_t bytes, int peer, int tag) = 0;
  virtual void wait(RequestPtr& req) = 0;
  virtual void wait_all(std::vector<RequestPtr>& reqs) {
    for (auto& r : reqs) wait(r);
    reqs.clear();
  }
  virtual void barrier() = 0;
  // Ranks sharing this rank's node, and the ranks with the same local index on other nodes.
  virtual std::unique_ptr<Communicator> split_node_local() = 0;
  virtual std::unique_ptr<Communicator> split_cross_node() = 0;
  // Shared memory among all ranks of this communicator, or nullptr (e.g. it spans nodes).
  virtual SharedMemory* shared_memory() { return nullptr; }
  // Sends to `to` and receives from `from` at once (a ring or pairwise step).
  void sendrecv(const void* sbuf, std::size_t sbytes, int to, void* rbuf, std::size_t rbytes,
                int from, int tag) {
    std::vector<RequestPtr> reqs;
    reqs.push_back(irecv(rbuf, rbytes, from, tag));
    reqs.push_back(isend(sbuf, sbytes, to, tag));
    wait_all(reqs);
  }
};

// Where the data lives: host (CPU kernels) or a GPU (CUDA kernels on a stream).
class Engine {
 public:
  virtual ~Engine() = default;
  // out[i] = op(a[i], b[i]); out may alias a or b. avg combines as sum.
  virtual void reduce(DType dtype, RedOp op, void* out, const void* a, const void* b,
                      std::size_t count) = 0;
  virtual void avg_finalize(DType dtype, void* buf, std::size_t count, int nranks) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  // Scratch memory on the engine's device, valid until the engine is destroyed or the next
  // call with a larger size.
  virtual void* scratch(std::size_t bytes) = 0;
  // Waits for all queued work (no-op on the host).
  virtual void sync() {}
};

}  // namespace fb
