#include "collectives/transport_mpi.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

namespace fb {
namespace {

// MPI counts are ints: larger messages go as several pieces with the same tag (ordered).
constexpr std::size_t kMaxPieceBytes = std::size_t{1} << 30;
// A shared-memory spin longer than this is a deadlock (the harness watchdog usually acts first).
constexpr double kSpinTimeoutS = 600.0;

class MpiRequest final : public Request {
 public:
  std::vector<MPI_Request> reqs;
};

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS)
    throw std::runtime_error(std::string("mpi transport: ") + what + " failed");
}

// Forwards to a communicator owned elsewhere (splits are cached by their parent, so their shared
// windows and further splits outlive one algorithm call).
class BorrowedComm final : public Communicator {
 public:
  explicit BorrowedComm(Communicator& c) : c_(c) {}
  int rank() const override { return c_.rank(); }
  int size() const override { return c_.size(); }
  RequestPtr isend(const void* b, std::size_t n, int p, int t) override {
    return c_.isend(b, n, p, t);
  }
  RequestPtr irecv(void* b, std::size_t n, int p, int t) override { return c_.irecv(b, n, p, t); }
  void wait(RequestPtr& r) override { c_.wait(r); }
  void wait_all(std::vector<RequestPtr>& r) override { c_.wait_all(r); }
  void barrier() override { c_.barrier(); }
  std::unique_ptr<Communicator> split_node_local() override { return c_.split_node_local(); }
  std::unique_ptr<Communicator> split_cross_node() override { return c_.split_cross_node(); }
  SharedMemory* shared_memory() override { return c_.shared_memory(); }

 private:
  Communicator& c_;
};

