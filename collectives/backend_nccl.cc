#include "collectives/backend_nccl.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "collectives/backend_device.h"
#include "collectives/nccl_util.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_device.h"
#include "kernels/cuda_timer.h"
#include "kernels/reduce_cuda.h"

namespace fb {

namespace {

class NcclBackend final : public DeviceBufferBackend {
 public:
  NcclBackend(World& world, const BackendOptions& opts) : opts_(opts) {
    if (opts.device != DeviceKind::kCuda) {
      throw std::runtime_error(
          "backend nccl needs a GPU (this run is in CPU mode; see "
          "--device)");
    }
    const GpuProbe probe = probe_gpus();
    if (probe.count == 0) throw std::runtime_error("backend nccl: no GPU: " + probe.reason);
    // One GPU per rank, whether ranks are processes (mpirun) or threads of one process (-g N):
    // select_gpu holds for the calling thread, which runs this rank's every CUDA call.
    dev_ = gpu_for_rank(world.local_rank(), probe.count, opts.first_device);
    if (dev_ < 0) {
      throw std::runtime_error(
          "backend nccl: NCCL_TESTS_DEVICE=" + std::to_string(opts.first_device) +
          " + local rank " + std::to_string(world.local_rank()) + " is not a visible GPU");
    }
    select_gpu(dev_);
    const GpuInfo info = gpu_info(dev_);
    // Collective over the world: every rank's GPU for the metadata (describe() runs on one rank).
    gpus_ = world.allgather_string(info.name + "|" + info.pci_bus_id + "|" + std::to_string(dev_));
    // -y 1: the default (null) stream, as nccl-tests' stream_null.
    if (!opts.stream_null) {
      FB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    }
    comm_ = nccl_comm_from_world(world, stream_);
    rank_ = world.rank();
    size_ = world.size();
  }

  ~NcclBackend() override {
    // Before the stream goes: finishes in-flight work (after an error it was aborted already).
    comm_.close();
    if (scratch_ != nullptr) (void)cudaFree(scratch_);
    if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "nccl"; }
  std::string algorithm(const CollArgs&) const override { return "nccl"; }
  bool supports(const CollectiveDef&) const override { return true; }

  void run(const CollArgs& a) override {
    guarded([&] {
      prepare(a);
      enqueue(a);
    });
  }

  void sync() override {
    guarded([&] { wait_stream(); });
  }

  std::vector<double> time_iterations(const CollArgs& a, int iters,
                                      CallObserver* observer) override {
    std::vector<double> out;
    guarded([&] {
      prepare(a);
      if (opts_.cuda_graph) {
        out = time_graph(a, iters, observer);
      } else {
        out = time_stream(a, iters, observer);
      }
    });
    return out;
  }

  void describe(nlohmann::json& meta) const override {
    meta["nccl_version"] = nccl_version_string();
    meta["nccl_header_version"] = std::to_string(NCCL_MAJOR) + "." + std::to_string(NCCL_MINOR) +
                                  "." + std::to_string(NCCL_PATCH);
    meta["cuda_graph"] = opts_.cuda_graph;
    meta["blocking"] = opts_.blocking;
    meta["stream_null"] = opts_.stream_null;
    meta["avg"] = "ncclSum, then one division kernel (exact sum, one rounding)";
    meta["alltoall"] = "grouped ncclSend/ncclRecv; in place through a scratch copy";
    meta["p2p_collectives"] =
        "gather, scatter, alltoallv, hypercube: one ncclSend/ncclRecv group per step of the "
        "collective's schedule; alltoallv in place through a scratch copy";
    nlohmann::json gpus = nlohmann::json::array();
    for (std::size_t r = 0; r < gpus_.size(); ++r) {
      const std::string& s = gpus_[r];
      const std::size_t p1 = s.find('|');
      const std::size_t p2 = s.find('|', p1 + 1);
      gpus.push_back({{"rank", r},
                      {"gpu", s.substr(0, p1)},
                      {"pci_bus_id", s.substr(p1 + 1, p2 - p1 - 1)},
                      {"device_index", std::stoi(s.substr(p2 + 1))}});
    }
    meta["gpus"] = gpus;
  }

 private:
  // Runs f; on any failure aborts the communicator (so peers fail instead of hanging in the
  // next call) and rethrows.
  template <typename F>
  void guarded(F&& f) {
    if (!comm_) throw std::runtime_error("backend nccl: communicator was aborted");
    try {
      f();
    } catch (...) {
      if (capturing_) {
        cudaGraph_t g = nullptr;
        (void)cudaStreamEndCapture(stream_, &g);
        if (g) (void)cudaGraphDestroy(g);
        capturing_ = false;
      }
      comm_.abort();
      throw;
    }
  }

