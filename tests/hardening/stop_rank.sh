#!/usr/bin/env bash
# stop_rank.sh FABRICBENCH MPIRUN...: rank 2 of 3 is stopped (SIGSTOP) mid-sweep with -T 5. The
# watchdog must end the job within -T plus a small grace (5 s), non-zero, with a message naming
# rank 2.
set -u
bin=$1
shift
dir=$(mktemp -d)
out=$dir/stdout
err=$dir/stderr
pid=""
cleanup() {
  [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
. "$(dirname "$0")/fault_lib.sh"
timeout_s=5
grace_s=5

"$@" -np 3 "$bin" all_reduce -b 1K -e 64K -f 2 -n 20 -w 1 -N 0 -T $timeout_s --no-bind \
  >"$out" 2>"$err" &
job=$!
if ! wait_rows 3 $job; then
  echo "stop_rank: no rows measured"; cat "$out" "$err"; kill -9 $job 2>/dev/null; exit 1
fi
pid=$(rank_pid 2)
[ -n "$pid" ] || { echo "stop_rank: no pid for rank 2"; cat "$out"; kill -9 $job; exit 1; }
start=$(date +%s.%N)
kill -STOP "$pid"
if ! wait_gone $job $((timeout_s + grace_s)); then
  echo "stop_rank: job still running $((timeout_s + grace_s)) s after rank 2 was stopped"
  cat "$err"; pkill -9 -P $job; kill -9 $job; exit 1
fi
wait $job
rc=$?
echo "job ended rc=$rc $(elapsed_since "$start") s after SIGSTOP to rank 2 (pid $pid), -T $timeout_s"
[ "$rc" -ne 0 ] || { echo "stop_rank: exit code 0"; exit 1; }
if ! grep -q "ranks that did not arrive: 2" "$err"; then
  echo "stop_rank: no message naming rank 2:"; cat "$err"; exit 1
fi
grep -m1 "did not arrive" "$err"
