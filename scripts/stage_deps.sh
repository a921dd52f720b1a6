#!/usr/bin/env bash
# Copies the header-only dependencies (CLI11, nlohmann-json) from this machine's Debian packages
# into .deps/include, for building on a GPU box that has CUDA and CMake but no package registry.
# Copy the repository with .deps/ to that box; CMake finds the headers there (FB_DEPS_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .deps/include
for d in /usr/include/CLI /usr/include/nlohmann; do
  [ -d "$d" ] || { echo "stage_deps: $d missing (apt-get install libcli11-dev nlohmann-json3-dev)"; exit 1; }
  cp -r "$d" .deps/include/
done
echo "stage_deps: headers in .deps/include"
