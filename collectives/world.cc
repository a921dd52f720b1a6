#include "collectives/world.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "collectives/transport_thread.h"
#include "fb_config.h"

#if FB_HAVE_MPI
#include <mpi.h>

#include "collectives/status_channel_mpi.h"
#endif

namespace fb {
namespace {

class SingleWorld final : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  void barrier() override {}
  void allreduce_max(double*, int) override {}
  void allreduce_min(double*, int) override {}
  void allreduce_sum(double*, int) override {}
  std::vector<std::string> allgather_string(const std::string& s) override { return {s}; }
  void broadcast_bytes(void*, int, int) override {}
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
  std::string library_version() const override { return "none (single process)"; }
  std::unique_ptr<World> split(int) override { return std::make_unique<SingleWorld>(); }
};

// What the rank-threads of make_thread_worlds share. A call publishes a pointer to each rank's
// argument and meets the others at a generation barrier; then each rank reads its peers'
// arguments (still valid: their owners wait at the second barrier) into its own result, and a
// second barrier releases everyone. Sums add in rank order, so every rank gets the same bits.
class ThreadRendezvous {
 public:
  explicit ThreadRendezvous(int n) : n_(n), slots_(static_cast<std::size_t>(n), nullptr) {}

  int size() const { return n_; }

  // Publishes `arg` as this rank's and waits for every rank; then peers' arguments may be read.
  void arrive(int rank, const void* arg) {
    std::unique_lock<std::mutex> lock(mu_);
    slots_[static_cast<std::size_t>(rank)] = arg;
    wait_all(lock);
  }
  // Waits until every rank has read what it needed.
  void depart() {
    std::unique_lock<std::mutex> lock(mu_);
    wait_all(lock);
  }
  const void* slot(int rank) const { return slots_[static_cast<std::size_t>(rank)]; }

  // Rank `rank` will make no more calls; waiting ranks fail instead of waiting forever.
  void leave(int rank) {
    std::lock_guard<std::mutex> lock(mu_);
    if (left_ < 0) left_ = rank;
    cv_.notify_all();
  }

 private:
  void wait_all(std::unique_lock<std::mutex>& lock) {
    if (left_ >= 0) throw_left();
    const long gen = generation_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen || left_ >= 0; });
    if (generation_ == gen) throw_left();
  }
  [[noreturn]] void throw_left() const {
    throw std::runtime_error("rank " + std::to_string(left_) +
                             " (a thread of this process) left the job; this call cannot complete");
  }

  const int n_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  long generation_ = 0;
  int left_ = -1;
  std::vector<const void*> slots_;
};

class ThreadWorld final : public World {
 public:
  ThreadWorld(std::shared_ptr<ThreadRendezvous> meet, int rank, World& process,
              std::unique_ptr<Communicator> comm)
      : meet_(std::move(meet)),
        rank_(rank),
        local_rank_(rank),
        local_size_(meet_->size()),
        process_(process),
        comm_(std::move(comm)) {}
  ~ThreadWorld() override { meet_->leave(rank_); }

  int rank() const override { return rank_; }
  int size() const override { return meet_->size(); }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  void barrier() override {
    meet_->arrive(rank_, nullptr);
    meet_->depart();
  }
  void allreduce_max(double* v, int n) override {
    reduce(v, n, [](double a, double b) { return a < b ? b : a; });
  }
  void allreduce_min(double* v, int n) override {
    reduce(v, n, [](double a, double b) { return b < a ? b : a; });
  }
  void allreduce_sum(double* v, int n) override {
    reduce(v, n, [](double a, double b) { return a + b; });
  }
  std::vector<std::string> allgather_string(const std::string& s) override {
    meet_->arrive(rank_, &s);
    std::vector<std::string> out;
    for (int r = 0; r < size(); ++r)
      out.push_back(*static_cast<const std::string*>(meet_->slot(r)));
    meet_->depart();
    return out;
  }
  void broadcast_bytes(void* data, int bytes, int root) override {
    if (root < 0 || root >= size()) {
      throw std::runtime_error("broadcast_bytes: root " + std::to_string(root) + " is not a rank");
    }
    meet_->arrive(rank_, data);
    // Only non-roots write, each into its own buffer; the root's is only read.
    if (rank_ != root && bytes > 0) {
      std::memcpy(data, meet_->slot(root), static_cast<std::size_t>(bytes));
    }
    meet_->depart();
  }
  [[noreturn]] void abort(int code) override {
    process_.abort(code);
    std::_Exit(code);  // not reached: the process world's abort does not return
  }
  std::string library_version() const override { return process_.library_version(); }
  std::unique_ptr<Communicator> take_thread_communicator() override { return std::move(comm_); }

