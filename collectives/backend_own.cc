#include "collectives/backend_own.h"

#include <set>
#include <stdexcept>

#include "collectives/algorithm.h"
#include "collectives/transport_host.h"
#include "collectives/transport_mpi.h"
#include "collectives/transport_thread.h"
#include "fb_config.h"

namespace fb {
namespace {

class OwnBackend final : public Backend {
 public:
  OwnBackend(std::unique_ptr<Communicator> comm, std::unique_ptr<Engine> engine, std::string algo,
             std::string transport)
      : comm_(std::move(comm)),
        engine_(std::move(engine)),
        algo_(std::move(algo)),
        transport_(std::move(transport)) {}

  std::string name() const override { return "own"; }
  std::string algorithm(const CollArgs& args) const override {
    return by_schedule(*args.coll) ? kP2pAlgoName : pick(args).name;
  }
  bool supports(const CollectiveDef& coll) const override {
    if (by_schedule(coll)) return algo_ == "auto";
    if (algo_ == "auto") return !algorithms_for(coll.kind).empty();
    return find_algorithm(coll.kind, algo_) != nullptr;
  }
  void run(const CollArgs& args) override {
    if (by_schedule(*args.coll)) {
      run_p2p_schedule(args, schedule_.get(args, comm_->rank(), comm_->size()), *comm_, *engine_);
      return;
    }
    pick(args).run(args, *comm_, *engine_);
  }
  void sync() override { engine_->sync(); }

  // Buffers come from shared windows when the ranks share a node, so the shm algorithm can reduce
  // straight from peers' buffers. The harness allocates the same sizes on every rank in the same
  // order, which the collective window allocation needs.
  void* alloc(std::size_t bytes) override {
    if (SharedMemory* shm = comm_->shared_memory()) {
      if (void* p = shm->alloc(bytes)) {
        shared_.insert(p);
        return p;
      }
    }
    return Backend::alloc(bytes);
  }
  void free(void* p) override {
    if (shared_.erase(p)) {
      comm_->shared_memory()->free(p);
    } else {
      Backend::free(p);
    }
  }

  void describe(nlohmann::json& meta) const override {
    meta["own_algo"] = algo_;
    meta["own_transport"] = transport_;
    meta["own_shared_memory"] = comm_->shared_memory() != nullptr;
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& r : auto_rules()) {
      rules.push_back({{"collective", r.collective},
                       {"min_ranks", r.min_ranks},
                       {"max_ranks", r.max_ranks},
                       {"min_bytes", r.min_bytes},
                       {"max_bytes", r.max_bytes},
                       {"algo", r.algo}});
    }
    meta["own_auto_table"] = rules;
  }

 private:
  // A collective given as point-to-point steps, with no algorithm of its own.
  static bool by_schedule(const CollectiveDef& coll) {
    return coll.p2p_schedule != nullptr && algorithms_for(coll.kind).empty();
  }

  // The harness repeats each size many times: resolve once per (collective, size).
  const AlgorithmDef& pick(const CollArgs& args) const {
    if (picked_ == nullptr || args.coll != picked_coll_ || args.counts.bytes != picked_bytes_) {
      picked_ = &resolve_algorithm(algo_, *args.coll, args.counts.bytes, *comm_);
      picked_coll_ = args.coll;
      picked_bytes_ = args.counts.bytes;
    }
    return *picked_;
  }

  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<Engine> engine_;
  std::string algo_;
  std::string transport_;
  std::set<void*> shared_;
  ScheduleCache schedule_;
  mutable const AlgorithmDef* picked_ = nullptr;
  mutable const CollectiveDef* picked_coll_ = nullptr;
  mutable std::size_t picked_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_own_backend_with(std::unique_ptr<Communicator> comm,
                                               std::unique_ptr<Engine> engine,
                                               const BackendOptions& opts,
                                               const std::string& transport) {
  if (opts.algo != "auto" && !algorithm_name_known(opts.algo)) {
    throw std::runtime_error("backend own: unknown algorithm '" + opts.algo +
                             "' (see --algo list)");
  }
  return std::make_unique<OwnBackend>(std::move(comm), std::move(engine), opts.algo, transport);
}

std::unique_ptr<Backend> make_own_backend(World& world, const BackendOptions& opts) {
  if (opts.device != DeviceKind::kCpu) {
    // The registry (backends.cc) sends GPU runs to make_own_cuda_backend in NCCL builds.
    throw std::runtime_error("backend own: --device cuda needs the NCCL transport (not built)");
  }
  // Ranks that are threads of one process (-g N) talk through shared memory.
  if (std::unique_ptr<Communicator> comm = world.take_thread_communicator()) {
    return make_own_backend_with(std::move(comm), make_host_engine(), opts, "threads");
  }
#if FB_HAVE_MPI
  if (void* comm = world.native_handle()) {
    return make_own_backend_with(make_mpi_communicator(comm), make_host_engine(), opts, "mpi");
  }
#endif
  if (world.size() != 1) throw std::runtime_error("backend own: no transport for this world");
  return make_own_backend_with(make_self_communicator(), make_host_engine(), opts, "self");
}

}  // namespace fb
