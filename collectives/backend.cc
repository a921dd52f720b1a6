#include "collectives/backend.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

namespace fb {

const P2pSchedule& ScheduleCache::get(const CollArgs& args, int rank, int nranks) {
  const CollArgs& k = key_;
  if (valid_ && k.coll == args.coll && k.dtype == args.dtype && k.root == args.root &&
      k.in_place == args.in_place && k.counts.send_count == args.counts.send_count &&
      k.counts.recv_count == args.counts.recv_count &&
      k.counts.param_count == args.counts.param_count && rank_ == rank && nranks_ == nranks) {
    return schedule_;
  }
  DataContext ctx;
  ctx.dtype = args.dtype;
  ctx.op = args.op;
  ctx.root = args.root;
  ctx.rank = rank;
  ctx.nranks = nranks;
  ctx.counts = args.counts;
  ctx.in_place = args.in_place;
  schedule_ = P2pSchedule();
  args.coll->p2p_schedule(ctx, &schedule_);
  key_ = args;
  rank_ = rank;
  nranks_ = nranks;
  valid_ = true;
  return schedule_;
}

std::vector<double> Backend::time_iterations(const CollArgs& args, int iters,
                                             CallObserver* observer) {
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(iters));
  for (int i = 0; i < iters; ++i) {
    if (observer) observer->begin_call();
    const auto t0 = std::chrono::steady_clock::now();
    run(args);
    sync();
    const auto t1 = std::chrono::steady_clock::now();
    if (observer) observer->end_call();
    out.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  return out;
}

void* Backend::alloc(std::size_t bytes) {
  // 4 KiB alignment: page-aligned buffers keep vector loads aligned for every dtype.
  const std::size_t rounded = (bytes + 4095) / 4096 * 4096;
  void* p = std::aligned_alloc(4096, rounded == 0 ? 4096 : rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void Backend::free(void* p) { std::free(p); }

void Backend::copy_to_host(void* host, const void* buf, std::size_t bytes) {
  if (bytes) std::memcpy(host, buf, bytes);
}

void Backend::copy_from_host(void* buf, const void* host, std::size_t bytes) {
  if (bytes) std::memcpy(buf, host, bytes);
}

}  // namespace fb
