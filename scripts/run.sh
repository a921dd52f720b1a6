#!/usr/bin/env bash
# The main job: install dependencies, build, measure all_reduce on this machine (GPU when one is
# present, CPU fallback otherwise) and write the results under results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
BUILD_DIR=${BUILD_DIR:-build}
echo "== build ($BUILD_DIR)"
BUILD_DIR=$BUILD_DIR bash scripts/build.sh >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
NP=${NP:-2}
host=$(hostname -s)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p results/raw
out=results/raw/all_reduce-mpi-${host}-np${NP}-${stamp}.json
echo "== measure: mpirun -np $NP fabricbench all_reduce -b 8 -e 64M -f 2 --json $out"
bash scripts/mpirun.sh -np "$NP" "$BUILD_DIR/fabricbench" all_reduce -b 8 -e 64M -f 2 \
  --json "$out"
echo "== results: $out"