  // Scratch for in-place alltoall and sendrecv, allocated before any capture or timing.
  void prepare(const CollArgs& a) {
    if (!a.in_place) return;
    const bool staged = a.coll->p2p_schedule != nullptr ? schedule_.get(a, rank_, size_).stage_input
                                                        : a.coll->kind == CollKind::kAlltoall ||
                                                              a.coll->kind == CollKind::kSendRecv;
    if (!staged) return;
    const std::size_t bytes = a.counts.send_count * dtype_size(a.dtype);
    if (bytes <= scratch_bytes_) return;
    if (scratch_ != nullptr) {
      FB_CUDA_CHECK(cudaStreamSynchronize(stream_));
      FB_CUDA_CHECK(cudaFree(scratch_));
      scratch_ = nullptr;
    }
    FB_CUDA_CHECK(cudaMalloc(&scratch_, bytes));
    scratch_bytes_ = bytes;
  }

  void enqueue(const CollArgs& a) {
    const ncclDataType_t type = nccl_type(a.dtype);
    const std::size_t es = dtype_size(a.dtype);
    const std::size_t n = a.counts.param_count;
    auto* recv = static_cast<unsigned char*>(a.recv);
    const ncclRedOp_t op = nccl_op(a.op);
    if (a.coll->p2p_schedule != nullptr) {
      enqueue_schedule(a);
      FB_CUDA_CHECK(cudaGetLastError());
      return;
    }
    switch (a.coll->kind) {
      case CollKind::kAllReduce:
        FB_NCCL_CHECK(ncclAllReduce(a.send, recv, n, type, op, comm_.get(), stream_));
        if (a.op == RedOp::kAvg) avg_finalize_cuda(a.dtype, recv, n, size_, stream_);
        break;
      case CollKind::kAllGather:
        FB_NCCL_CHECK(ncclAllGather(a.send, recv, n, type, comm_.get(), stream_));
        break;
      case CollKind::kReduceScatter: {
        // In place, NCCL's convention: the result is this rank's chunk of the input buffer.
        unsigned char* out = a.in_place ? recv + static_cast<std::size_t>(rank_) * n * es : recv;
        FB_NCCL_CHECK(ncclReduceScatter(a.send, out, n, type, op, comm_.get(), stream_));
        if (a.op == RedOp::kAvg) avg_finalize_cuda(a.dtype, out, n, size_, stream_);
        break;
      }
      case CollKind::kBroadcast:
        FB_NCCL_CHECK(ncclBroadcast(a.send, recv, n, type, a.root, comm_.get(), stream_));
        break;
      case CollKind::kReduce:
        FB_NCCL_CHECK(ncclReduce(a.send, recv, n, type, op, a.root, comm_.get(), stream_));
        if (a.op == RedOp::kAvg && rank_ == a.root) {
          avg_finalize_cuda(a.dtype, recv, n, size_, stream_);
        }
        break;
      case CollKind::kAlltoall: {
        // Sends must not read what receives overwrite: in place, send from a copy.
        const unsigned char* send = static_cast<const unsigned char*>(a.send);
        if (a.in_place) send = stage_input(a);
        FB_NCCL_CHECK(ncclGroupStart());
        for (int p = 0; p < size_; ++p) {
          const std::size_t off = static_cast<std::size_t>(p) * n * es;
          FB_NCCL_CHECK(ncclSend(send + off, n, type, p, comm_.get(), stream_));
          FB_NCCL_CHECK(ncclRecv(recv + off, n, type, p, comm_.get(), stream_));
        }
        FB_NCCL_CHECK(ncclGroupEnd());
        break;
      }
      case CollKind::kSendRecv: {
        const void* send = a.in_place ? stage_input(a) : a.send;
        FB_NCCL_CHECK(ncclGroupStart());
        FB_NCCL_CHECK(ncclSend(send, n, type, (rank_ + 1) % size_, comm_.get(), stream_));
        FB_NCCL_CHECK(ncclRecv(recv, n, type, (rank_ + size_ - 1) % size_, comm_.get(), stream_));
        FB_NCCL_CHECK(ncclGroupEnd());
        break;
      }
      case CollKind::kGather:
      case CollKind::kScatter:
      case CollKind::kAlltoallv:
      case CollKind::kHypercube:
        break;  // their p2p_schedule, above
    }
    FB_CUDA_CHECK(cudaGetLastError());
  }

  // A collective given as point-to-point steps (gather, scatter, alltoallv, hypercube): each step
  // one group of ncclSend/ncclRecv, as nccl-tests runs them.
  void enqueue_schedule(const CollArgs& a) {
    const P2pSchedule& s = schedule_.get(a, rank_, size_);
    const auto* send = static_cast<const unsigned char*>(a.send);
    auto* recv = static_cast<unsigned char*>(a.recv);
    if (s.stage_input) send = stage_input(a);
    if (s.copy_bytes != 0 && send + s.copy_src != recv + s.copy_dst) {
      FB_CUDA_CHECK(cudaMemcpyAsync(recv + s.copy_dst, send + s.copy_src, s.copy_bytes,
                                    cudaMemcpyDeviceToDevice, stream_));
    }
    for (const P2pStep& step : s.steps) {
      FB_NCCL_CHECK(ncclGroupStart());
      for (const P2pTransfer& t : step.sends) {
        FB_NCCL_CHECK(ncclSend((t.from_recv ? recv : send) + t.offset, t.bytes, ncclUint8, t.peer,
                               comm_.get(), stream_));
      }
      for (const P2pTransfer& t : step.recvs) {
        FB_NCCL_CHECK(ncclRecv(recv + t.offset, t.bytes, ncclUint8, t.peer, comm_.get(), stream_));
      }
      FB_NCCL_CHECK(ncclGroupEnd());
    }
  }

