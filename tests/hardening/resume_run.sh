#!/usr/bin/env bash
# resume_run.sh FABRICBENCH MPIRUN...: a sweep on 3 ranks is run once uninterrupted, once
# interrupted (SIGTERM to every rank) mid-way and then continued with --resume. The resumed
# document must equal the uninterrupted one apart from timings and run metadata, keep the
# interrupted run's rows as they were, and be complete.
set -u
bin=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/stdout
. "$(dirname "$0")/fault_lib.sh"
sweep=(all_reduce -b 1K -e 1M -f 2 -o all -n 20 -w 1 -T 60 --no-bind)

"$@" -np 3 "$bin" "${sweep[@]}" --json "$dir/full.json" >"$dir/full.out" 2>&1 ||
  { echo "uninterrupted run failed"; cat "$dir/full.out"; exit 1; }

"$@" -np 3 "$bin" "${sweep[@]}" --json "$dir/part.json" >"$out" 2>"$dir/part.err" &
job=$!
wait_rows 4 $job || { echo "no rows"; cat "$out" "$dir/part.err"; kill -9 $job; exit 1; }
for r in 0 1 2; do kill -TERM "$(rank_pid $r)"; done
wait_gone $job 20 || { echo "interrupted run did not end"; kill -9 $job; exit 1; }
wait $job && { echo "interrupted run exited 0 (finished before the signal?)"; exit 1; }

# The same flags again: --resume must refuse a different sweep, then continue this one.
if "$@" -np 3 "$bin" all_reduce -b 1K -e 1M -f 2 -o all -n 21 -w 1 --no-bind \
  --resume "$dir/part.json" --json "$dir/bad.json" >"$dir/bad.out" 2>&1; then
  echo "a resume with another -n was accepted"; exit 1
fi
grep -q "meta.sweep differs" "$dir/bad.out" || { echo "no mismatch message:"; cat "$dir/bad.out"; exit 1; }
[ ! -e "$dir/bad.json" ] || { echo "refused resume left bad.json"; exit 1; }

"$@" -np 3 "$bin" "${sweep[@]}" --resume "$dir/part.json" --json "$dir/resumed.json" \
  >"$dir/resumed.out" 2>&1 || { echo "resumed run failed"; cat "$dir/resumed.out"; exit 1; }
grep "# resumed" "$dir/resumed.out"

exec "$PY" "$HERE/compare_results.py" "$dir/full.json" "$dir/part.json" "$dir/resumed.json"
