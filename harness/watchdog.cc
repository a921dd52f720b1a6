// Watchdog thread: deadline per collective call, and a small status protocol on the world's
// watchdog communicator so the rank that times out can name the ranks that did not arrive.
#include "harness/watchdog.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "harness/sysinfo.h"

namespace fb {
namespace {

long long now_ns() {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  // 0 means "not in a call"; the clock starts at boot, so it never reads 0 in practice.
  return std::max<long long>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(t).count());
}

long long seconds_to_ns(double s) { return static_cast<long long>(s * 1e9); }

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::string phase_or_default(const std::string& phase) {
  return phase.empty() ? "a collective call" : phase;
}

}  // namespace

std::string describe_timeout(const RankStatus& self, double timeout_s,
                             const std::vector<RankStatus>& others, bool others_known) {
  std::string msg = "watchdog: " + phase_or_default(self.phase) + " did not complete within " +
                    format_seconds(timeout_s) + " on rank " + std::to_string(self.rank) +
                    " (call " + std::to_string(self.calls) + "); ranks that did not arrive: ";
  if (!others_known) {
    return msg +
           "unknown (the other ranks cannot be asked: MPI lacks MPI_THREAD_MULTIPLE); "
           "aborting the job";
  }
  std::vector<int> silent, waiting{self.rank}, finished;
  // Ranks still before this call, grouped by where they are.
  std::map<std::tuple<long long, bool, std::string>, std::vector<int>> behind;
  for (const RankStatus& r : others) {
    if (!r.answered) {
      silent.push_back(r.rank);
    } else if (r.calls < self.calls) {
      behind[{r.calls, r.in_call, r.phase}].push_back(r.rank);
    } else if (r.calls == self.calls && r.in_call) {
      waiting.push_back(r.rank);
    } else {
      finished.push_back(r.rank);  // left this call already (e.g. a broadcast root)
    }
  }
  std::string missing;
  if (!silent.empty()) missing = format_ranges(silent) + " (no answer: stopped, hung or dead)";
  for (const auto& [where, ranks] : behind) {
    if (!missing.empty()) missing += ", ";
    missing += format_ranges(ranks) + " (at call " + std::to_string(std::get<0>(where)) +
               (std::get<1>(where) ? ", in a call: " : ", between calls: ") +
               phase_or_default(std::get<2>(where)) + ")";
  }
  if (missing.empty()) {
    missing = others.empty() ? "none (the job has one rank)"
                             : "none (every rank reached this call: the collective itself hangs)";
  }
  msg += missing + "; waiting in this call: " + format_ranges(waiting);
  if (!finished.empty()) msg += "; past this call: " + format_ranges(finished);
  return msg + "; aborting the job";
}

void WatchdogGroup::join(Watchdog* w) {
  std::lock_guard<std::mutex> lock(mu_);
  members_.push_back(w);
}

void WatchdogGroup::leave(Watchdog* w) {
  std::lock_guard<std::mutex> lock(mu_);
  members_.erase(std::remove(members_.begin(), members_.end(), w), members_.end());
}

std::vector<RankStatus> WatchdogGroup::others(const Watchdog* self) {
  std::vector<RankStatus> out;
  for (int r = 0; r < nranks_; ++r) {
    RankStatus s;
    s.rank = r;
    out.push_back(s);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Watchdog* w : members_) {
    if (w == self) continue;
    RankStatus s = w->self_status();
    if (s.rank >= 0 && s.rank < nranks_) out[static_cast<std::size_t>(s.rank)] = std::move(s);
  }
  const int me = self->world_.rank();
  out.erase(
      std::remove_if(out.begin(), out.end(), [me](const RankStatus& s) { return s.rank == me; }),
      out.end());
  return out;
}

