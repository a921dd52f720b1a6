// Catches collectives that never return. Each rank runs a watchdog thread; the runner arms it
// with a description of the current phase and the backend reports each call's start and end. A
// call running longer than the timeout ends the whole job with a message naming the collective,
// size, and the ranks that did not arrive, and a non-zero exit (World::abort).
//
// How the missing ranks are named at no hot-path cost: each watchdog thread listens on the world's
// status channel (World::make_status_channel(), MPI with MPI_THREAD_MULTIPLE) and answers queries
// with its call count and phase. The rank whose deadline expires first asks every other rank,
// waits a grace period, and reports who answered from which call and who did not answer (a
// stopped, hung or dead process). Ranks count the same calls in the same order, so equal counts
// mean "in the same collective". Ranks that are threads of one process (-g N) read each other's
// state through a WatchdogGroup instead. Without either only the local view is reported.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectives/backend.h"
#include "collectives/world.h"

namespace fb {

// The one message for a timed-out call. `self` is the reporting rank (always answered, in its
// call); `others` every other rank; `others_known` false when they could not be asked.
std::string describe_timeout(const RankStatus& self, double timeout_s,
                             const std::vector<RankStatus>& others, bool others_known);

class Watchdog;

// The watchdogs of ranks that are threads of one process (-g N): the one whose deadline passes
// reads the others' state directly, and only the first to time out reports.
class WatchdogGroup {
 public:
  explicit WatchdogGroup(int nranks) : nranks_(nranks) {}
  WatchdogGroup(const WatchdogGroup&) = delete;
  WatchdogGroup& operator=(const WatchdogGroup&) = delete;

 private:
  friend class Watchdog;
  void join(Watchdog* w);
  void leave(Watchdog* w);
  // True for the first caller only.
  bool claim_report() { return !reported_.exchange(true); }
  // Every rank but `self`; ranks without a live watchdog did not answer.
  std::vector<RankStatus> others(const Watchdog* self);

  int nranks_;
  std::mutex mu_;
  std::vector<Watchdog*> members_;
  std::atomic<bool> reported_{false};
};

struct WatchdogOptions {
  double timeout_s = 300;  // <= 0 disables the watchdog
  double poll_s = 0.1;     // how often the thread checks the deadline and answers queries
  double grace_s = 2.0;    // how long the reporting rank waits for answers
  // Gets the message and ends the job (required when timeout_s > 0: the constructor throws
  // std::invalid_argument without it). If it returns, the watchdog goes quiet for good.
  std::function<void(const std::string& message)> on_timeout;
  // Set when the ranks are threads of one process; must outlive the watchdog.
  WatchdogGroup* group = nullptr;
};

class Watchdog final : public CallObserver {
 public:
  // options.timeout_s <= 0 disables the watchdog.
  Watchdog(World& world, WatchdogOptions options);
  // Must be destroyed before `world` (it holds the world's status channel).
  ~Watchdog() override;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // What the next calls are ("all_reduce 1048576 B float sum in-place"), for the message.
  void set_phase(const std::string& phase) override;
  // Hot path: two relaxed atomic stores and a clock read each.
  void begin_call() override;
  void end_call() override;

 private:
  friend class WatchdogGroup;
  void loop();
  RankStatus self_status();
  void handle_timeout();
  bool wait_stop(double seconds);  // true if asked to stop

  World& world_;
  WatchdogOptions opts_;
  std::atomic<long long> call_start_ns_{0};  // 0: not in a call
  std::atomic<long long> calls_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::string phase_;
  bool stop_ = false;
  std::unique_ptr<StatusChannel> peers_;  // null: no other process to ask
  std::thread thread_;
};

// Brackets a control-plane call (barrier, reductions of times) so a rank stuck there is caught
// too; a null observer makes it a no-op.
class WatchedCall {
 public:
  explicit WatchedCall(CallObserver* observer) : observer_(observer) {
    if (observer_ != nullptr) observer_->begin_call();
  }
  ~WatchedCall() {
    if (observer_ != nullptr) observer_->end_call();
  }
  WatchedCall(const WatchedCall&) = delete;
  WatchedCall& operator=(const WatchedCall&) = delete;

 private:
  CallObserver* observer_;
};

}  // namespace fb
