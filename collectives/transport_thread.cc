#include "collectives/transport_thread.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace fb {
namespace {

using Clock = std::chrono::steady_clock;
// Waits wake up this often to notice an abort by another rank or a passed deadline.
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr const char* kAbortedMessage = "thread transport: aborted (another rank failed)";
constexpr int kMaxTag = kMaxAlgoTag;

class ThreadRequest final : public Request {
 public:
  ~ThreadRequest() override;
  struct Mailbox* box = nullptr;  // set while a posted receive waits for its message
  bool done = false;
  std::string error;
};

struct PostedRecv {
  int comm_id, src, tag;
  void* buf;
  std::size_t bytes;
  ThreadRequest* req;
};

struct Message {
  int comm_id, src, tag;
  std::vector<unsigned char> data;
};

struct Mailbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Message> unexpected;
  std::deque<PostedRecv> posted;
};

ThreadRequest::~ThreadRequest() {
  // A rank that unwinds with receives still posted withdraws them, so no sender writes into a
  // buffer that is gone.
  if (box == nullptr) return;
  std::lock_guard<std::mutex> lock(box->mu);
  for (auto it = box->posted.begin(); it != box->posted.end(); ++it) {
    if (it->req == this) {
      box->posted.erase(it);
      break;
    }
  }
}

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using Segment = std::unique_ptr<unsigned char, AlignedFree>;

Segment make_segment(std::size_t bytes) {
  const std::size_t rounded = (bytes + 63) / 64 * 64;
  auto* p = static_cast<unsigned char*>(std::aligned_alloc(64, rounded == 0 ? 64 : rounded));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return Segment(p);
}

// State of one communicator (world or a split), shared by its members.
struct Group {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  long generation = 0;
  struct Segments {
    std::size_t bytes = 0;
    std::vector<Segment> owned;
    std::vector<void*> views;
  };
  std::map<int, Segments> segments;
};

struct Shared {
  int nranks = 0;
  int ranks_per_node = 0;
  double timeout_s = 30.0;
  std::vector<std::unique_ptr<Mailbox>> boxes;
  std::atomic<bool> aborted{false};
  std::mutex mu;  // guards ids and groups
  std::map<std::string, int> ids;
  std::map<int, std::unique_ptr<Group>> groups;

  int node_of(int world_rank) const { return world_rank / ranks_per_node; }

  // The id and state of the communicator named `name`, created by its first member to ask.
  std::pair<int, Group*> group(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = ids.find(name);
    if (it == ids.end()) {
      const int id = static_cast<int>(ids.size());
      it = ids.emplace(name, id).first;
      groups.emplace(id, std::make_unique<Group>());
    }
    return {it->second, groups.at(it->second).get()};
  }

  void abort() {
    aborted = true;
    for (auto& b : boxes) {
      std::lock_guard<std::mutex> lock(b->mu);
      b->cv.notify_all();
    }
  }

  void check(double waited_s, const char* what) {
    if (aborted) throw std::runtime_error(kAbortedMessage);
    if (waited_s > timeout_s) {
      abort();
      throw std::runtime_error(std::string("thread transport: ") + what + " waited more than " +
                               std::to_string(timeout_s) + " s (deadlock?)");
    }
  }
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

class ThreadComm final : public Communicator, public SharedMemory {
 public:
  ThreadComm(Shared* shared, std::string name, std::vector<int> members, int me)
      : shared_(shared), name_(std::move(name)), members_(std::move(members)), me_(me) {
    auto g = shared_->group(name_);
    id_ = g.first;
    group_ = g.second;
  }

  void own(std::shared_ptr<Shared> s) { owned_ = std::move(s); }

  int rank() const override { return me_; }
  int size() const override { return static_cast<int>(members_.size()); }

  RequestPtr isend(const void* buf, std::size_t bytes, int peer, int tag) override {
    check_peer(peer, tag);
    auto req = std::make_unique<ThreadRequest>();
    req->done = true;
    Mailbox& box = *shared_->boxes[static_cast<std::size_t>(members_[peer])];
    std::lock_guard<std::mutex> lock(box.mu);
    for (auto it = box.posted.begin(); it != box.posted.end(); ++it) {
      if (it->comm_id == id_ && it->src == me_ && it->tag == tag) {
        if (it->bytes != bytes) {
          it->req->error = size_error(bytes, it->bytes, tag);
        } else if (bytes) {
          std::memcpy(it->buf, buf, bytes);
        }
        it->req->done = true;
        it->req->box = nullptr;
        box.posted.erase(it);
        box.cv.notify_all();
        return req;
      }
    }
    const auto* p = static_cast<const unsigned char*>(buf);
    box.unexpected.push_back({id_, me_, tag, std::vector<unsigned char>(p, p + bytes)});
    return req;
  }

