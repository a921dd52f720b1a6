#!/usr/bin/env bash
# Configures and builds fabricbench into BUILD_DIR (default build/). Extra arguments go to CMake.
# CUDA and NCCL are picked up automatically when nvcc ($CUDA_HOME/bin/nvcc) and NCCL are found.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$BUILD_DIR" -j "$JOBS"