Watchdog::Watchdog(World& world, WatchdogOptions options)
    : world_(world), opts_(std::move(options)) {
  if (opts_.timeout_s <= 0) return;
  // What a timeout does to the job is the caller's decision (cmd_collective ends it).
  if (!opts_.on_timeout) throw std::invalid_argument("watchdog: a timeout needs on_timeout");
  if (opts_.group != nullptr) opts_.group->join(this);
  if (world_.size() > 1) peers_ = world_.make_status_channel();
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  // First, so a peer's report never reads this one while it goes away.
  if (opts_.group != nullptr && thread_.joinable()) opts_.group->leave(this);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::set_phase(const std::string& phase) {
  std::lock_guard<std::mutex> lock(mu_);
  phase_ = phase;
}

void Watchdog::begin_call() {
  // Only this thread writes calls_, so a load and a store do (no locked read-modify-write).
  calls_.store(calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  call_start_ns_.store(now_ns(), std::memory_order_release);
}

void Watchdog::end_call() { call_start_ns_.store(0, std::memory_order_release); }

RankStatus Watchdog::self_status() {
  RankStatus s;
  s.rank = world_.rank();
  s.answered = true;
  s.in_call = call_start_ns_.load(std::memory_order_acquire) != 0;
  s.calls = calls_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  s.phase = phase_;
  return s;
}

bool Watchdog::wait_stop(double seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::nanoseconds(seconds_to_ns(seconds)),
                      [this] { return stop_; });
}

void Watchdog::loop() {
  const long long timeout_ns = seconds_to_ns(opts_.timeout_s);
  while (!wait_stop(opts_.poll_s)) {
    if (peers_ != nullptr) peers_->serve(self_status());
    const long long start = call_start_ns_.load(std::memory_order_acquire);
    if (start != 0 && now_ns() - start > timeout_ns) {
      handle_timeout();
      return;  // the handler ended the job, or (tests) wants no more
    }
  }
}

void Watchdog::handle_timeout() {
  const RankStatus self = self_status();
  if (opts_.group != nullptr) {
    // One message per job: a rank-thread that times out after another leaves it to that one.
    if (opts_.group->claim_report()) {
      opts_.on_timeout(describe_timeout(self, opts_.timeout_s, opts_.group->others(this), true));
    }
    return;
  }
  if (peers_ != nullptr) {
    StatusChannel& m = *peers_;
    const int me = world_.rank();
    // One message per job: a rank that was asked already leaves the report to the asker, and of
    // two ranks asking at once the lower one reports. If the reporter dies before ending the
    // job, this rank reports after all.
    // Serves queries for up to `seconds`. `until_answered`: returns once every rank answered
    // (after listening a moment, so a lower rank asking at the same time is noticed).
    // `may_defer`: returns true as soon as a lower rank is asking too.
    const auto serve_for = [&](double seconds, bool until_answered, bool may_defer) {
      const long long start = now_ns();
      const long long end = start + seconds_to_ns(seconds);
      const long long min_end = start + seconds_to_ns(std::min(seconds, 5 * opts_.poll_s));
      const auto lower_asks = [&] { return m.lowest_asker() >= 0 && m.lowest_asker() < me; };
      while (now_ns() < end) {
        if (wait_stop(0.01)) return false;
        m.serve(self_status());
        const bool all = m.asked() && m.collect();
        if (may_defer && lower_asks()) return true;
        if (until_answered && all && now_ns() >= min_end) break;
      }
      return may_defer && lower_asks();
    };
    m.serve(self);
    bool defer = m.lowest_asker() >= 0;
    if (!defer) {
      m.ask_all(self.calls);
      defer = serve_for(opts_.grace_s, true, true);
    }
    if (defer) {
      // The asker reports and ends the job; still alive afterwards means it could not.
      serve_for(opts_.grace_s + 5.0, false, false);
      if (!m.asked()) {
        m.ask_all(self.calls);
        serve_for(opts_.grace_s, true, false);
      }
    }
    m.collect();
    opts_.on_timeout(describe_timeout(self, opts_.timeout_s, m.statuses(), true));
    return;
  }
  // No one to ask: a single rank knows everything; otherwise only this rank's view is known.
  opts_.on_timeout(describe_timeout(self, opts_.timeout_s, {}, world_.size() == 1));
}

}  // namespace fb
