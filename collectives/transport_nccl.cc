// NCCL send/recv as a Communicator: the own algorithms' transport on GPU buffers.
#include "collectives/transport_nccl.h"

#include <unistd.h>

#include <climits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "collectives/nccl_util.h"
#include "kernels/cuda_check.h"

namespace fb {
namespace {

// A deferred point-to-point operation; `posted` once its group was issued.
class NcclRequest final : public Request {
 public:
  bool posted = false;
};

struct PendingOp {
  bool send;
  void* buf;
  std::size_t bytes;
  int peer;
  NcclRequest* req;
};

// Per-rank placement, carried into sub-communicators: node index and index within the node.
struct Placement {
  std::vector<int> node;
  std::vector<int> local;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(NcclComm comm, Placement place)
      : comm_(std::move(comm)), stream_(comm_.stream()), place_(std::move(place)) {
    FB_NCCL_CHECK(ncclCommUserRank(comm_.get(), &rank_));
    FB_NCCL_CHECK(ncclCommCount(comm_.get(), &size_));
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  RequestPtr isend(const void* buf, std::size_t bytes, int peer, int tag) override {
    (void)tag;
    return defer(true, const_cast<void*>(buf), bytes, peer);
  }
  RequestPtr irecv(void* buf, std::size_t bytes, int peer, int tag) override {
    (void)tag;
    return defer(false, buf, bytes, peer);
  }
  void wait(RequestPtr& req) override {
    auto* r = dynamic_cast<NcclRequest*>(req.get());
    if (r == nullptr) throw std::runtime_error("nccl transport: foreign request");
    if (!r->posted) flush();
    req.reset();
  }
  void wait_all(std::vector<RequestPtr>& reqs) override {
    flush();
    reqs.clear();
  }

  void barrier() override {
    flush();
    // A one-element all-reduce, waited for on the host.
    int* token = nullptr;
    FB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&token), sizeof(int), stream_));
    FB_CUDA_CHECK(cudaMemsetAsync(token, 0, sizeof(int), stream_));
    FB_NCCL_CHECK(ncclAllReduce(token, token, 1, ncclInt32, ncclSum, comm_.get(), stream_));
    FB_CUDA_CHECK(cudaFreeAsync(token, stream_));
    FB_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  std::unique_ptr<Communicator> split_node_local() override {
    return split(place_.node[static_cast<std::size_t>(rank_)], place_.node);
  }
  std::unique_ptr<Communicator> split_cross_node() override {
    return split(place_.local[static_cast<std::size_t>(rank_)], place_.local);
  }

 private:
  RequestPtr defer(bool send, void* buf, std::size_t bytes, int peer) {
    if (peer < 0 || peer >= size_) {
      throw std::runtime_error("nccl transport: peer " + std::to_string(peer) + " out of range");
    }
    auto req = std::make_unique<NcclRequest>();
    pending_.push_back({send, buf, bytes, peer, req.get()});
    return req;
  }

  // Posts every deferred operation in one group.
  void flush() {
    if (pending_.empty()) return;
    FB_NCCL_CHECK(ncclGroupStart());
    for (const PendingOp& op : pending_) {
      if (op.send) {
        FB_NCCL_CHECK(ncclSend(op.buf, op.bytes, ncclInt8, op.peer, comm_.get(), stream_));
      } else {
        FB_NCCL_CHECK(ncclRecv(op.buf, op.bytes, ncclInt8, op.peer, comm_.get(), stream_));
      }
    }
    FB_NCCL_CHECK(ncclGroupEnd());
    pending_.clear();
  }

  // ncclCommSplit over this communicator: ranks with the same `color` join, ordered by rank.
  std::unique_ptr<Communicator> split(int color, const std::vector<int>& colors) {
    flush();
    ncclComm_t sub = nullptr;
    FB_NCCL_CHECK(ncclCommSplit(comm_.get(), color, rank_, &sub, nullptr));
    Placement p;
    for (std::size_t r = 0; r < colors.size(); ++r) {
      if (colors[r] != color) continue;
      p.node.push_back(place_.node[r]);
      p.local.push_back(place_.local[r]);
    }
    return std::make_unique<NcclCommunicator>(NcclComm(sub, stream_), std::move(p));
  }

  NcclComm comm_;  // destroyed (or aborted) after the stream's work
  cudaStream_t stream_;
  Placement place_;
  int rank_ = 0, size_ = 1;
  std::vector<PendingOp> pending_;
};

// Node index of every rank (order of first appearance of its host) and its index on that node.
Placement placement_of(World& world) {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const std::vector<std::string> hosts = world.allgather_string(host);
  Placement p;
  std::map<std::string, int> node_ids, counts;
  for (const std::string& h : hosts) {
    auto it = node_ids.emplace(h, static_cast<int>(node_ids.size())).first;
    p.node.push_back(it->second);
    p.local.push_back(counts[h]++);
  }
  return p;
}

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(World& world, cudaStream_t stream) {
  Placement place = placement_of(world);
  return std::make_unique<NcclCommunicator>(nccl_comm_from_world(world, stream), std::move(place));
}

}  // namespace fb
