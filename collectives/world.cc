#include "collectives/world.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "fb_config.h"

#if FB_HAVE_MPI
#include <mpi.h>
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
  ~MpiWorld() override {
    MPI_Comm_free(&local_);
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
  void* watchdog_comm() override { return watchdog_ == MPI_COMM_NULL ? nullptr : &watchdog_; }

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

std::unique_ptr<World> make_single_world() { return std::make_unique<SingleWorld>(); }

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
