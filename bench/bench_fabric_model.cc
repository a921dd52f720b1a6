// Fabric model performance targets (issue 4): on the 1M-GPU preset a flow-level evaluation of
// one hierarchical all-reduce step and of a random permutation finish in < 60 s and < 8 GiB on a
// 2-core machine; the analytic path takes < 1 ms per point. Counters: wall_s, peak_rss_mib.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>

#include "fabric_model/model.h"

namespace {

namespace fm = fb::model;

double peak_rss_mib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}

void run(benchmark::State& state, const char* fabric, fm::Collective c, const char* a,
         bool analytic) {
  const fm::ClusterConfig topo = fm::load_cluster_config("cluster_1m");
  const fm::FabricProfile fab = fm::load_fabric_profile(fabric);
  fm::EvalOptions o;
  o.collective = c;
  o.algo = a;
  o.bytes = std::uint64_t{1} << 30;
  o.analytic = analytic;
  double wall = 0, flows = 0, thru = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const fm::ModelResult r = fm::evaluate(topo, fab, o);
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    flows = static_cast<double>(r.flows);
    thru = r.throughput_fraction;
    benchmark::DoNotOptimize(r.time_us);
  }
  state.counters["wall_s"] = wall;
  state.counters["peak_rss_mib"] = peak_rss_mib();
  state.counters["flows"] = flows;
  state.counters["throughput_fraction"] = thru;
  state.counters["gpus"] = static_cast<double>(topo.gpus);
}

void BM_Analytic1MHier(benchmark::State& s) {
  run(s, "roce_ecmp", fm::Collective::kAllReduce, "hier", true);
}
void BM_Analytic1MRing(benchmark::State& s) {
  run(s, "infiniband_ndr", fm::Collective::kAllReduce, "ring", true);
}
// One hierarchical all-reduce: its inter-domain step is one flow set (every step identical).
void BM_Flow1MHierEcmp(benchmark::State& s) {
  run(s, "roce_ecmp", fm::Collective::kAllReduce, "hier", false);
}
void BM_Flow1MHierAdaptive(benchmark::State& s) {
  run(s, "roce_adaptive", fm::Collective::kAllReduce, "hier", false);
}
void BM_Flow1MPermutationEcmp(benchmark::State& s) {
  run(s, "roce_ecmp", fm::Collective::kPermutation, "permutation", false);
}
void BM_Flow1MPermutationStatic(benchmark::State& s) {
  run(s, "infiniband_ndr", fm::Collective::kPermutation, "permutation", false);
}

BENCHMARK(BM_Analytic1MHier)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Analytic1MRing)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Flow1MHierEcmp)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Flow1MHierAdaptive)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Flow1MPermutationEcmp)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Flow1MPermutationStatic)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
