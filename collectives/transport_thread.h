// In-process transport: N ranks as N threads of one process, exchanging messages through shared
// mailboxes. Fast and deterministic enough to test every algorithm at every rank count; a wait
// that exceeds the timeout throws (and aborts every rank) so a deadlock fails a test, not ctest.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "collectives/transport.h"

namespace fb {

struct ThreadRunOptions {
  // Ranks per simulated node (consecutive ranks share a node); 0: all ranks on one node.
  int ranks_per_node = 0;
  // Longest a single wait (message, barrier, shared-memory spin) may block.
  double timeout_s = 30.0;
};

// Runs fn(comm) on `nranks` threads, rank i on thread i, and joins them. If any rank throws (or
// times out), the other ranks' pending waits throw too and run_threads rethrows the first error
// as std::runtime_error("rank R: ...").
void run_threads(int nranks, const std::function<void(Communicator&)>& fn,
                 const ThreadRunOptions& opts = {});

// Communicators of `nranks` ranks for threads that the caller runs itself (-g N): element i is
// rank i, to be used by one thread. They share their state; any may outlive the others.
std::vector<std::unique_ptr<Communicator>> make_thread_communicators(int nranks,
                                                                     const ThreadRunOptions& opts);

// A communicator of one rank (the own backend in a build without MPI).
std::unique_ptr<Communicator> make_self_communicator();

}  // namespace fb
