// --backend mpi: the MPI library's own collectives on host buffers.
#include "collectives/backend_mpi.h"

#include <mpi.h>

#include <climits>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "collectives/backend_mpi_cuda.h"
#include "fb_config.h"
#include "kernels/reduce_cpu.h"

namespace fb {
namespace {

// MPI has no 16-bit float types: half and bfloat16 travel as 16-bit integers and are reduced by
// user-defined operators built on the shared CPU kernels.
template <DType kType, RedOp kOp>
void user_reduce(void* in, void* inout, int* len, MPI_Datatype*) {
  reduce_cpu(kType, kOp, inout, inout, in, static_cast<std::size_t>(*len));
}

template <DType kType>
MPI_Op make_user_op(RedOp op) {
  MPI_Op out = MPI_OP_NULL;
  switch (op) {
    case RedOp::kProd:
      MPI_Op_create(&user_reduce<kType, RedOp::kProd>, 1, &out);
      break;
    case RedOp::kMin:
      MPI_Op_create(&user_reduce<kType, RedOp::kMin>, 1, &out);
      break;
    case RedOp::kMax:
      MPI_Op_create(&user_reduce<kType, RedOp::kMax>, 1, &out);
      break;
    case RedOp::kSum:
    case RedOp::kAvg:
      MPI_Op_create(&user_reduce<kType, RedOp::kSum>, 1, &out);
      break;
  }
  return out;
}

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::kInt8:
      return MPI_INT8_T;
    case DType::kUint8:
      return MPI_UINT8_T;
    case DType::kInt32:
      return MPI_INT32_T;
    case DType::kUint32:
      return MPI_UINT32_T;
    case DType::kInt64:
      return MPI_INT64_T;
    case DType::kUint64:
      return MPI_UINT64_T;
    case DType::kFloat:
      return MPI_FLOAT;
    case DType::kDouble:
      return MPI_DOUBLE;
    case DType::kHalf:
    case DType::kBfloat16:
      break;
  }
  return MPI_UINT16_T;
}