  // Every rank's color first; then each group's lowest rank makes the group's rendezvous and
  // communicators and publishes them; its members take theirs before anyone departs.
  std::unique_ptr<World> split(int color) override {
    if (color < 0) throw std::invalid_argument("split: negative color");
    std::vector<double> colors(static_cast<std::size_t>(size()), 0.0);
    colors[static_cast<std::size_t>(rank_)] = color;
    allreduce_sum(colors.data(), size());
    std::vector<int> members;
    for (int r = 0; r < size(); ++r) {
      if (colors[static_cast<std::size_t>(r)] == color) members.push_back(r);
    }
    const int leader = members.front();
    const auto index = static_cast<std::size_t>(std::find(members.begin(), members.end(), rank_) -
                                                members.begin());
    std::shared_ptr<GroupParts> mine;
    if (rank_ == leader) {
      mine = std::make_shared<GroupParts>();
      const int n = static_cast<int>(members.size());
      mine->meet = std::make_shared<ThreadRendezvous>(n);
      ThreadRunOptions topts;
      topts.timeout_s = std::numeric_limits<double>::infinity();
      mine->comms = make_thread_communicators(n, topts);
    }
    meet_->arrive(rank_, &mine);
    const std::shared_ptr<GroupParts> parts =
        *static_cast<const std::shared_ptr<GroupParts>*>(meet_->slot(leader));
    std::unique_ptr<Communicator> comm =
        std::move(parts->comms[index]);  // this rank's element only
    meet_->depart();
    auto out = std::make_unique<ThreadWorld>(parts->meet, static_cast<int>(index), process_,
                                             std::move(comm));
    out->local_rank_ = local_rank_;
    out->local_size_ = local_size_;
    return out;
  }

 private:
  struct GroupParts {
    std::shared_ptr<ThreadRendezvous> meet;
    std::vector<std::unique_ptr<Communicator>> comms;
  };

  template <typename Op>
  void reduce(double* v, int n, Op op) {
    meet_->arrive(rank_, v);
    // Into a copy: peers read this rank's values until everyone departs.
    std::vector<double> out(static_cast<const double*>(meet_->slot(0)),
                            static_cast<const double*>(meet_->slot(0)) + n);
    for (int r = 1; r < size(); ++r) {
      const auto* in = static_cast<const double*>(meet_->slot(r));
      for (int i = 0; i < n; ++i)
        out[static_cast<std::size_t>(i)] = op(out[static_cast<std::size_t>(i)], in[i]);
    }
    meet_->depart();
    std::copy(out.begin(), out.end(), v);
  }

  std::shared_ptr<ThreadRendezvous> meet_;
  int rank_;
  int local_rank_, local_size_;  // the parent's when split
  World& process_;
  std::unique_ptr<Communicator> comm_;
};

