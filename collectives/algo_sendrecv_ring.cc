// Ring shift: rank r sends its buffer to r+1 and receives r-1's in one step, so every rank's
// send and receive link carries the message once at the same time (busbw = algbw). In place the
// input is first copied to scratch, since the buffer is overwritten by r-1's message while r+1
// may still be reading it.
#include "collectives/algorithm.h"

namespace fb {
namespace {

constexpr int kTag = 29;

void run(const CollArgs& a, Communicator& comm, Engine& engine) {
  const int n = comm.size(), r = comm.rank();
  const std::size_t bytes = a.counts.recv_count * dtype_size(a.dtype);
  if (bytes == 0 || (n == 1 && a.in_place)) return;
  if (n == 1) {  // r-1 is r itself
    engine.copy(a.recv, a.send, bytes);
    return;
  }
  const void* src = a.send;
  if (a.in_place) {
    void* copy = engine.scratch(bytes);
    engine.copy(copy, a.send, bytes);
    src = copy;
  }
  comm.sendrecv(src, bytes, (r + 1) % n, a.recv, bytes, (r + n - 1) % n, kTag);
}

}  // namespace

extern const AlgorithmDef kSendRecvRing = {
    "ring", CollKind::kSendRecv, "ring shift: send to rank r+1, receive from r-1, one step", run,
    nullptr};

}  // namespace fb
