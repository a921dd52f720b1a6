#!/usr/bin/env bash
# GPU evidence run (issue 5): configure for this machine's GPUs, build, run the GPU exactness
# checks, the bandwidth probes, the reduce-kernel target (2 -> 1 reduce >= 90% of D2D copy
# bandwidth, bytes read + written) and NCCL sweeps, then write JSON + Markdown under
# results/gpu/<UTC time>_<gpu>/.
#
# Needs only CUDA (nvcc + driver), CMake and a C++ compiler; NCCL from $NCCL_ROOT, the CUDA tree
# or pip (nvidia-nccl-cu12/13). MPI, GoogleTest, Ninja and a package registry are optional: what
# is missing is skipped with a line saying so, never silently.
#
#   bash scripts/gpu_check.sh            # everything
#   QUICK=1 bash scripts/gpu_check.sh    # smaller sizes, fewer iterations (a smoke run)
# Environment: BUILD_DIR (build-gpucheck), OUT_DIR (results/gpu/<stamp>_<gpu>), JOBS, NCCL_ROOT,
# CUDA_HOME, STEP_TIMEOUT (seconds per step, 1800).
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root" || exit 2

say() { printf 'gpu_check: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

quick="${QUICK:-0}"
step_timeout="${STEP_TIMEOUT:-1800}"
build_dir="${BUILD_DIR:-$root/build-gpucheck}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 4)}"

# ---- the machine --------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: this script needs a GPU box"
gpu_csv="$(nvidia-smi --query-gpu=index,name,pci.bus_id,driver_version,memory.total,compute_cap \
  --format=csv,noheader 2>/dev/null)" || die "nvidia-smi cannot query the GPUs"
[ -n "$gpu_csv" ] || die "nvidia-smi lists no GPU"
ngpus="$(printf '%s\n' "$gpu_csv" | grep -c .)"
# compute_cap "9.0" -> CMake architecture "90"; one entry per distinct capability.
archs="$(printf '%s\n' "$gpu_csv" | awk -F', *' '{gsub(/\./, "", $6); print $6}' | sort -u |
  paste -sd';' -)"
[ -n "$archs" ] || die "could not read the compute capability from nvidia-smi"
gpu0_name="$(printf '%s\n' "$gpu_csv" | head -n1 | awk -F', *' '{print $2}')"
slug="$(printf '%s' "$gpu0_name" | tr -c 'A-Za-z0-9' '_' | tr -s '_' | sed 's/^_//; s/_$//')"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="${OUT_DIR:-$root/results/gpu/${stamp}_${slug}}"
mkdir -p "$out" || die "cannot create $out"
logs="$out/logs"
mkdir -p "$logs"
status_file="$out/steps.tsv"
: >"$status_file"
say "$ngpus GPU(s): $gpu0_name; architectures $archs; results in $out"
printf '%s\n' "$gpu_csv" >"$out/nvidia_smi.csv"
nvidia-smi >"$out/nvidia_smi.txt" 2>&1 || true
nvidia-smi topo -m >"$out/nvidia_smi_topo.txt" 2>&1 || true

# step NAME CMD...: runs CMD with a timeout, output to logs/NAME.log (and the terminal), and
# records NAME, status (pass / fail / skip) and exit code. Exit code 77 means skipped.
step() {
  local name="$1"
  shift
  say "step $name: $*"
  local rc
  timeout "$step_timeout" "$@" 2>&1 | tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  local st=pass
  if [ "$rc" -eq 77 ]; then st=skip; elif [ "$rc" -ne 0 ]; then st=fail; fi
  [ "$rc" -eq 124 ] && say "step $name timed out after ${step_timeout}s"
  printf '%s\t%s\t%s\n' "$name" "$st" "$rc" >>"$status_file"
  return "$rc"
}
skip() {
  say "skip $1: $2"
  printf '%s\tskip\t-\t%s\n' "$1" "$2" >>"$status_file"
}

# ---- NCCL ---------------------------------------------------------------------------------------
nccl_root="${NCCL_ROOT:-}"
if [ -z "$nccl_root" ]; then
  for py in python3 python; do
    command -v "$py" >/dev/null 2>&1 || continue
    # pip's nvidia-nccl-cuXX installs nvidia/nccl/{include,lib}.
    nccl_root="$("$py" - <<'PY' 2>/dev/null
import importlib, os
try:
    m = importlib.import_module("nvidia.nccl")
    paths = list(getattr(m, "__path__", [])) or [os.path.dirname(m.__file__)]
    for p in paths:
        if os.path.exists(os.path.join(p, "include", "nccl.h")):
            print(p)
            break
except Exception:
    pass
PY
)"
    [ -n "$nccl_root" ] && break
  done
fi
cmake_args=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_ARCHITECTURES=$archs" -DWITH_CUDA=ON)
if [ -n "$nccl_root" ]; then
  say "NCCL from $nccl_root"
  cmake_args+=("-DNCCL_ROOT=$nccl_root")
  # pip ships only libnccl.so.2; the binary finds it through the build tree's RPATH or this.
  export LD_LIBRARY_PATH="$nccl_root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  say "NCCL: no NCCL_ROOT and no pip package found; CMake searches the CUDA tree"
fi
if command -v ninja >/dev/null 2>&1; then cmake_args+=(-G Ninja); fi

# ---- configure and build ------------------------------------------------------------------------
if ! step configure cmake -S "$root" -B "$build_dir" "${cmake_args[@]}"; then
  if grep -qiE 'nlohmann|CLI11' "$logs/configure.log"; then
    say "configure failed: header-only dependencies missing (nlohmann-json, CLI11); run"
    say "scripts/stage_deps.sh on a machine that has them and copy .deps/ into this checkout"
  fi
  die "configure failed (log: $logs/configure.log)"
