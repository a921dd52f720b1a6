// The control plane every backend and the harness share: who am I, how many of us, barrier and
// the few small reductions the harness needs (times, error flags). MPI_COMM_WORLD when built with
// MPI and launched by mpirun; the threads of one process with -g N; a single rank otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace fb {

class Communicator;

// What one rank said when its watchdog was asked (or that it did not answer).
struct RankStatus {
  int rank = 0;
  bool answered = false;
  long long calls = 0;   // calls begun so far; the current one included while in a call
  bool in_call = false;  // between begin_call and end_call
  std::string phase;
};

// The watchdog's status protocol between ranks that are processes: every rank's watchdog thread
// answers queries with its status; a rank whose deadline passed asks every other rank. Runs on a
// communicator of its own, so queries never match the measured traffic. Used by one thread.
class StatusChannel {
 public:
  virtual ~StatusChannel() = default;
  // Answers every query that has arrived with `self`.
  virtual void serve(const RankStatus& self) = 0;
  // The lowest rank that has asked so far (a rank that timed out and reports); -1 if none.
  virtual int lowest_asker() const = 0;
  // Asks every other rank; `calls` is the asker's call count.
  virtual void ask_all(long long calls) = 0;
  virtual bool asked() const = 0;
  // Collects the answers that have arrived; true when every other rank has answered.
  virtual bool collect() = 0;
  // Every other rank, answered or not.
  virtual std::vector<RankStatus> statuses() const = 0;
};

class World {
 public:
  virtual ~World() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Ranks on the same host as this one, and this rank's index among them.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual void barrier() = 0;
  // Element-wise reductions over all ranks, result on every rank.
  virtual void allreduce_max(double* values, int n) = 0;
  virtual void allreduce_min(double* values, int n) = 0;
  virtual void allreduce_sum(double* values, int n) = 0;
  // Every rank's string, on every rank (host names, bindings, device names).
  virtual std::vector<std::string> allgather_string(const std::string& s) = 0;
  // Root's bytes to every rank (e.g. an ncclUniqueId).
  virtual void broadcast_bytes(void* data, int bytes, int root) = 0;
  // Ends every rank of the job with this exit code (MPI_Abort under MPI).
  [[noreturn]] virtual void abort(int code) = 0;
  virtual std::string library_version() const = 0;
  // Native handle (MPI_Comm as an integer-sized value) for backends that need it; 0 if none.
  virtual void* native_handle() { return nullptr; }
  // The watchdog thread's status channel (call once; must be destroyed before the world); null
  // without MPI or when MPI lacks MPI_THREAD_MULTIPLE.
  virtual std::unique_ptr<StatusChannel> make_status_channel() { return nullptr; }
  // Ranks that are threads of one process: this rank's point-to-point communicator over shared
  // memory (for the own backend on host buffers), handed over once; null for other worlds.
  virtual std::unique_ptr<Communicator> take_thread_communicator();
  // Collective over this world: the ranks with the same `color` (>= 0) as a world of their own,
  // ranked in this world's order (split groups, NCCL_TESTS_SPLIT). Its control plane and native
  // handle cover the group only; local_rank() and local_size() stay this world's (a rank's
  // placement on its host chooses its GPU and cores); no status channel (the watchdog watches
  // the whole job). Must be destroyed before this world. The default throws (a world that
  // cannot split, e.g. a test's fake).
  virtual std::unique_ptr<World> split(int color);
};

// MPI world if the binary was built with MPI (initialises MPI with MPI_THREAD_MULTIPLE when
// available, so the watchdog thread may talk), otherwise a single-rank world.
std::unique_ptr<World> make_world(int* argc, char*** argv);
// A single-rank world (no MPI), for tests and non-collective subcommands.
std::unique_ptr<World> make_single_world();
// `n` ranks as `n` threads of one process (-g N): element i is rank i, to be used by one thread
// only. Their control-plane calls meet in shared memory; abort() and library_version() are those
// of `process`, a single-rank world that must outlive them. Destroying one while others wait in
// a call (its thread failed or finished early) makes their call throw instead of hang.
std::vector<std::unique_ptr<World>> make_thread_worlds(int n, World& process);

}  // namespace fb