class MpiBackend final : public Backend {
 public:
  explicit MpiBackend(World& world) : world_(world) {
    MPI_Comm* comm = static_cast<MPI_Comm*>(world.native_handle());
    if (comm == nullptr) throw std::runtime_error("backend mpi: the job was not started with MPI");
    MPI_Comm_dup(*comm, &comm_);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiBackend() override {
    for (auto& kv : user_ops_) MPI_Op_free(&kv.second);
    MPI_Comm_free(&comm_);
  }

  std::string name() const override { return "mpi"; }
  std::string algorithm(const CollArgs&) const override { return "library"; }
  bool supports(const CollectiveDef&) const override { return true; }

  void run(const CollArgs& a) override {
    const MPI_Datatype type = mpi_type(a.dtype);
    const int param = to_int(a.counts.param_count);
    const std::size_t es = dtype_size(a.dtype);
    switch (a.coll->kind) {
      case CollKind::kAllReduce:
        MPI_Allreduce(a.in_place ? MPI_IN_PLACE : a.send, a.recv, param, type, op(a), comm_);
        if (a.op == RedOp::kAvg) avg_finalize_cpu(a.dtype, a.recv, a.counts.recv_count, size_);
        break;
      case CollKind::kAllGather:
        if (a.in_place) {
          MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a.recv, param, type, comm_);
        } else {
          MPI_Allgather(a.send, param, type, a.recv, param, type, comm_);
        }
        break;
      case CollKind::kReduceScatter: {
        auto* out = static_cast<unsigned char*>(a.recv);
        MPI_Reduce_scatter_block(a.in_place ? MPI_IN_PLACE : a.send, out, param, type, op(a),
                                 comm_);
        // MPI leaves an in-place result at the start of the buffer; NCCL's convention (which the
        // harness checks) is the rank's own chunk. The move is part of the in-place collective.
        if (a.in_place && rank_ != 0 && param > 0) {
          std::memmove(out + static_cast<std::size_t>(rank_) * a.counts.param_count * es, out,
                       a.counts.param_count * es);
          out += static_cast<std::size_t>(rank_) * a.counts.param_count * es;
        }
        if (a.op == RedOp::kAvg) avg_finalize_cpu(a.dtype, out, a.counts.param_count, size_);
        break;
      }
      case CollKind::kBroadcast:
        if (rank_ == a.root && !a.in_place && param > 0) {
          std::memcpy(a.recv, a.send, a.counts.param_count * es);
        }
        MPI_Bcast(a.recv, param, type, a.root, comm_);
        break;
      case CollKind::kReduce: {
        const void* send = a.send;
        if (a.in_place && rank_ == a.root) send = MPI_IN_PLACE;
        MPI_Reduce(send, a.recv, param, type, op(a), a.root, comm_);
        if (a.op == RedOp::kAvg && rank_ == a.root) {
          avg_finalize_cpu(a.dtype, a.recv, a.counts.recv_count, size_);
        }
        break;
      }
      case CollKind::kAlltoall:
        MPI_Alltoall(a.in_place ? MPI_IN_PLACE : a.send, param, type, a.recv, param, type, comm_);
        break;
      case CollKind::kSendRecv: {
        const int next = (rank_ + 1) % size_;
        const int prev = (rank_ + size_ - 1) % size_;
        if (a.in_place) {
          MPI_Sendrecv_replace(a.recv, param, type, next, 0, prev, 0, comm_, MPI_STATUS_IGNORE);
        } else {
          MPI_Sendrecv(a.send, param, type, next, 0, a.recv, param, type, prev, 0, comm_,
                       MPI_STATUS_IGNORE);
        }
        break;
      }
      case CollKind::kGather: {
        const void* send = a.in_place && rank_ == a.root ? MPI_IN_PLACE : a.send;
        MPI_Gather(send, param, type, a.recv, param, type, a.root, comm_);
        break;
      }
      case CollKind::kScatter: {
        // In place (nccl-tests' convention) rank r's chunk lands at chunk r of the buffer, where
        // MPI leaves the root's own.
        auto* out = static_cast<unsigned char*>(a.recv);
        if (a.in_place) out += static_cast<std::size_t>(rank_) * a.counts.param_count * es;
        void* recv = a.in_place && rank_ == a.root ? MPI_IN_PLACE : out;
        MPI_Scatter(a.send, param, type, recv, param, type, a.root, comm_);
        break;
      }
      case CollKind::kAlltoallv:
        alltoallv(a, type, es);
        break;
      case CollKind::kHypercube:  // nccl-tests' exchange pattern, as MPI point-to-point steps
        run_schedule(a);
        break;
    }
  }

  void describe(nlohmann::json& meta) const override {
    meta["mpi_library"] = world_.library_version();
    int major = 0, minor = 0;
    MPI_Get_version(&major, &minor);
    meta["mpi_standard"] = std::to_string(major) + "." + std::to_string(minor);
  }

