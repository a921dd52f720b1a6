# shellcheck shell=bash
# Sourced by compare_own_mpi.sh and tune_auto.sh: the mpirun command line and one measured,
# checked fabricbench run of a collective with one backend (and algorithm).

# own_bench_mpirun NP [MPIRUN ARGS...]: sets the array `mpirun`.
own_bench_mpirun() {
  local np=$1
  shift
  mpirun=(mpirun --oversubscribe -np "$np" "$@")
  if [[ $(id -u) == 0 ]]; then mpirun+=(--allow-run-as-root); fi
}

# own_bench_algos FABRICBENCH COLLECTIVE: the own algorithms of COLLECTIVE, one name per line.
own_bench_algos() {
  "$1" "$2" --backend own --algo list | awk -v c="$2" '/^auto:/ { exit } $1 == c { print $2 }'
}

# own_bench_run FABRICBENCH COLLECTIVE VARIANT OUT_PREFIX [FABRICBENCH ARGS...]: VARIANT is mpi
# or own:ALGO; writes OUT_PREFIX.json (replaced) and OUT_PREFIX.log. Uses `mpirun`.
own_bench_run() {
  local bin=$1 coll=$2 variant=$3 prefix=$4
  shift 4
  local args=(--backend "${variant%%:*}")
  if [[ $variant == own:* ]]; then args+=(--algo "${variant#own:}"); fi
  rm -f "$prefix.json"
  "${mpirun[@]}" "$bin" "$coll" -c 1 "${args[@]}" "$@" --json "$prefix.json" > "$prefix.log"
}
