#!/usr/bin/env bash
# The main job: install dependencies, build, measure all_reduce on this machine (GPU when one is
# present, CPU fallback otherwise), calibrate the model on it, run the fabric comparison
# (InfiniBand vs RoCEv2 ECMP vs adaptive at 1k-1M GPUs) and publish tables and plots under
# results/. Env: BUILD_DIR (build), NP (2), REPEATS (measured sweeps per backend, 3),
# MAXBYTES (256M), STEPFACTOR (1.41421356: two sizes per doubling), KEEP_HEAP (1: measure with
# --keep-heap, see README), SKIP_MODEL=1 (reuse results/model/*.json), MODEL_FULL=1 (the whole
# study of scripts/model_comparison.sh instead of its first comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
step() { printf '== [%3d s] %s\n' $((SECONDS - t0)) "$*"; }

bash scripts/bootstrap.sh
BUILD_DIR=${BUILD_DIR:-build}
step "build fabricbench ($BUILD_DIR; the test suite is built by scripts/test.sh)"
cuda_flags=()
# No GPU here: skip compiling CUDA kernels (minutes on 2 cores); scripts/test.sh still builds them.
if ! nvidia-smi -L >/dev/null 2>&1; then cuda_flags=(-DWITH_CUDA=OFF); fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_flags[@]}" >/dev/null
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}" fabricbench | grep -E '^(FAILED|ninja: error)|error:' \
  || true