  RequestPtr irecv(void* buf, std::size_t bytes, int peer, int tag) override {
    check_peer(peer, tag);
    auto req = std::make_unique<ThreadRequest>();
    Mailbox& box = my_box();
    std::lock_guard<std::mutex> lock(box.mu);
    for (auto it = box.unexpected.begin(); it != box.unexpected.end(); ++it) {
      if (it->comm_id == id_ && it->src == peer && it->tag == tag) {
        if (it->data.size() != bytes) {
          req->error = size_error(it->data.size(), bytes, tag);
        } else if (bytes) {
          std::memcpy(buf, it->data.data(), bytes);
        }
        req->done = true;
        box.unexpected.erase(it);
        return req;
      }
    }
    req->box = &box;
    box.posted.push_back({id_, peer, tag, buf, bytes, req.get()});
    return req;
  }

  void wait(RequestPtr& req) override {
    if (!req) return;
    auto* r = static_cast<ThreadRequest*>(req.get());
    Mailbox& box = my_box();
    const auto t0 = Clock::now();
    {
      std::unique_lock<std::mutex> lock(box.mu);
      while (!r->done) {
        lock.unlock();
        shared_->check(seconds_since(t0), "a receive");
        lock.lock();
        if (!r->done) box.cv.wait_for(lock, kPollInterval);
      }
    }
    const std::string error = r->error;
    req.reset();
    if (!error.empty()) throw std::runtime_error(error);
  }

  void barrier() override {
    const auto t0 = Clock::now();
    std::unique_lock<std::mutex> lock(group_->mu);
    const long gen = group_->generation;
    if (++group_->arrived == size()) {
      group_->arrived = 0;
      ++group_->generation;
      group_->cv.notify_all();
      return;
    }
    while (group_->generation == gen) {
      lock.unlock();
      shared_->check(seconds_since(t0), "a barrier");
      lock.lock();
      if (group_->generation == gen) group_->cv.wait_for(lock, kPollInterval);
    }
  }

  std::unique_ptr<Communicator> split_node_local() override {
    const int node = shared_->node_of(members_[me_]);
    std::vector<int> members;
    int me = 0;
    for (int i = 0; i < size(); ++i) {
      if (shared_->node_of(members_[i]) != node) continue;
      if (i == me_) me = static_cast<int>(members.size());
      members.push_back(members_[i]);
    }
    return std::make_unique<ThreadComm>(shared_, name_ + "/n" + std::to_string(node),
                                        std::move(members), me);
  }

  std::unique_ptr<Communicator> split_cross_node() override {
    // Local index of each member within its node, in member order.
    std::map<int, int> seen;
    std::vector<int> local(members_.size());
    for (std::size_t i = 0; i < members_.size(); ++i)
      local[i] = seen[shared_->node_of(members_[i])]++;
    const int mine = local[static_cast<std::size_t>(me_)];
    std::vector<int> members;
    int me = 0;
    for (int i = 0; i < size(); ++i) {
      if (local[static_cast<std::size_t>(i)] != mine) continue;
      if (i == me_) me = static_cast<int>(members.size());
      members.push_back(members_[i]);
    }
    return std::make_unique<ThreadComm>(shared_, name_ + "/x" + std::to_string(mine),
                                        std::move(members), me);
  }

  SharedMemory* shared_memory() override {
    const int node = shared_->node_of(members_[0]);
    for (int m : members_) {
      if (shared_->node_of(m) != node) return nullptr;
    }
    return this;
  }

  // ---- SharedMemory: every thread sees every address, so sharing is only bookkeeping. ----
  const std::vector<void*>& segments(int key, std::size_t bytes) override {
    std::lock_guard<std::mutex> lock(group_->mu);
    auto it = group_->segments.find(key);
    if (it == group_->segments.end()) {
      Group::Segments segs;
      segs.bytes = bytes;
      for (int i = 0; i < size(); ++i) {
        segs.owned.push_back(make_segment(bytes));
        segs.views.push_back(segs.owned.back().get());
      }
      it = group_->segments.emplace(key, std::move(segs)).first;
    } else if (it->second.bytes != bytes) {
      throw std::runtime_error("thread transport: segment " + std::to_string(key) +
                               " requested with different sizes");
    }
    return it->second.views;
  }

