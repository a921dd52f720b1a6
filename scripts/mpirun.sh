#!/usr/bin/env bash
# mpirun with the flags a root shell on a small VM needs; usage: scripts/mpirun.sh -np 2 CMD...
set -euo pipefail
extra=()
if [ "$(id -u)" -eq 0 ]; then extra+=(--allow-run-as-root); fi
# Allow more ranks than cores (CI machines have 2) and keep Open MPI quiet about missing NICs.
exec mpirun "${extra[@]}" --oversubscribe --bind-to none --mca btl ^openib \
  --mca btl_base_warn_component_unused 0 "$@"
