// The watchdog's status protocol over MPI. Every watchdog thread keeps one receive posted for
// queries (tag kQuery) and answers each with its Reply (tag kReply); a timed-out rank queries
// all others.
#include "collectives/status_channel_mpi.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace fb {
namespace {

class MpiStatusChannel final : public StatusChannel {
 public:
  explicit MpiStatusChannel(MPI_Comm c) : comm_(c) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    // A dead peer must not turn the watchdog's own messages into a second, confusing abort.
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    replies_.resize(static_cast<std::size_t>(size_));
    reply_reqs_.assign(static_cast<std::size_t>(size_), MPI_REQUEST_NULL);
    query_sends_.assign(static_cast<std::size_t>(size_), MPI_REQUEST_NULL);
    answered_.assign(static_cast<std::size_t>(size_), false);
    listen();
  }

  // Leaves no request behind on the communicator before the world frees it.
  ~MpiStatusChannel() override {
    auto cancel = [](MPI_Request& req) {
      if (req == MPI_REQUEST_NULL) return;
      MPI_Cancel(&req);
      MPI_Wait(&req, MPI_STATUS_IGNORE);
    };
    cancel(query_req_);
    for (auto& req : reply_reqs_) cancel(req);
    // A send still in flight reads its buffer after MPI_Request_free: those buffers are left
    // allocated (this happens only after a timeout whose handler returned, i.e. in tests).
    bool sending = false;
    for (auto& req : query_sends_) {
      if (req != MPI_REQUEST_NULL) {
        MPI_Request_free(&req);
        sending = true;
      }
    }
    if (sending) (void)query_out_.release();
    for (auto& a : answers_out_) {
      if (a.first != MPI_REQUEST_NULL) {
        MPI_Request_free(&a.first);
        (void)a.second.release();
      }
    }
  }
  MpiStatusChannel(const MpiStatusChannel&) = delete;
  MpiStatusChannel& operator=(const MpiStatusChannel&) = delete;

  void serve(const RankStatus& self) override {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      if (MPI_Test(&query_req_, &flag, &st) != MPI_SUCCESS || !flag) break;
      lowest_asker_ = lowest_asker_ < 0 ? st.MPI_SOURCE : std::min(lowest_asker_, st.MPI_SOURCE);
      auto reply = std::make_unique<Reply>();
      reply->calls = self.calls;
      reply->in_call = self.in_call ? 1 : 0;
      std::snprintf(reply->phase, sizeof reply->phase, "%s", self.phase.c_str());
      MPI_Request req;
      MPI_Isend(reply.get(), static_cast<int>(sizeof(Reply)), MPI_BYTE, st.MPI_SOURCE, kReply,
                comm_, &req);
      answers_out_.emplace_back(req, std::move(reply));
      listen();
    }
    // Drop answers that have left (their buffers must live until then).
    answers_out_.erase(std::remove_if(answers_out_.begin(), answers_out_.end(),
                                      [](auto& a) {
                                        int done = 0;
                                        MPI_Test(&a.first, &done, MPI_STATUS_IGNORE);
                                        return done != 0;
                                      }),
                       answers_out_.end());
  }

  int lowest_asker() const override { return lowest_asker_; }

  void ask_all(long long my_calls) override {
    asked_ = true;
    query_out_ = std::make_unique<long long>(my_calls);
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const auto i = static_cast<std::size_t>(r);
      MPI_Irecv(&replies_[i], static_cast<int>(sizeof(Reply)), MPI_BYTE, r, kReply, comm_,
                &reply_reqs_[i]);
      MPI_Isend(query_out_.get(), 1, MPI_LONG_LONG, r, kQuery, comm_, &query_sends_[i]);
    }
  }

  bool asked() const override { return asked_; }

  bool collect() override {
    bool all = true;
    for (int r = 0; r < size_; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (r == rank_ || answered_[i]) continue;
      int flag = 0;
      if (reply_reqs_[i] != MPI_REQUEST_NULL) {
        MPI_Test(&reply_reqs_[i], &flag, MPI_STATUS_IGNORE);
      }
      if (flag) {
        answered_[i] = true;
      } else {
        all = false;
      }
    }
    return all;
  }

  std::vector<RankStatus> statuses() const override {
    std::vector<RankStatus> out;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      const auto i = static_cast<std::size_t>(r);
      RankStatus s;
      s.rank = r;
      s.answered = answered_[i];
      if (s.answered) {
        s.calls = replies_[i].calls;
        s.in_call = replies_[i].in_call != 0;
        s.phase.assign(replies_[i].phase, strnlen(replies_[i].phase, sizeof replies_[i].phase));
      }
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  static constexpr int kQuery = 0x7d01;
  static constexpr int kReply = 0x7d02;
  struct Reply {
    long long calls;
    long long in_call;
    char phase[240];
  };

  void listen() {
    MPI_Irecv(&query_in_, 1, MPI_LONG_LONG, MPI_ANY_SOURCE, kQuery, comm_, &query_req_);
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  long long query_in_ = 0;
  std::unique_ptr<long long> query_out_;
  MPI_Request query_req_ = MPI_REQUEST_NULL;
  std::vector<std::pair<MPI_Request, std::unique_ptr<Reply>>> answers_out_;
  int lowest_asker_ = -1;  // a rank that timed out and is reporting
  bool asked_ = false;
  std::vector<Reply> replies_;
  std::vector<MPI_Request> reply_reqs_, query_sends_;
  std::vector<bool> answered_;
};

}  // namespace

std::unique_ptr<StatusChannel> make_mpi_status_channel(MPI_Comm comm) {
  return std::make_unique<MpiStatusChannel>(comm);
}

}  // namespace fb
