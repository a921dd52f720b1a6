#include "fabric_model/faults.h"

#include <cmath>
#include <string>
#include <unordered_set>

#include "fabric_model/routing.h"

namespace fb::model {

namespace {

// `n` distinct values in [0, total), uniform (Floyd's sampling), from a seeded counter.
std::vector<std::int64_t> sample(std::int64_t total, std::int64_t n, std::uint64_t seed) {
  std::unordered_set<std::int64_t> set;
  std::vector<std::int64_t> out;
  std::uint64_t ctr = 0;
  for (std::int64_t j = total - n; j < total; ++j) {
    const auto t =
        static_cast<std::int64_t>(mix64(seed ^ mix64(++ctr)) % static_cast<std::uint64_t>(j + 1));
    const std::int64_t v = set.count(t) != 0 ? j : t;
    set.insert(v);
    out.push_back(v);
  }
  return out;
}

}  // namespace

void FaultOptions::validate() const {
  if (failed_links < 0) throw ModelError("--failed-links must not be negative");
  if (failed_switches < 0) throw ModelError("--failed-switches must not be negative");
  if (!(slow_gpu_factor >= 1) || !std::isfinite(slow_gpu_factor))
    throw ModelError("--slow-gpu must be a finite factor >= 1 (2 = half speed)");
}

LinkFaults::LinkFaults(const ClosTopology& topo) : topo_(topo) {
  base_.assign(static_cast<std::size_t>(topo.tiers()) + 1, 0);
  for (int i = 1; i < topo.tiers(); ++i) {
    base_[static_cast<std::size_t>(i)] = per_plane_;
    per_plane_ += topo.links_above(i);
  }
  dead_.assign(static_cast<std::size_t>(per_plane_ * topo.planes()), 0);
}

std::int64_t LinkFaults::cables(const ClosTopology& topo) {
  std::int64_t n = 0;
  for (int i = 1; i < topo.tiers(); ++i) n += topo.links_above(i);
  return n * topo.planes();
}

std::int64_t LinkFaults::failable_switches(const ClosTopology& t) {
  std::int64_t n = 0;
  for (int i = 2; i <= t.tiers(); ++i) n += t.switches_at(i);
  return n * t.planes();
}

std::size_t LinkFaults::cable(int plane, int level, std::int64_t sw, std::int64_t port) const {
  return static_cast<std::size_t>(plane * per_plane_ + base_[static_cast<std::size_t>(level)] +
                                  sw * topo_.up(level) + port);
}

void LinkFaults::fail_cable(int plane, int level, std::int64_t sw, std::int64_t port) {
  if (level < 1 || level >= topo_.tiers() || plane < 0 || plane >= topo_.planes() || sw < 0 ||
      sw >= topo_.switches_at(level) || port < 0 || port >= topo_.up(level))
    throw ModelError("no such switch-to-switch link");
  std::uint8_t& d = dead_[cable(plane, level, sw, port)];
  if (d != 0) return;
  d = 1;
  ++dead_count_;
  const std::int64_t subtree = sw / topo_.replicas(level);
  const Gbps g = topo_.link_gbps_above(level);
  lost_gbps_[topo_.bundle_up(level, subtree)] += g;
  lost_gbps_[topo_.bundle_down(level, subtree)] += g;
}

void LinkFaults::fail_switch(int plane, int level, std::int64_t sw) {
  if (level < 2 || level > topo_.tiers() || sw < 0 || sw >= topo_.switches_at(level))
    throw ModelError("no such switch of level >= 2");
  if (level < topo_.tiers())
    for (std::int64_t j = 0; j < topo_.up(level); ++j) fail_cable(plane, level, sw, j);
  // Its children: level-(level-1) switches of its subtree with the same low replica digits,
  // reaching it through uplink b / replicas(level - 1) (+ each parallel link at the top).
  const std::int64_t a = sw / topo_.replicas(level), b = sw % topo_.replicas(level);
  const int c = level - 1;
  const std::int64_t rep = topo_.replicas(c);
  const std::int64_t parallel = level == topo_.tiers() ? topo_.top_parallel_links() : 1;
  for (std::int64_t q = 0; q < topo_.m(level); ++q) {
    const std::int64_t child = a * topo_.m(level) + q;
    if (child >= topo_.subtrees(c)) break;
    for (std::int64_t pl = 0; pl < parallel; ++pl)
      fail_cable(plane, c, child * rep + b % rep, b / rep + pl * topo_.parents(c));
  }
}

void LinkFaults::set_slow_gpu(std::int64_t gpu, double factor) {
  slow_host_ = topo_.host_of_gpu(gpu);
  slow_factor_ = factor;
}

void LinkFaults::apply(std::vector<double>& capacity, const std::vector<LinkId>& ids) const {
  std::unordered_map<LinkId, double> slow;
  if (slow_host_ >= 0 && slow_factor_ > 1) {
    const double keep = 1.0 - 1.0 / slow_factor_;
    for (int p = 0; p < topo_.planes(); ++p) {
      slow[topo_.host_up(p, slow_host_)] = keep * topo_.host_link_gbps();
      slow[topo_.host_down(p, slow_host_)] = keep * topo_.host_link_gbps();
    }
    slow[topo_.bundle_up(0, slow_host_)] = keep * topo_.host_link_gbps() * topo_.planes();
    slow[topo_.bundle_down(0, slow_host_)] = keep * topo_.host_link_gbps() * topo_.planes();
  }
  for (std::size_t l = 0; l < ids.size(); ++l) {
    auto it = lost_gbps_.find(ids[l]);
    if (it != lost_gbps_.end()) {
      capacity[l] -= it->second;
      if (capacity[l] <= 1e-9 * it->second) {
        std::string m = "the failures disconnect the fabric (";
        m += topo_.describe_string(ids[l]);
        m += " has no live link left)";
        throw ModelError(m);
      }
    }
    auto s = slow.find(ids[l]);
    if (s != slow.end()) capacity[l] -= s->second;
  }
}

std::shared_ptr<const LinkFaults> choose_faults(const ClosTopology& topo, const FaultOptions& o,
                                                std::uint64_t seed) {
  o.validate();
  auto f = std::make_shared<LinkFaults>(topo);
  const std::int64_t cables = LinkFaults::cables(topo);
  const std::int64_t switches = LinkFaults::failable_switches(topo);
  if (o.failed_links > cables)
    throw ModelError(std::to_string(o.failed_links) + " failed links but the fabric has " +
                     std::to_string(cables) + " switch-to-switch links");
  if (o.failed_switches > switches)
    throw ModelError(std::to_string(o.failed_switches) + " failed switches but the fabric has " +
                     std::to_string(switches) + " switches above the leaves");
  const std::uint64_t s = mix64(seed ^ 0x6661756c74730000ULL);  // "faults"
  for (std::int64_t c : sample(cables, o.failed_links, s)) {
    const std::int64_t per_plane = cables / topo.planes();
    const int plane = static_cast<int>(c / per_plane);
    std::int64_t x = c % per_plane;
    int level = 1;
    while (x >= topo.links_above(level)) x -= topo.links_above(level++);
    f->fail_cable(plane, level, x / topo.up(level), x % topo.up(level));
  }
  for (std::int64_t c : sample(switches, o.failed_switches, mix64(s + 1))) {
    const std::int64_t per_plane = switches / topo.planes();
    const int plane = static_cast<int>(c / per_plane);
    std::int64_t x = c % per_plane;
    int level = 2;
    while (x >= topo.switches_at(level)) x -= topo.switches_at(level++);
    f->fail_switch(plane, level, x);
  }
  if (o.slow_gpu_factor > 1)
    f->set_slow_gpu(
        static_cast<std::int64_t>(mix64(s + 2) % static_cast<std::uint64_t>(topo.gpus())),
        o.slow_gpu_factor);
  return f;
}

}  // namespace fb::model
