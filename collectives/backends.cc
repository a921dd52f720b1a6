// The backend registry: one line per backend. A backend compiled out keeps its line, with the
// reason, so --help and errors can say why it is missing.
#include "collectives/backend.h"
#include "collectives/backend_mpi.h"
#include "collectives/backend_nccl.h"
#include "collectives/backend_own.h"
#include "collectives/backend_own_cuda.h"
#include "fb_config.h"

namespace fb {
namespace {

// --backend own: host buffers through make_own_backend; GPU buffers through the NCCL transport
// and the CUDA engine where built.
std::unique_ptr<Backend> make_own(World& world, const BackendOptions& opts) {
#if FB_HAVE_NCCL
  if (opts.device != DeviceKind::kCpu) return make_own_cuda_backend(world, opts);
#endif
  return make_own_backend(world, opts);
}

}  // namespace

const std::vector<BackendDef>& all_backends() {
  static const std::vector<BackendDef> kAll = {
#if FB_HAVE_MPI
    {"mpi", "the MPI library's collectives", &make_mpi_backend, ""},
#else
    {"mpi", "the MPI library's collectives", nullptr, "built without MPI (WITH_MPI=OFF)"},
#endif
#if FB_HAVE_NCCL
    {"nccl", "NCCL's collectives on GPU buffers", &make_nccl_backend, ""},
#else
    {"nccl", "NCCL's collectives on GPU buffers", nullptr, "built without NCCL (WITH_NCCL=OFF)"},
#endif
    {"own", "the suite's own algorithms (--algo NAME|auto|list)", &make_own, ""},
  };
  return kAll;
}

const BackendDef* find_backend(std::string_view name) {
  for (const auto& def : all_backends()) {
    if (name == def.name) return &def;
  }
  return nullptr;
}

}  // namespace fb