class MpiComm final : public Communicator, public SharedMemory {
 public:
  // Takes ownership of `comm`.
  explicit MpiComm(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm_);
    int node_size = 0;
    MPI_Comm_size(node_comm_, &node_size);
    one_node_ = node_size == size_;
  }
  ~MpiComm() override {
    node_.reset();
    cross_.reset();
    for (auto& w : windows_) MPI_Win_free(&w.win);
    for (auto& kv : segments_) MPI_Win_free(&kv.second.win);
    MPI_Comm_free(&node_comm_);
    MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  RequestPtr isend(const void* buf, std::size_t bytes, int peer, int tag) override {
    auto req = std::make_unique<MpiRequest>();
    const auto* p = static_cast<const unsigned char*>(buf);
    for_pieces(bytes, [&](std::size_t off, int n) {
      req->reqs.emplace_back();
      check(MPI_Isend(p + off, n, MPI_BYTE, peer, tag, comm_, &req->reqs.back()), "MPI_Isend");
    });
    return req;
  }
  RequestPtr irecv(void* buf, std::size_t bytes, int peer, int tag) override {
    auto req = std::make_unique<MpiRequest>();
    auto* p = static_cast<unsigned char*>(buf);
    for_pieces(bytes, [&](std::size_t off, int n) {
      req->reqs.emplace_back();
      check(MPI_Irecv(p + off, n, MPI_BYTE, peer, tag, comm_, &req->reqs.back()), "MPI_Irecv");
    });
    return req;
  }
  void wait(RequestPtr& req) override {
    if (!req) return;
    auto& r = static_cast<MpiRequest&>(*req).reqs;
    check(MPI_Waitall(static_cast<int>(r.size()), r.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    req.reset();
  }
  // One MPI_Waitall over everything lets MPI progress all transfers together.
  void wait_all(std::vector<RequestPtr>& reqs) override {
    std::vector<MPI_Request> all;
    for (auto& q : reqs) {
      if (!q) continue;
      auto& r = static_cast<MpiRequest&>(*q).reqs;
      all.insert(all.end(), r.begin(), r.end());
    }
    check(MPI_Waitall(static_cast<int>(all.size()), all.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    reqs.clear();
  }
  void barrier() override { check(MPI_Barrier(comm_), "MPI_Barrier"); }

  std::unique_ptr<Communicator> split_node_local() override {
    if (!node_) {
      MPI_Comm c;
      MPI_Comm_dup(node_comm_, &c);
      node_ = std::make_unique<MpiComm>(c);
    }
    return std::make_unique<BorrowedComm>(*node_);
  }
  std::unique_ptr<Communicator> split_cross_node() override {
    if (!cross_) {
      int local = 0;
      MPI_Comm_rank(node_comm_, &local);
      MPI_Comm c;
      MPI_Comm_split(comm_, local, rank_, &c);
      cross_ = std::make_unique<MpiComm>(c);
    }
    return std::make_unique<BorrowedComm>(*cross_);
  }

  SharedMemory* shared_memory() override { return one_node_ ? this : nullptr; }

  // ---- SharedMemory over MPI-3 shared windows ----
  const std::vector<void*>& segments(int key, std::size_t bytes) override {
    auto it = segments_.find(key);
    if (it == segments_.end()) {
      Window w = allocate(bytes);
      std::memset(w.peers[static_cast<std::size_t>(rank_)], 0, bytes);
      MPI_Barrier(comm_);  // nobody reads a peer's segment before it is zeroed
      it = segments_.emplace(key, std::move(w)).first;
    } else if (it->second.bytes != bytes) {
      throw std::runtime_error("mpi transport: segment " + std::to_string(key) +
                               " requested with different sizes");
    }
    return it->second.views;
  }

  bool locate(const void* p, std::uint64_t* id, std::uint64_t* offset) override {
    const auto* b = static_cast<const unsigned char*>(p);
    for (const auto& w : windows_) {
      const auto* base = w.peers[static_cast<std::size_t>(rank_)];
      if (b >= base && b <= base + w.bytes) {  // one past the end: an empty buffer
        *id = w.id;
        *offset = static_cast<std::uint64_t>(b - base);
        return true;
      }
    }
    return false;
  }
  void* peer_address(int rank, std::uint64_t id, std::uint64_t offset) override {
    for (const auto& w : windows_) {
      if (w.id == id) return w.peers[static_cast<std::size_t>(rank)] + offset;
    }
    throw std::runtime_error("mpi transport: unknown shared window " + std::to_string(id));
  }

  void* alloc(std::size_t bytes) override {
    if (!one_node_) return nullptr;
    windows_.push_back(allocate(bytes));
    windows_.back().id = next_id_++;
    return windows_.back().peers[static_cast<std::size_t>(rank_)];
  }
  void free(void* p) override {
    auto w = std::find_if(windows_.begin(), windows_.end(), [&](const Window& x) {
      return x.peers[static_cast<std::size_t>(rank_)] == p;
    });
    if (w == windows_.end()) throw std::runtime_error("mpi transport: free of unknown window");
    MPI_Win_free(&w->win);
    windows_.erase(w);
  }
  void poll(double waited_s) override {
    // More ranks than free cores (oversubscribed or a busy machine): let the awaited rank run.
    std::this_thread::yield();
    if (waited_s > kSpinTimeoutS) {
      throw std::runtime_error("mpi transport: shared-memory wait exceeded " +
                               std::to_string(kSpinTimeoutS) + " s (deadlock?)");
    }
  }

 private:
  struct Window {
    MPI_Win win = MPI_WIN_NULL;
    std::uint64_t id = 0;
    std::size_t bytes = 0;
    std::vector<unsigned char*> peers;  // every rank's segment, mapped here
    std::vector<void*> views;           // the same, as segments() returns them
  };

  Window allocate(std::size_t bytes) {
    MPI_Info info;
    MPI_Info_create(&info);
    // Each rank's segment on its own pages (first touched by its owner: NUMA-local).
    MPI_Info_set(info, "alloc_shared_noncontig", "true");
    Window w;
    w.bytes = bytes;
    void* base = nullptr;
    const std::size_t rounded = std::max<std::size_t>(64, (bytes + 4095) / 4096 * 4096);
    const int rc =
        MPI_Win_allocate_shared(static_cast<MPI_Aint>(rounded), 1, info, comm_, &base, &w.win);
    MPI_Info_free(&info);
    check(rc, "MPI_Win_allocate_shared");
    for (int j = 0; j < size_; ++j) {
      MPI_Aint size = 0;
      int disp = 0;
      void* ptr = nullptr;
      MPI_Win_shared_query(w.win, j, &size, &disp, &ptr);
      w.peers.push_back(static_cast<unsigned char*>(ptr));
      w.views.push_back(ptr);
    }
    return w;
  }

  template <typename F>
  static void for_pieces(std::size_t bytes, F&& f) {
    std::size_t off = 0;
    do {
      const std::size_t n = std::min(kMaxPieceBytes, bytes - off);
      f(off, static_cast<int>(n));
      off += n;
    } while (off < bytes);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm node_comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool one_node_ = false;
  std::unique_ptr<MpiComm> node_, cross_;
  std::vector<Window> windows_;
  std::map<int, Window> segments_;
  std::uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(void* mpi_comm) {
  if (mpi_comm == nullptr) throw std::runtime_error("mpi transport: no MPI communicator");
  MPI_Comm dup;
  check(MPI_Comm_dup(*static_cast<MPI_Comm*>(mpi_comm), &dup), "MPI_Comm_dup");
  return std::make_unique<MpiComm>(dup);
}

}  // namespace fb