  const unsigned char* stage_input(const CollArgs& a) {
    const std::size_t bytes = a.counts.send_count * dtype_size(a.dtype);
    FB_CUDA_CHECK(cudaMemcpyAsync(scratch_, a.send, bytes, cudaMemcpyDeviceToDevice, stream_));
    return static_cast<const unsigned char*>(scratch_);
  }

  // avg is a sum here, finished by avg_finalize_cuda (see describe()).
  static ncclRedOp_t nccl_op(RedOp op) {
    switch (op) {
      case RedOp::kProd:
        return ncclProd;
      case RedOp::kMin:
        return ncclMin;
      case RedOp::kMax:
        return ncclMax;
      case RedOp::kSum:
      case RedOp::kAvg:
        break;
    }
    return ncclSum;
  }

  // Waits for the stream while watching the communicator: an asynchronous NCCL error (a peer
  // died, a network failure) ends the wait with an error instead of a hang.
  void wait_stream() {
    for (;;) {
      const cudaError_t e = cudaStreamQuery(stream_);
      if (e == cudaSuccess) return;
      if (e != cudaErrorNotReady) throw_cuda_error(e, "cudaStreamQuery", __FILE__, __LINE__);
      ncclResult_t async = ncclSuccess;
      FB_NCCL_CHECK(ncclCommGetAsyncError(comm_.get(), &async));
      if (async != ncclSuccess && async != ncclInProgress) {
        throw_nccl_error(async, "ncclCommGetAsyncError", __FILE__, __LINE__);
      }
      std::this_thread::yield();
    }
  }

  // -z 0: every call enqueued back to back, an event between calls, one wait at the end (the
  // pipeline nccl-tests times). -z 1: wait for each call before the next.
  std::vector<double> time_stream(const CollArgs& a, int iters, CallObserver* observer) {
    std::vector<CudaEventTimer> timers(static_cast<std::size_t>(iters));
    if (opts_.blocking) {
      for (auto& t : timers) {
        if (observer) observer->begin_call();
        t.start(stream_);
        enqueue(a);
        t.stop(stream_);
        wait_stream();
        if (observer) observer->end_call();
      }
    } else {
      if (observer) observer->begin_call();
      for (auto& t : timers) {
        t.start(stream_);
        enqueue(a);
        t.stop(stream_);
      }
      wait_stream();
      if (observer) observer->end_call();
    }
    std::vector<double> out;
    out.reserve(timers.size());
    for (auto& t : timers) out.push_back(t.seconds());
    return out;
  }

  // -G: the `iters` calls captured once into a CUDA graph and launched as one; every iteration
  // gets the mean time (a graph has no per-call events).
  std::vector<double> time_graph(const CollArgs& a, int iters, CallObserver* observer) {
    cudaGraph_t graph = nullptr;
    FB_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal));
    capturing_ = true;
    for (int i = 0; i < iters; ++i) enqueue(a);
    capturing_ = false;
    FB_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    (void)cudaGraphDestroy(graph);
    if (e != cudaSuccess) throw_cuda_error(e, "cudaGraphInstantiate", __FILE__, __LINE__);
    double seconds = 0;
    try {
      CudaEventTimer t;
      if (observer) observer->begin_call();
      t.start(stream_);
      FB_CUDA_CHECK(cudaGraphLaunch(exec, stream_));
      t.stop(stream_);
      wait_stream();
      if (observer) observer->end_call();
      seconds = t.seconds();
    } catch (...) {
      (void)cudaGraphExecDestroy(exec);
      throw;
    }
    (void)cudaGraphExecDestroy(exec);
    return std::vector<double>(static_cast<std::size_t>(iters), seconds / iters);
  }

  BackendOptions opts_;
  int dev_ = 0;
  int rank_ = 0, size_ = 1;
  std::vector<std::string> gpus_;  // "name|pci bus id|device index" per rank
  cudaStream_t stream_ = nullptr;
  NcclComm comm_;  // closed in the destructor, before the stream is destroyed
  void* scratch_ = nullptr;
  std::size_t scratch_bytes_ = 0;
  bool capturing_ = false;
  ScheduleCache schedule_;
};

}  // namespace

std::unique_ptr<Backend> make_nccl_backend(World& world, const BackendOptions& opts) {
  return std::make_unique<NcclBackend>(world, opts);
}

}  // namespace fb
