#!/usr/bin/env bash
# Installs dependencies, builds fabricbench with warnings as errors (CUDA/NCCL sources compile
# and link whenever nvcc is present, even without a GPU) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
BUILD_DIR=${BUILD_DIR:-build-test}
JOBS=${JOBS:-$(nproc)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_base_warn_component_unused=0 OMPI_MCA_rmaps_base_oversubscribe=1

echo "== configure + build ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFB_WERROR=ON >/dev/null
ninja -C "$BUILD_DIR" -j "$JOBS"

echo "== clang-format check"
git ls-files '*.h' '*.cc' '*.cu' '*.cuh' | xargs clang-format --dry-run --Werror

echo "== tests"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