  // One address space: the "offset" is the address itself.
  bool locate(const void* p, std::uint64_t* id, std::uint64_t* offset) override {
    *id = 0;
    *offset = reinterpret_cast<std::uintptr_t>(p);
    return true;
  }
  void* peer_address(int, std::uint64_t, std::uint64_t offset) override {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(offset));
  }

  void* alloc(std::size_t bytes) override {
    const std::size_t rounded = (bytes + 4095) / 4096 * 4096;
    void* p = std::aligned_alloc(4096, rounded == 0 ? 4096 : rounded);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void free(void* p) override { std::free(p); }

  void poll(double waited_s) override {
    shared_->check(waited_s, "a shared-memory wait");
    std::this_thread::yield();  // more ranks than cores: let the rank we wait for run
  }

 private:
  Mailbox& my_box() { return *shared_->boxes[static_cast<std::size_t>(members_[me_])]; }

  void check_peer(int peer, int tag) const {
    if (peer < 0 || peer >= size()) {
      throw std::runtime_error("thread transport: peer " + std::to_string(peer) +
                               " out of range for size " + std::to_string(size()));
    }
    if (tag < 0 || tag > kMaxTag) {
      throw std::runtime_error("thread transport: tag " + std::to_string(tag) + " out of range");
    }
    if (shared_->aborted) throw std::runtime_error(kAbortedMessage);
  }

  std::string size_error(std::size_t sent, std::size_t expected, int tag) const {
    return "thread transport: message of " + std::to_string(sent) + " bytes for a receive of " +
           std::to_string(expected) + " (tag " + std::to_string(tag) + ")";
  }

  Shared* shared_;
  std::shared_ptr<Shared> owned_;  // set for a standalone single-rank communicator
  std::string name_;
  std::vector<int> members_;  // world ranks, in this communicator's rank order
  int me_;
  int id_ = 0;
  Group* group_ = nullptr;
};

std::shared_ptr<Shared> make_shared_state(int nranks, const ThreadRunOptions& opts) {
  auto shared = std::make_shared<Shared>();
  shared->nranks = nranks;
  shared->ranks_per_node = opts.ranks_per_node > 0 ? opts.ranks_per_node : nranks;
  shared->timeout_s = opts.timeout_s;
  for (int i = 0; i < nranks; ++i) shared->boxes.push_back(std::make_unique<Mailbox>());
  return shared;
}

}  // namespace

std::unique_ptr<Communicator> make_self_communicator() {
  auto shared = make_shared_state(1, {});
  auto comm = std::make_unique<ThreadComm>(shared.get(), "self", std::vector<int>{0}, 0);
  comm->own(std::move(shared));
  return comm;
}

std::vector<std::unique_ptr<Communicator>> make_thread_communicators(int nranks,
                                                                     const ThreadRunOptions& opts) {
  if (nranks < 1) throw std::runtime_error("make_thread_communicators: need at least one rank");
  auto shared = make_shared_state(nranks, opts);
  std::vector<int> world(static_cast<std::size_t>(nranks));
  for (int i = 0; i < nranks; ++i) world[static_cast<std::size_t>(i)] = i;
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < nranks; ++r) {
    auto comm = std::make_unique<ThreadComm>(shared.get(), "w", world, r);
    comm->own(shared);
    out.push_back(std::move(comm));
  }
  return out;
}

void run_threads(int nranks, const std::function<void(Communicator&)>& fn,
                 const ThreadRunOptions& opts) {
  if (nranks < 1) throw std::runtime_error("run_threads: need at least one rank");
  auto state = make_shared_state(nranks, opts);
  Shared& shared = *state;
  std::vector<int> world(static_cast<std::size_t>(nranks));
  for (int i = 0; i < nranks; ++i) world[static_cast<std::size_t>(i)] = i;

  std::vector<std::string> errors(static_cast<std::size_t>(nranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < nranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        ThreadComm comm(&shared, "w", world, r);
        fn(comm);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(r)] = "rank " + std::to_string(r) + ": " + e.what();
        shared.abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  // Report the cause, not the other ranks' echo of the abort.
  std::string echo;
  for (const auto& e : errors) {
    if (e.empty()) continue;
    if (e.find(kAbortedMessage) == std::string::npos) throw std::runtime_error(e);
    if (echo.empty()) echo = e;
  }
  if (!echo.empty()) throw std::runtime_error(echo);
}

}  // namespace fb