 private:
  static int to_int(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) {
      throw std::runtime_error("backend mpi: count " + std::to_string(n) +
                               " exceeds the MPI int count limit");
    }
    return static_cast<int>(n);
  }

  // MPI_Alltoallv with the counts and displacements of the collective's schedule (one step);
  // in place the input is staged first, since the layout is not symmetric (MPI_IN_PLACE needs it).
  void alltoallv(const CollArgs& a, MPI_Datatype type, std::size_t es) {
    const P2pSchedule& s = schedule_.get(a, rank_, size_);
    {
      const auto n = static_cast<std::size_t>(size_);
      for (auto* v : {&send_counts_, &send_displs_, &recv_counts_, &recv_displs_}) v->assign(n, 0);
      const auto me = static_cast<std::size_t>(rank_);
      send_counts_[me] = recv_counts_[me] = to_int(s.copy_bytes / es);
      send_displs_[me] = to_int(s.copy_src / es);
      recv_displs_[me] = to_int(s.copy_dst / es);
      for (const P2pStep& step : s.steps) {
        for (const P2pTransfer& t : step.sends) {
          send_counts_[static_cast<std::size_t>(t.peer)] = to_int(t.bytes / es);
          send_displs_[static_cast<std::size_t>(t.peer)] = to_int(t.offset / es);
        }
        for (const P2pTransfer& t : step.recvs) {
          recv_counts_[static_cast<std::size_t>(t.peer)] = to_int(t.bytes / es);
          recv_displs_[static_cast<std::size_t>(t.peer)] = to_int(t.offset / es);
        }
      }
    }
    const void* send = a.send;
    if (s.stage_input) {
      const std::size_t bytes = a.counts.send_count * es;
      if (stage_.size() < bytes) stage_.resize(bytes);
      if (bytes) std::memcpy(stage_.data(), a.send, bytes);
      send = stage_.data();
    }
    MPI_Alltoallv(send, send_counts_.data(), send_displs_.data(), type, a.recv, recv_counts_.data(),
                  recv_displs_.data(), type, comm_);
  }

  // The collective's point-to-point steps: each step's receives and sends posted, then waited for.
  void run_schedule(const CollArgs& a) {
    const P2pSchedule& s = schedule_.get(a, rank_, size_);
    const auto* send = static_cast<const unsigned char*>(a.send);
    auto* recv = static_cast<unsigned char*>(a.recv);
    if (s.copy_bytes != 0 && send + s.copy_src != recv + s.copy_dst) {
      std::memcpy(recv + s.copy_dst, send + s.copy_src, s.copy_bytes);
    }
    std::vector<MPI_Request> reqs;
    for (const P2pStep& step : s.steps) {
      reqs.clear();
      for (const P2pTransfer& t : step.recvs) {
        reqs.emplace_back();
        MPI_Irecv(recv + t.offset, to_int(t.bytes), MPI_BYTE, t.peer, 0, comm_, &reqs.back());
      }
      for (const P2pTransfer& t : step.sends) {
        reqs.emplace_back();
        MPI_Isend((t.from_recv ? recv : send) + t.offset, to_int(t.bytes), MPI_BYTE, t.peer, 0,
                  comm_, &reqs.back());
      }
      MPI_Waitall(static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
    }
  }

  MPI_Op op(const CollArgs& a) {
    if (a.dtype != DType::kHalf && a.dtype != DType::kBfloat16) {
      switch (a.op) {
        case RedOp::kProd:
          return MPI_PROD;
        case RedOp::kMin:
          return MPI_MIN;
        case RedOp::kMax:
          return MPI_MAX;
        case RedOp::kSum:
        case RedOp::kAvg:
          return MPI_SUM;
      }
    }
    const auto key = std::make_pair(a.dtype, a.op == RedOp::kAvg ? RedOp::kSum : a.op);
    auto it = user_ops_.find(key);
    if (it == user_ops_.end()) {
      const MPI_Op created = a.dtype == DType::kHalf ? make_user_op<DType::kHalf>(key.second)
                                                     : make_user_op<DType::kBfloat16>(key.second);
      it = user_ops_.emplace(key, created).first;
    }
    return it->second;
  }

  World& world_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::map<std::pair<DType, RedOp>, MPI_Op> user_ops_;
  ScheduleCache schedule_;  // alltoallv, hypercube
  // alltoallv's MPI arguments (O(n) to fill from the schedule; the storage is kept).
  std::vector<int> send_counts_, send_displs_, recv_counts_, recv_displs_;
  std::vector<unsigned char> stage_;
};

}  // namespace

std::unique_ptr<Backend> make_mpi_backend(World& world, const BackendOptions& opts) {
#if FB_HAVE_CUDA
  if (opts.device == DeviceKind::kCuda)
    return make_mpi_cuda_backend(std::make_unique<MpiBackend>(world));
#endif
  if (opts.device != DeviceKind::kCpu) {
    throw std::runtime_error("backend mpi: --device cuda is not available in this build");
  }
  return std::make_unique<MpiBackend>(world);
}

}  // namespace fb
