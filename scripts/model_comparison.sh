#!/usr/bin/env bash
# Fabric comparison, flow-level, 1 MiB / 64 MiB / 1 GiB all-reduce at 1k, 10k, 100k and 1M GPUs
# on InfiniBand (static D-mod-k routing, with and without SHARP-class in-network reduction),
# RoCEv2 with ECMP and RoCEv2 with adaptive routing. Aligned placement (rank order = rails):
# --algo auto, NCCL's own cost model and the flat-ring reference. Fragmented placement (scale-up
# domains scattered across the cluster): auto. Also a random permutation per GPU count
# and the Colossus-like preset at 100k. Writes JSON (fabricbench.model/1), the printed tables and
# the wall time of every run under results/model/.
#
# Usage: scripts/model_comparison.sh [path/to/fabricbench] [output dir]
set -euo pipefail
BIN=${1:-${FABRICBENCH:-build/fabricbench}}
OUT=${2:-results/model}
TOPO=${TOPO:-cluster_1m}
SEEDS=${SEEDS:-3}
GPUS=${GPUS:-1024,10240,100000,1048576}
FABRICS=infiniband_ndr,roce_ecmp,roce_adaptive
mkdir -p "$OUT"

run() {  # name, then fabricbench model arguments
  local name=$1
  shift
  local start end
  # fabricbench never overwrites an output file; this script owns its outputs, so replace them.
  rm -f "$OUT/$name.json" "$OUT/$name.txt"
  start=$(date +%s.%N)
  "$BIN" model "$@" --json "$OUT/$name.json" | tee "$OUT/$name.txt"
  end=$(date +%s.%N)
  printf 'command: fabricbench model %s\nscript wall time: %.1f s\n' "$*" \
    "$(echo "$end - $start" | bc -l)" | tee -a "$OUT/$name.txt"
}

{
  echo "fabricbench model comparison"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  echo "machine: $(nproc) cores, $(uname -srm)"
} > "$OUT/README.txt"

total_start=$(date +%s.%N)
# Aligned placement: --algo auto (the fastest applicable algorithm per point, as NCCL's tuner
# picks), NCCL's own cost model, and the flat ring as a reference (scripts/run.sh runs these).
AUTO_FABRICS=infiniband_ndr,infiniband_ndr_sharp,roce_ecmp,roce_adaptive
aligned=(--topology "$TOPO" --fabric "$AUTO_FABRICS" --collective all_reduce --gpus "$GPUS"
  --sizes 1M,64M,1G --placement aligned)
run allreduce_aligned "${aligned[@]}" --algo auto --seeds "$SEEDS"
run allreduce_nccl "${aligned[@]}" --method nccl --algo auto
run allreduce_ring_reference "${aligned[@]}" --algo ring --seeds "$SEEDS"
# Fragmented placement (scale-up domains scattered over the cluster, seeded): --algo auto, where
# static routing (D-mod-k) and ECMP hashing collide and adaptive routing does not.
run allreduce_fragmented --topology "$TOPO" --fabric "$AUTO_FABRICS" --collective all_reduce \
  --algo auto --gpus "$GPUS" --sizes 1M,64M,1G --placement fragmented --seeds "$SEEDS"
run permutation --topology "$TOPO" --fabric "$FABRICS" --traffic permutation --gpus "$GPUS" \
  --sizes 64M --seeds "$SEEDS"
run colossus_like_100k --topology colossus_like --fabric "$AUTO_FABRICS" --collective all_reduce \
  --algo auto --sizes 1M,64M,1G --placement fragmented --seeds "$SEEDS"
# The analytic path (no flow solver: hop latencies and link rates only) at 1M GPUs, auto.
run analytic_1m --topology "$TOPO" --fabric "$AUTO_FABRICS" --collective all_reduce --algo auto \
  --gpus 1048576 --sizes 1M,64M,1G --analytic
total_end=$(date +%s.%N)
printf 'total wall time: %.1f s\n' "$(echo "$total_end - $total_start" | bc -l)" \
  | tee -a "$OUT/README.txt"
