// Watchdog thread: deadline per collective call, and a small status protocol on the world's
// watchdog communicator so the rank that times out can name the ranks that did not arrive.
#include "harness/watchdog.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "fb_config.h"
#include "harness/sysinfo.h"

#if FB_HAVE_MPI
#include <mpi.h>
#endif

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

#if FB_HAVE_MPI
// The status protocol. Every watchdog thread keeps one receive posted for queries (tag kQuery)
// and answers each with its Reply (tag kReply); a timed-out rank queries all others.
struct Watchdog::Mpi {
  static constexpr int kQuery = 0x7d01;
  static constexpr int kReply = 0x7d02;
  struct Reply {
    long long calls;
    long long in_call;
    char phase[240];
  };

  explicit Mpi(MPI_Comm c) : comm(c) {
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    // A dead peer must not turn the watchdog's own messages into a second, confusing abort.
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    replies.resize(static_cast<std::size_t>(size));
    reply_reqs.assign(static_cast<std::size_t>(size), MPI_REQUEST_NULL);
    query_sends.assign(static_cast<std::size_t>(size), MPI_REQUEST_NULL);
    answered.assign(static_cast<std::size_t>(size), false);
    listen();
  }

  void listen() {
    MPI_Irecv(&query_in, 1, MPI_LONG_LONG, MPI_ANY_SOURCE, kQuery, comm, &query_req);
  }

  // Answers every query that has arrived; remembers the lowest rank that asked.
  void serve(const RankStatus& self) {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      if (MPI_Test(&query_req, &flag, &st) != MPI_SUCCESS || !flag) break;
      lowest_asker = lowest_asker < 0 ? st.MPI_SOURCE : std::min(lowest_asker, st.MPI_SOURCE);
      auto reply = std::make_unique<Reply>();
      reply->calls = self.calls;
      reply->in_call = self.in_call ? 1 : 0;
      std::snprintf(reply->phase, sizeof reply->phase, "%s", self.phase.c_str());
      MPI_Request req;
      MPI_Isend(reply.get(), static_cast<int>(sizeof(Reply)), MPI_BYTE, st.MPI_SOURCE, kReply, comm,
                &req);
      answers_out.emplace_back(req, std::move(reply));
      listen();
    }
    // Drop answers that have left (their buffers must live until then).
    answers_out.erase(std::remove_if(answers_out.begin(), answers_out.end(),
                                     [](auto& a) {
                                       int done = 0;
                                       MPI_Test(&a.first, &done, MPI_STATUS_IGNORE);
                                       return done != 0;
                                     }),
                      answers_out.end());
  }

  void ask_all(long long my_calls) {
    asked = true;
    query_out = std::make_unique<long long>(my_calls);
    for (int r = 0; r < size; ++r) {
      if (r == rank) continue;
      const auto i = static_cast<std::size_t>(r);
      MPI_Irecv(&replies[i], static_cast<int>(sizeof(Reply)), MPI_BYTE, r, kReply, comm,
                &reply_reqs[i]);
      MPI_Isend(query_out.get(), 1, MPI_LONG_LONG, r, kQuery, comm, &query_sends[i]);
    }
  }

  // Collects answers that have arrived; true when every other rank has answered.
  bool collect() {
    bool all = true;
    for (int r = 0; r < size; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (r == rank || answered[i]) continue;
      int flag = 0;
      if (reply_reqs[i] != MPI_REQUEST_NULL) MPI_Test(&reply_reqs[i], &flag, MPI_STATUS_IGNORE);
      if (flag) {
        answered[i] = true;
      } else {
        all = false;
      }
    }
    return all;
  }

  std::vector<RankStatus> statuses() const {
    std::vector<RankStatus> out;
    for (int r = 0; r < size; ++r) {
      if (r == rank) continue;
      const auto i = static_cast<std::size_t>(r);
      RankStatus s;
      s.rank = r;
      s.answered = answered[i];
      if (s.answered) {
        s.calls = replies[i].calls;
        s.in_call = replies[i].in_call != 0;
        s.phase.assign(replies[i].phase, strnlen(replies[i].phase, sizeof replies[i].phase));
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  // Leaves no request behind on the communicator before the world frees it.
  ~Mpi() {
    auto cancel = [](MPI_Request& req) {
      if (req == MPI_REQUEST_NULL) return;
      MPI_Cancel(&req);
      MPI_Wait(&req, MPI_STATUS_IGNORE);
    };
    cancel(query_req);
    for (auto& req : reply_reqs) cancel(req);
    // A send still in flight reads its buffer after MPI_Request_free: those buffers are left
    // allocated (this happens only after a timeout whose handler returned, i.e. in tests).
    bool sending = false;
    for (auto& req : query_sends) {
      if (req != MPI_REQUEST_NULL) {
        MPI_Request_free(&req);
        sending = true;
      }
    }
    if (sending) (void)query_out.release();
    for (auto& a : answers_out) {
      if (a.first != MPI_REQUEST_NULL) {
        MPI_Request_free(&a.first);
        (void)a.second.release();
      }
    }
  }

  MPI_Comm comm;
  int rank = 0, size = 1;
  long long query_in = 0;
  std::unique_ptr<long long> query_out;
  MPI_Request query_req = MPI_REQUEST_NULL;
  std::vector<std::pair<MPI_Request, std::unique_ptr<Reply>>> answers_out;
  int lowest_asker = -1;  // a rank that timed out and is reporting
  bool asked = false;
  std::vector<Reply> replies;
  std::vector<MPI_Request> reply_reqs, query_sends;
  std::vector<bool> answered;
};
#else
struct Watchdog::Mpi {};
#endif

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
#if FB_HAVE_MPI
  if (void* comm = world_.watchdog_comm(); comm != nullptr && world_.size() > 1) {
    mpi_ = new Mpi(*static_cast<MPI_Comm*>(comm));
  }
#endif
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
  delete mpi_;
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
#if FB_HAVE_MPI
    if (mpi_ != nullptr) mpi_->serve(self_status());
#endif
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
#if FB_HAVE_MPI
  if (mpi_ != nullptr) {
    Mpi& m = *mpi_;
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
      const auto lower_asks = [&] { return m.lowest_asker >= 0 && m.lowest_asker < m.rank; };
      while (now_ns() < end) {
        if (wait_stop(0.01)) return false;
        m.serve(self_status());
        const bool all = m.asked && m.collect();
        if (may_defer && lower_asks()) return true;
        if (until_answered && all && now_ns() >= min_end) break;
      }
      return may_defer && lower_asks();
    };
    m.serve(self);
    bool defer = m.lowest_asker >= 0;
    if (!defer) {
      m.ask_all(self.calls);
      defer = serve_for(opts_.grace_s, true, true);
    }
    if (defer) {
      // The asker reports and ends the job; still alive afterwards means it could not.
      serve_for(opts_.grace_s + 5.0, false, false);
      if (!m.asked) {
        m.ask_all(self.calls);
        serve_for(opts_.grace_s, true, false);
      }
    }
    m.collect();
    opts_.on_timeout(describe_timeout(self, opts_.timeout_s, m.statuses(), true));
    return;
  }
#endif
  // No one to ask: a single rank knows everything; otherwise only this rank's view is known.
  opts_.on_timeout(describe_timeout(self, opts_.timeout_s, {}, world_.size() == 1));
}

}  // namespace fb