fi
cache="$build_dir/CMakeCache.txt"
cache_bool() { grep -E "^$1:BOOL=" "$cache" | head -n1 | cut -d= -f2; }
have_nccl="$(cache_bool WITH_NCCL)"
have_mpi="$(cache_bool WITH_MPI)"
have_tests="$(cache_bool BUILD_TESTING)"
targets=(fabricbench fb_gpu_check)
[ "$have_tests" = "ON" ] && targets+=(test_gpu_kernels test_gpu_cpu_side)
step build cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}" ||
  die "build failed (log: $logs/build.log)"
fb="$build_dir/fabricbench"
checker="$build_dir/tests/gpu/fb_gpu_check"
[ -x "$checker" ] || checker="$(find "$build_dir" -name fb_gpu_check -type f -perm -u+x | head -n1)"

# ---- exactness on the GPU -----------------------------------------------------------------------
if [ "$have_tests" = "ON" ]; then
  gt="$(find "$build_dir" -name test_gpu_kernels -type f -perm -u+x | head -n1)"
  step gtest_gpu "$gt" "--gtest_output=json:$out/gtest_gpu_kernels.json" || true
  gc="$(find "$build_dir" -name test_gpu_cpu_side -type f -perm -u+x | head -n1)"
  step gtest_cpu_side "$gc" "--gtest_output=json:$out/gtest_gpu_cpu_side.json" || true
else
  skip gtest_gpu "GoogleTest not found; the same checks run through fb_gpu_check below"
fi
step gpu_checks "$checker" checks || true

# ---- bandwidth probes and the reduce-kernel target ----------------------------------------------
if [ "$quick" = 1 ]; then
  probe_args=(--bytes 64M --reduce-bytes 256M --iters 10)
else
  probe_args=(--bytes 256M --reduce-bytes 1G --iters 50)
fi
step probes "$checker" probes "${probe_args[@]}" --json "$out/probes.json" || true

# ---- NCCL sweeps ----------------------------------------------------------------------------------
if [ "$quick" = 1 ]; then max=256M; iters=20; else max=8G; iters=50; fi
# 3 buffers of the largest size must fit: cap at a quarter of the smallest GPU's memory.
mem_mib="$(printf '%s\n' "$gpu_csv" | awk -F', *' '{gsub(/[^0-9]/, "", $5); print $5}' | sort -n |
  head -n1)"
if [ -n "$mem_mib" ] && [ "$mem_mib" -gt 0 ]; then
  cap=$((mem_mib / 4))
  case "$max" in
    *G) want_mib=$((${max%G} * 1024)) ;;
    *M) want_mib=${max%M} ;;
    *) want_mib=0 ;;
  esac
  if [ "$want_mib" -gt "$cap" ]; then
    p=1
    while [ $((p * 2)) -le "$cap" ]; do p=$((p * 2)); done
    max="${p}M"
  fi
fi
if [ "$have_nccl" != "ON" ]; then
  skip nccl_all_reduce_1gpu "built without NCCL (not found; set NCCL_ROOT)"
else
  step nccl_all_reduce_1gpu "$fb" all_reduce --backend nccl --device cuda -b 8 -e "$max" -f 2 \
    -n "$iters" -w 10 -c 1 --json "$out/nccl_all_reduce_1gpu.json" || true
  step nccl_all_reduce_1gpu_graph "$fb" all_reduce --backend nccl --device cuda -b 8 -e 64M -f 2 \
    -n "$iters" -w 10 -c 1 -G 1 --json "$out/nccl_all_reduce_1gpu_graph.json" || true
  for coll in all_gather reduce_scatter broadcast reduce alltoall sendrecv; do
    step "nccl_${coll}_1gpu" "$fb" "$coll" --backend nccl --device cuda -b 1K -e 64M -f 8 \
      -n 10 -w 2 -c 1 -d all --json "$out/nccl_${coll}_1gpu.json" || true
  done
  mpirun_bin="$(command -v mpirun || true)"
  if [ "$ngpus" -gt 1 ] && [ "$have_mpi" = "ON" ] && [ -n "$mpirun_bin" ]; then
    root_flags=()
    [ "$(id -u)" = 0 ] && root_flags=(--allow-run-as-root)
    step "nccl_all_reduce_${ngpus}gpu" "$mpirun_bin" "${root_flags[@]}" -np "$ngpus" "$fb" \
      all_reduce --backend nccl --device cuda -b 8 -e "$max" -f 2 -n "$iters" -w 10 -c 1 \
      --json "$out/nccl_all_reduce_${ngpus}gpu.json" || true
  fi
  if [ "$ngpus" -gt 1 ]; then
    # The same without a launcher: one process, a rank-thread per GPU.
    step "nccl_all_reduce_${ngpus}gpu_threads" "$fb" all_reduce --backend nccl --device cuda \
      -g "$ngpus" -b 8 -e "$max" -f 2 -n "$iters" -w 10 -c 1 \
      --json "$out/nccl_all_reduce_${ngpus}gpu_threads.json" || true
  fi
fi

# ---- summary --------------------------------------------------------------------------------------
commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if command -v python3 >/dev/null 2>&1; then
  python3 "$here/gpu_check_summary.py" "$out" "$commit" || say "summary script failed"
else
  say "python3 not found: no summary.json/summary.md; raw results are in $out"
fi
say "done: $out"
fails="$(awk -F'\t' '$2 == "fail"' "$status_file" | wc -l)"
[ "$fails" -eq 0 ] || { say "$fails step(s) failed: see $status_file"; exit 1; }
