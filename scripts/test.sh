#!/usr/bin/env bash
# Installs dependencies, builds fabricbench with warnings as errors (CUDA/NCCL sources compile
# and link whenever nvcc is present, even without a GPU) and runs every test; then the hardening
# steps: clang-format and clang-tidy checks, a CPU-only ASan + UBSan build running the whole test
# suite again (MPI tests included), and a short libFuzzer run of every fuzz target. Any finding
# fails. Env: JOBS, BUILD_DIR, ASAN_BUILD_DIR, FUZZ_SECONDS (per target; 0 skips fuzzing),
# SKIP_TIDY=1 (local runs only).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
BUILD_DIR=${BUILD_DIR:-build-test}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-test-asan}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
JOBS=${JOBS:-$(nproc)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_base_warn_component_unused=0 OMPI_MCA_rmaps_base_oversubscribe=1
t0=$SECONDS
step_start=$SECONDS
timings=()
step_done() {
  timings+=("$(printf '%-34s %5d s' "$1" $((SECONDS - step_start)))")
  step_start=$SECONDS
}

echo "== configure + build ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFB_WERROR=ON >/dev/null
ninja -C "$BUILD_DIR" -j "$JOBS"
step_done "build (release)"

echo "== clang-format check"
git ls-files '*.h' '*.cc' '*.cu' '*.cuh' | xargs clang-format --dry-run --Werror
step_done "clang-format"

echo "== tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
step_done "tests (release)"

# CPU-only, ASan + UBSan (-fno-sanitize-recover=all: any UBSan report aborts the test). Every
# test runs, the MPI end-to-end and fault tests included.
echo "== sanitizer build ($ASAN_BUILD_DIR: ASan + UBSan, CPU only)"
cmake -S . -B "$ASAN_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWITH_CUDA=OFF \
  -DFB_SANITIZE=ON -DBUILD_BENCHMARKS=OFF -DFB_WERROR=ON >/dev/null
ninja -C "$ASAN_BUILD_DIR" -j "$JOBS"
step_done "build (asan+ubsan)"

# clang-tidy over the project's sources (tests and benchmarks excluded) with .clang-tidy's checks,
# using the sanitizer build's compile_commands.json (CPU configuration: the CUDA-only sources are
# checked by nvcc's warnings instead). The database holds GCC flags: clang ignores the ones it
# does not know (-Wno-unknown-warning-option).
if [ "${SKIP_TIDY:-0}" != 1 ]; then
  echo "== clang-tidy"
  tidy=$(command -v run-clang-tidy || command -v run-clang-tidy-14)
  "$tidy" -p "$ASAN_BUILD_DIR" -quiet -j "$JOBS" -extra-arg=-Wno-unknown-warning-option \
    "^$PWD/(kernels|collectives|fabric_model|harness)/[^/]*\.cc\$" >"$ASAN_BUILD_DIR/clang-tidy.log" 2>&1 ||
    {
      grep -E 'error:|warning:' "$ASAN_BUILD_DIR/clang-tidy.log" | sort -u
      echo "clang-tidy found problems (full log: $ASAN_BUILD_DIR/clang-tidy.log)"
      exit 1
    }
  step_done "clang-tidy"
fi

echo "== tests under ASan + UBSan"
# Leaks are checked in every test that does not start MPI (GoogleTest cases, named Suite.Test,
# and the fuzz corpus replays). Processes that run MPI (mpirun tests, the fabricbench binary as
# an MPI singleton) are checked for every ASan and UBSan error except leaks: Open MPI leaks at
# exit, and from its dlclose'd plugins the stacks are one frame deep, so suppressions cannot
# match them (lsan.supp covers what can be matched).
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/hardening/lsan.supp:print_suppressions=0
asan_unit='\.|^fuzz_replay_'
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
  ctest --test-dir "$ASAN_BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900 -R "$asan_unit"
ASAN_OPTIONS=detect_leaks=0:strict_string_checks=1 \
  ctest --test-dir "$ASAN_BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900 -E "$asan_unit"
step_done "tests (asan+ubsan)"

if [ "$FUZZ_SECONDS" != 0 ]; then
  echo "== fuzz ($FUZZ_SECONDS s a target)"
  bash scripts/fuzz.sh "$FUZZ_SECONDS"
  step_done "fuzz build + runs"
fi

echo "== timings"
printf '%s\n' "${timings[@]}"
echo "total: $((SECONDS - t0)) s"
