// Catches collectives that never return. Each rank runs a watchdog thread; the runner arms it
// with a description of the current phase and the backend reports each call's start and end. A
// call running longer than the timeout ends the whole job with a message naming the collective,
// size, and the ranks that did not arrive, and a non-zero exit (World::abort).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "collectives/backend.h"
#include "collectives/world.h"

namespace fb {

class Watchdog final : public CallObserver {
 public:
  // timeout_s <= 0 disables the watchdog.
  Watchdog(World& world, double timeout_s);
  ~Watchdog() override;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void set_phase(const std::string& phase) override;
  void begin_call() override;
  void end_call() override;

 private:
  void loop();
  World& world_;
  double timeout_s_;
  std::atomic<long long> call_start_ns_{0};  // 0: not in a call
  std::atomic<long long> calls_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::string phase_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fb
