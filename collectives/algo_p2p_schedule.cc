// The own backend's algorithm for collectives defined by a point-to-point schedule: each step's
// receives and sends posted at once (nccl-tests' grouped ncclSend/ncclRecv), then waited for.
#include <vector>

#include "collectives/algorithm.h"

namespace fb {
namespace {
constexpr int kTag = 40;  // messages of one pair and tag arrive in order: steps cannot cross
}  // namespace

void run_p2p_schedule(const CollArgs& a, const P2pSchedule& s, Communicator& comm, Engine& engine) {
  const auto* send = static_cast<const unsigned char*>(a.send);
  auto* recv = static_cast<unsigned char*>(a.recv);
  if (s.stage_input) {
    const std::size_t bytes = a.counts.send_count * dtype_size(a.dtype);
    void* copy = engine.scratch(bytes);
    engine.copy(copy, send, bytes);
    send = static_cast<const unsigned char*>(copy);
  }
  if (s.copy_bytes != 0 && send + s.copy_src != recv + s.copy_dst) {
    engine.copy(recv + s.copy_dst, send + s.copy_src, s.copy_bytes);
  }
  std::vector<RequestPtr> reqs;
  for (const P2pStep& step : s.steps) {
    for (const P2pTransfer& t : step.recvs) {
      reqs.push_back(comm.irecv(recv + t.offset, t.bytes, t.peer, kTag));
    }
    for (const P2pTransfer& t : step.sends) {
      reqs.push_back(comm.isend((t.from_recv ? recv : send) + t.offset, t.bytes, t.peer, kTag));
    }
    comm.wait_all(reqs);
  }
}

}  // namespace fb
