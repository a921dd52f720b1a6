#!/usr/bin/env bash
# kill_rank.sh MPIRUN... -- FABRICBENCH: runs an endless all_reduce sweep on 3 ranks, kills rank 2
# with SIGKILL once it is measuring, and passes when the whole job ends promptly, non-zero, with a
# message naming the lost rank.
set -u
mpirun_cmd=()
while [ "$1" != "--" ]; do mpirun_cmd+=("$1"); shift; done
shift
bin=$1
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"${mpirun_cmd[@]}" -np 3 "$bin" all_reduce -b 1K -e 64K -f 2 -n 50 -N 0 -T 30 --no-bind \
  >"$out" 2>"$err" &
job=$!

# Wait for the header that lists every rank's pid, and for the first result row.
pid=""
for _ in $(seq 1 300); do
  pid=$(awk '$2 == "Rank" && $3 == "2" { for (i = 1; i <= NF; i++) if ($i == "Pid") print $(i + 1) }' "$out")
  if [ -n "$pid" ] && grep -q '^ *1024 ' "$out"; then break; fi
  sleep 0.1
done
if [ -z "$pid" ]; then
  echo "kill_rank: never saw rank 2's pid"; cat "$out" "$err"; kill -9 $job 2>/dev/null; exit 1
fi
start=$(date +%s.%N)
kill -9 "$pid"
# The job must end on its own; give it 30 s before calling it a hang.
for _ in $(seq 1 300); do
  kill -0 $job 2>/dev/null || break
  sleep 0.1
done
if kill -0 $job 2>/dev/null; then
  echo "kill_rank: job still running 30 s after rank 2 was killed"
  pkill -9 -P $job; kill -9 $job; exit 1
fi
wait $job
rc=$?
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ "$rc" -eq 0 ]; then echo "kill_rank: job exited 0 after losing a rank"; exit 1; fi
if ! grep -Eqi "rank 2|process rank 2" "$err"; then
  echo "kill_rank: no message names rank 2:"; cat "$err"; exit 1
fi
echo "ok: job ended rc=$rc ${elapsed}s after rank 2 (pid $pid) was killed"
grep -Ei "rank 2" "$err" | head -2
