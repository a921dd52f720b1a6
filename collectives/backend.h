// A backend runs collectives on given buffers: the MPI library's own collectives, NCCL, or the
// suite's own algorithms. The harness times, checks and reports only through this interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/collective.h"
#include "collectives/world.h"

namespace fb {

enum class DeviceKind { kCpu, kCuda };

struct CollArgs {
  const CollectiveDef* coll = nullptr;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  int root = 0;
  CollCounts counts;
  const void* send = nullptr;  // equals recv (+ in-place offset) when running in place
  void* recv = nullptr;
  bool in_place = false;
};

// This call's point-to-point schedule on `rank` of `nranks` (args.coll->p2p_schedule non-null),
// kept for the next calls with the same arguments: the harness repeats each call many times, and
// building it is not part of the collective.
class ScheduleCache {
 public:
  const P2pSchedule& get(const CollArgs& args, int rank, int nranks);

 private:
  bool valid_ = false;
  CollArgs key_;
  int rank_ = 0, nranks_ = 0;
  P2pSchedule schedule_;
};

// Watches calls for hangs (harness/watchdog.h implements it).
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // What the next calls are ("all_reduce 1048576 B float sum in-place"), for messages.
  virtual void set_phase(const std::string& phase) { (void)phase; }
  virtual void begin_call() = 0;
  virtual void end_call() = 0;
};

struct BackendOptions {
  DeviceKind device = DeviceKind::kCpu;
  std::string algo = "auto";  // for --backend own
  int blocking = 0;           // -z
  bool cuda_graph = false;    // -G
  bool stream_null = false;   // -y: the nccl backend enqueues on the default stream
  int first_device = -1;      // NCCL_TESTS_DEVICE: GPU of local rank 0 (< 0: local rank % GPUs)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Algorithm that actually ran for the last call (e.g. "ring"), or the library's name.
  virtual std::string algorithm(const CollArgs& args) const = 0;
  virtual bool supports(const CollectiveDef& coll) const = 0;
  // Runs one collective; when it returns, the result is complete on this rank (or, for device
  // backends, enqueued: call sync()).
  virtual void run(const CollArgs& args) = 0;
  virtual void sync() {}
  // Runs `iters` calls back to back and returns each call's time in seconds. The default times
  // each run() with the wall clock; device backends use events. `observer` (may be null) is told
  // when each call starts and ends, so a watchdog can catch a call that never returns.
  virtual std::vector<double> time_iterations(const CollArgs& args, int iters,
                                              CallObserver* observer);
  // Memory for the buffers this backend works on (host for CPU backends).
  virtual void* alloc(std::size_t bytes);
  virtual void free(void* p);
  virtual void copy_to_host(void* host, const void* buf, std::size_t bytes);
  virtual void copy_from_host(void* buf, const void* host, std::size_t bytes);
  // Backend-specific metadata (library versions, staging, algorithm table) for the results.
  virtual void describe(nlohmann::json& meta) const { (void)meta; }
};

struct BackendDef {
  const char* name;
  const char* summary;
  // Null when the backend is not compiled into this binary (the reason is `unavailable`).
  std::unique_ptr<Backend> (*make)(World& world, const BackendOptions& opts);
  const char* unavailable;
};

const std::vector<BackendDef>& all_backends();
const BackendDef* find_backend(std::string_view name);

}  // namespace fb