#if FB_HAVE_MPI
class MpiWorld final : public World {
 public:
  MpiWorld(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      // Multiple: the watchdog thread reports progress while the main thread is in a collective.
      MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &thread_level_);
      owns_ = true;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Query_thread(&thread_level_);  // also right when MPI was initialised by someone else
    if (thread_level_ >= MPI_THREAD_MULTIPLE) MPI_Comm_dup(comm_, &watchdog_);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_);
    MPI_Comm_rank(local_, &local_rank_);
    MPI_Comm_size(local_, &local_size_);
  }
  // A group of `parent` (split): owns `comm`, keeps the parent's host placement.
  MpiWorld(MPI_Comm comm, int local_rank, int local_size)
      : comm_(comm), local_rank_(local_rank), local_size_(local_size) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiWorld() override {
    if (local_ != MPI_COMM_NULL) MPI_Comm_free(&local_);
    if (watchdog_ != MPI_COMM_NULL) MPI_Comm_free(&watchdog_);
    MPI_Comm_free(&comm_);
    if (owns_) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  void barrier() override { MPI_Barrier(comm_); }
  void allreduce_max(double* v, int n) override {
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MAX, comm_);
  }
  void allreduce_min(double* v, int n) override {
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MIN, comm_);
  }
  void allreduce_sum(double* v, int n) override {
    MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, comm_);
  }
  std::vector<std::string> allgather_string(const std::string& s) override {
    int len = static_cast<int>(s.size());
    std::vector<int> lens(static_cast<std::size_t>(size_));
    MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm_);
    std::vector<int> displs(lens.size());
    int total = 0;
    for (std::size_t i = 0; i < lens.size(); ++i) {
      displs[i] = total;
      total += lens[i];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Allgatherv(s.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR,
                   comm_);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < lens.size(); ++i) {
      out.push_back(
          all.substr(static_cast<std::size_t>(displs[i]), static_cast<std::size_t>(lens[i])));
    }
    return out;
  }
  void broadcast_bytes(void* data, int bytes, int root) override {
    MPI_Bcast(data, bytes, MPI_BYTE, root, comm_);
  }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }
  std::string library_version() const override {
    char buf[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(buf, &len);
    std::string v(buf, static_cast<std::size_t>(len));
    const auto nl = v.find_first_of("\n,");
    return nl == std::string::npos ? v : v.substr(0, nl);
  }
  void* native_handle() override { return &comm_; }
  std::unique_ptr<StatusChannel> make_status_channel() override {
    return watchdog_ == MPI_COMM_NULL ? nullptr : make_mpi_status_channel(watchdog_);
  }
  std::unique_ptr<World> split(int color) override {
    if (color < 0) throw std::invalid_argument("split: negative color");
    MPI_Comm sub = MPI_COMM_NULL;
    if (MPI_Comm_split(comm_, color, rank_, &sub) != MPI_SUCCESS) {
      throw std::runtime_error("MPI_Comm_split failed");
    }
    return std::make_unique<MpiWorld>(sub, local_rank_, local_size_);
  }

 private:
  bool owns_ = false;
  int thread_level_ = 0;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm local_ = MPI_COMM_NULL;
  MPI_Comm watchdog_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};
#endif

}  // namespace

std::unique_ptr<Communicator> World::take_thread_communicator() { return nullptr; }

std::unique_ptr<World> World::split(int) {
  throw std::runtime_error("this world cannot be split into groups");
}

std::unique_ptr<World> make_single_world() { return std::make_unique<SingleWorld>(); }

std::vector<std::unique_ptr<World>> make_thread_worlds(int n, World& process) {
  if (n < 1) throw std::invalid_argument("make_thread_worlds: need at least one rank");
  if (process.size() != 1) {
    throw std::invalid_argument("make_thread_worlds: the process world must have one rank");
  }
  auto meet = std::make_shared<ThreadRendezvous>(n);
  // No deadline of its own: the harness watchdog (-T) catches a hung call.
  ThreadRunOptions topts;
  topts.timeout_s = std::numeric_limits<double>::infinity();
  std::vector<std::unique_ptr<Communicator>> comms = make_thread_communicators(n, topts);
  std::vector<std::unique_ptr<World>> out;
  for (int r = 0; r < n; ++r) {
    out.push_back(std::make_unique<ThreadWorld>(meet, r, process,
                                                std::move(comms[static_cast<std::size_t>(r)])));
  }
  return out;
}

std::unique_ptr<World> make_world(int* argc, char*** argv) {
#if FB_HAVE_MPI
  return std::make_unique<MpiWorld>(argc, argv);
#else
  (void)argc;
  (void)argv;
  return make_single_world();
#endif
}

}  // namespace fb
