#!/usr/bin/env bash
# Measures every collective's own algorithms (and --backend mpi for reference) across sizes and
# generates the --algo auto table from the medians:
#   scripts/tune_auto.sh BUILD/fabricbench [OUT_DIR]
# For each rank count in NPS and each collective in COLLS, runs `--backend mpi` and
# `--backend own --algo A` for every own algorithm A of the collective (float sum, 8 B - MAXBYTES
# by factors of 2, out of place and in place, checked), REPEATS times in interleaved order.
# Writes OUT_DIR/raw/np<N>/<collective>__<variant>__rep<k>.{json,log} (replacing those of the rank
# counts in NPS, keeping others), OUT_DIR/summary.md (median times, the pick, pick/mpi),
# OUT_DIR/summary.json and OUT_DIR/algo_auto_table.inc (measured rows for every rank count under
# OUT_DIR/raw, hand-written defaults for the others: copy it over
# collectives/algo_auto_table.inc and rebuild to adopt it); prints summary.md. Builds nothing.
# Environment: NPS ("2"), COLLS (all_reduce all_gather reduce_scatter broadcast reduce),
# REPEATS (3), ITERS (20), WARMUP (5), MAXBYTES (8M), MPIRUN_ARGS (extra mpirun arguments).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/own_bench_lib.sh
source "$here/own_bench_lib.sh"

bin=${1:?usage: tune_auto.sh FABRICBENCH [OUT_DIR]}
out=${2:-results/auto_tune}
nps=${NPS:-2}
colls=${COLLS:-all_reduce all_gather reduce_scatter broadcast reduce}
repeats=${REPEATS:-3}
iters=${ITERS:-20}
warmup=${WARMUP:-5}
maxbytes=${MAXBYTES:-8M}
[[ -x $bin ]] || { echo "tune_auto: $bin is not an executable" >&2; exit 2; }

for np in $nps; do
  # Other rank counts' runs in OUT_DIR stay: the summary and table cover every raw/np<N>.
  rm -rf "$out/raw/np$np"
  # shellcheck disable=SC2086 # MPIRUN_ARGS: several words on purpose
  own_bench_mpirun "$np" ${MPIRUN_ARGS:-}
  # More ranks than cores: let the OS spread them rather than pin two to one core.
  bind=()
  if ((np > $(nproc))); then bind=(--no-bind); fi
  mkdir -p "$out/raw/np$np"
  for ((rep = 1; rep <= repeats; ++rep)); do
    for coll in $colls; do
      variants=(mpi)
      for a in $(own_bench_algos "$bin" "$coll"); do variants+=("own:$a"); done
      for v in "${variants[@]}"; do
        name=${v#own:}
        echo "tune_auto: np $np, repeat $rep/$repeats: $coll $name" >&2
        own_bench_run "$bin" "$coll" "$v" "$out/raw/np$np/${coll}__${name}__rep$rep" \
          -b 8 -e "$maxbytes" -f 2 -n "$iters" -w "$warmup" "${bind[@]}"
      done
    done
  done
done

PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$here/own_bench.py" summarize "$out" \
  "NPS='$nps' REPEATS=$repeats ITERS=$iters WARMUP=$warmup MAXBYTES=$maxbytes scripts/tune_auto.sh $*"
