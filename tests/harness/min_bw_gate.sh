#!/usr/bin/env bash
# min_bw_gate.sh FABRICBENCH MPIRUN...: NCCL_TESTS_MIN_BW and -J end to end, under mpirun -np 2
# and with -g 3 rank-threads (--backend own --device cpu):
# - a threshold no machine reaches (1e9 GB/s): footer "FAILED", exit code 5, -J okay "false";
# - 0: footer "OK", exit 0, -J okay "true", and the -J file is read by fabricbench import;
# - a malformed value: one line, exit 2.
set -u
fb=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "min_bw_gate: $*"; exit 1; }
sweep=(all_reduce -b 8 -e 4096 -f 8 -n 2 -w 1 -c 1 --no-bind)
for launcher in mpi threads; do
  if [ "$launcher" = mpi ]; then run=("$@" -np 2 "$fb" "${sweep[@]}"); else
    run=("$fb" "${sweep[@]}" -g 3 --backend own --device cpu); fi
  NCCL_TESTS_MIN_BW=1e9 "${run[@]}" -J "$dir/$launcher-slow.json" >"$dir/out" 2>"$dir/err"
  rc=$?
  [ "$rc" -eq 5 ] || fail "$launcher: NCCL_TESTS_MIN_BW=1e9: exit $rc, want 5: $(cat "$dir/err")"
  grep -Eq '^# Avg bus bandwidth +: [0-9.e+-]+ FAILED$' "$dir/out" || fail "$launcher: no FAILED footer"
  [ "$(grep -c 'below 0.9 x NCCL_TESTS_MIN_BW' "$dir/err")" -eq 1 ] || fail "$launcher: not one error line"
  grep -q '"average_bus_bandwidth":{"bandwidth":[0-9.e+-]*,"okay":"false"}' "$dir/$launcher-slow.json" \
    || fail "$launcher: -J okay is not \"false\""
  NCCL_TESTS_MIN_BW=0 "${run[@]}" -J "$dir/$launcher-ok.json" >"$dir/out" 2>"$dir/err" \
    || fail "$launcher: NCCL_TESTS_MIN_BW=0 failed: $(cat "$dir/err")"
  grep -Eq '^# Avg bus bandwidth +: [0-9.e+-]+ OK$' "$dir/out" || fail "$launcher: no OK footer"
  grep -q '"okay":"true"}' "$dir/$launcher-ok.json" || fail "$launcher: -J okay is not \"true\""
  mkdir -p "$dir/imported-$launcher"
  "$fb" import "$dir/$launcher-ok.json" --out "$dir/imported-$launcher" >"$dir/out" 2>"$dir/err" \
    || fail "$launcher: fabricbench import of the -J file failed: $(cat "$dir/err")"
  NCCL_TESTS_MIN_BW=fast "${run[@]}" >"$dir/out" 2>"$dir/err"
  rc=$?
  [ "$rc" -eq 2 ] || fail "$launcher: NCCL_TESTS_MIN_BW=fast: exit $rc, want 2"
  [ "$(grep -c "NCCL_TESTS_MIN_BW='fast' is not" "$dir/err")" -eq 1 ] \
    || fail "$launcher: malformed value: not one line: $(cat "$dir/err")"
done
echo "ok"
