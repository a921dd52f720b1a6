// The reference for the harness's own overhead: a bare MPI_Allreduce loop (float sum, out of
// place), set up as fabricbench all_reduce --backend mpi is (MPI_THREAD_MULTIPLE, a duplicated
// communicator, page-aligned buffers filled by the same generator and seed, -w warm-up calls, a
// barrier, then the -n calls between two clock reads; each rank bound to one CPU). Prints one line
// per size: "bytes time_us" with the mean over ranks of each rank's time per call, as fabricbench
// -a 1. Usage: mpirun -np 2 bare_mpi_allreduce -b 8 -e 64K -f 2 -n 20 -w 5 [--single] (--single:
// MPI_THREAD_SINGLE, to see what the thread level costs).
#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "collectives/collective.h"
#include "harness/options.h"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Args {
  std::size_t min_bytes = 8, max_bytes = 64 * 1024;
  double factor = 2;
  int iters = 20, warmup = 5;
  bool single = false;
};

// -b/-e take fabricbench's size syntax (K/M/G suffixes) through its parser.
bool parse(int argc, char** argv, Args* a) {
  std::vector<std::string> fb_args{"all_reduce"};
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--single") {
      a->single = true;
    } else {
      fb_args.push_back(s);
    }
  }
  const fb::ParseOutcome p = fb::parse_run_options(fb_args);
  if (!p.options) {
    std::fprintf(stderr, "bare_mpi_allreduce: %s\n", p.output.c_str());
    return false;
  }
  a->min_bytes = p.options->min_bytes;
  a->max_bytes = p.options->max_bytes;
  a->factor = p.options->step_factor;
  a->iters = p.options->iters;
  a->warmup = p.options->warmup_iters;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, &a)) return 2;
  int level = 0;
  MPI_Init_thread(&argc, &argv, a.single ? MPI_THREAD_SINGLE : MPI_THREAD_MULTIPLE, &level);
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  int rank = 0, nranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &nranks);
  // One CPU per local rank, as fabricbench binds (harness/cpu_bind_*.cc: core local_rank % cores;
  // on a machine without SMT that is CPU local_rank % CPUs).
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_rank = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_free(&node);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(local_rank % static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), &set);
  sched_setaffinity(0, sizeof set, &set);
  const fb::CollectiveDef& coll = *fb::find_collective("all_reduce");
  const std::size_t rounded = (a.max_bytes + 4095) / 4096 * 4096;
  auto* send = static_cast<float*>(std::aligned_alloc(4096, rounded));
  auto* recv = static_cast<float*>(std::aligned_alloc(4096, rounded));
  std::memset(send, 0, rounded);
  std::memset(recv, 0, rounded);
  for (std::size_t bytes = a.min_bytes; bytes <= a.max_bytes;
       bytes = static_cast<std::size_t>(static_cast<double>(bytes) * a.factor)) {
    fb::DataContext ctx;
    ctx.rank = rank;
    ctx.nranks = nranks;
    ctx.seed = fb::RunOptions().seed;
    ctx.counts = coll.counts(bytes, sizeof(float), nranks);
    coll.fill_input(ctx, send);
    const int count = static_cast<int>(ctx.counts.param_count);
    for (int i = 0; i < a.warmup; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm);
    MPI_Barrier(comm);
    const double t0 = now_s();
    for (int i = 0; i < a.iters; ++i) MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm);
    const double t1 = now_s();
    double mine = (t1 - t0) / a.iters, sum = 0;
    MPI_Allreduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, comm);
    if (rank == 0) std::printf("%zu %.4f\n", ctx.counts.bytes, sum / nranks * 1e6);
  }
  std::free(send);
  std::free(recv);
  MPI_Comm_free(&comm);
  MPI_Finalize();
  return 0;
}