test -x "$BUILD_DIR/fabricbench" || { echo "run.sh: build failed"; exit 1; }
FB=$BUILD_DIR/fabricbench

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
NP=${NP:-2}
REPEATS=${REPEATS:-3}
# Sizes: 8 B to 256 MiB, a factor sqrt(2) apart. The calibration's leave-one-size-out check
# predicts each size from its neighbours; a factor 2 apart they straddle cache transitions that
# sqrt(2) resolves, and sizes to 256 MiB put several points in the DRAM-bound regime, where the
# model extrapolates from (with 64 MiB the largest size had a single neighbour in it).
MAXBYTES=${MAXBYTES:-256M}
STEPFACTOR=${STEPFACTOR:-1.41421356}
# Without it Open MPI's all_reduce page-faults a fresh temporary buffer on every call from 32 MiB
# up (glibc mmap threshold): a step no size-to-size model can predict. The step is the allocator,
# not the collective; the calibration models the collective.
heap=()
if [ "${KEEP_HEAP:-1}" = 1 ]; then heap=(--keep-heap); fi
host=$(hostname -s)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p results/raw
# Earlier runs' files are kept but moved aside: every file in results/raw counts as a repeat.
if compgen -G "results/raw/*.json" >/dev/null; then
  mkdir -p results/raw/previous
  mv results/raw/*.json results/raw/previous/
  mv results/raw/*.txt results/raw/previous/ 2>/dev/null || true
  step "moved earlier measurements to results/raw/previous/"
fi

backends=(mpi)
# The suite's own algorithms, when this build has them: ring all_reduce over MPI p2p.
if "$FB" --help | grep -q '^  own:'; then backends+=(own); fi
# Interleave backends across repeats so slow phases of a shared machine hit both alike.
n=0
total=$((REPEATS * ${#backends[@]}))
for ((r = 1; r <= REPEATS; r++)); do
  for b in "${backends[@]}"; do
    n=$((n + 1))
    extra=()
    tag=$b
    if [ "$b" = own ]; then
      extra=(--algo ring)
      tag=own-ring
    fi
    out=results/raw/all_reduce-${tag}-${host}-np${NP}-${stamp}-r${r}.json
    step "measure $n/$total: mpirun -np $NP fabricbench all_reduce --backend $b ${extra[*]} -b 8 -e $MAXBYTES -f $STEPFACTOR ${heap[*]} --json $out"
    bash scripts/mpirun.sh -np "$NP" "$FB" all_reduce --backend "$b" "${extra[@]}" -b 8 \
      -e "$MAXBYTES" -f "$STEPFACTOR" "${heap[@]}" --json "$out" >"${out%.json}.txt"
    grep -E '^# (Out of bounds|Avg bus|Peak bus)' "${out%.json}.txt" | sed 's/^/   /'
  done
done

step "calibrate: fabricbench calibrate results/raw/*.json --out results/calibration.json"
cal_rc=0
"$FB" calibrate results/raw/*.json --out results/calibration.json --force || cal_rc=$?
if [ "$cal_rc" -eq 4 ]; then
  echo "   (some fits were refused, reasons above; the tables show them)"
elif [ "$cal_rc" -ne 0 ]; then
  exit "$cal_rc"
fi

if [ "${MODEL_FULL:-0}" = 1 ]; then
  step "model: scripts/model_comparison.sh (full study: aligned + fragmented placement, permutation, colossus-like, analytic; ~10 min on a quiet 2-core machine, 31 min under load)"
  bash scripts/model_comparison.sh "$FB" results/model | grep -E '^(command:|script wall)' \
    | sed 's/^/   /'
elif [ "${SKIP_MODEL:-0}" != 1 ]; then
  # The comparison of the question (the first runs of scripts/model_comparison.sh, same commands
  # and output files): --algo auto (every algorithm that applies, the fastest reported, as NCCL's
  # tuner picks), NCCL's own cost model beside it, and the flat ring as a labelled reference.
  # The rest of that study (fragmented placement, permutation, ...) is published from its
  # committed outputs in results/model/ (MODEL_FULL=1 reruns them).
  mkdir -p results/model
  model_args=(--topology cluster_1m --fabric infiniband_ndr,infiniband_ndr_sharp,roce_ecmp,roce_adaptive
    --collective all_reduce --gpus 1024,10240,100000,1048576 --sizes 1M,64M,1G --placement aligned)
  model_run() {  # name, description, then extra fabricbench model arguments
    local name=$1 what=$2
    shift 2
    step "model: $what"
    rm -f "results/model/$name.json"
    local model_t0=$SECONDS
    "$FB" model "${model_args[@]}" "$@" --json "results/model/$name.json" >"results/model/$name.txt"
    echo "   $(grep '^wall time' "results/model/$name.txt") ($((SECONDS - model_t0)) s)"
  }
  model_run allreduce_aligned "IB (+SHARP) vs RoCEv2 ECMP vs adaptive, --algo auto, 1M/64M/1G, 1k-1M GPUs (flow-level)" \
    --algo auto --seeds 3
  model_run allreduce_nccl "the same points with NCCL's own cost model (--method nccl)" \
    --method nccl --algo auto
  model_run allreduce_ring_reference "flat ring over every GPU, the reference NCCL does not run at scale (flow-level)" \
    --algo ring --seeds 3
fi

step "validate: fabricbench validate tests/fabric_model/data/nccl_tests/*.txt --out results (public nccl-tests logs, leave one log out)"
"$FB" validate tests/fabric_model/data/nccl_tests/*.txt --out results | sed 's/^/   /'

step "training jobs: scripts/job_comparison.sh (Llama 3 405B 16k, dense 100k and 1M, DeepSeek-V3 MoE; IB vs RoCE ECMP vs adaptive; ~5 min)"
bash scripts/job_comparison.sh "$FB" results | grep -E '^(command:|script wall|job comparison)' | sed 's/^/   /'

step "publish: fabricbench publish"
"$FB" publish | tee /tmp/fabricbench-publish.$$ | grep -v '^headline' | sed 's/^/   /'
step "done in $((SECONDS - t0)) s"
echo "tables: results/tables/{measured,model_vs_measured,fabric_comparison,validation,training_jobs}.md"
echo "plots:  results/plots/*.png and *.svg"
echo "headline:"
grep '^headline' /tmp/fabricbench-publish.$$ | sed 's/^headline: /  /'
if [ -f results/tables/training_jobs_headline.txt ]; then
  sed 's/^/  /' results/tables/training_jobs_headline.txt
fi
rm -f /tmp/fabricbench-publish.$$
