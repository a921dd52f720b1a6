#!/usr/bin/env bash
# interrupt_run.sh INT|TERM|MPIRUN_INT FABRICBENCH MPIRUN...: an endless sweep on 3 ranks writing
# JSON and CSV is interrupted once rows are measured, by SIGINT or SIGTERM to every rank, or by
# SIGINT to mpirun alone (Ctrl-C in the terminal running it: mpirun sends the ranks SIGTERM, then
# SIGKILL odls_base_sigkill_timeout = 1 s later, so the flush must fit in that second). Passes
# when the job ends promptly and non-zero, and both files parse, hold at least the rows shown
# before the signal, agree with each other, and the JSON is marked incomplete; no temp file is
# left.
set -u
sig=$1
bin=$2
shift 2
dir=$(mktemp -d)
out=$dir/stdout
err=$dir/stderr
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/fault_lib.sh"

"$@" -np 3 "$bin" all_reduce -b 1K -e 64K -f 2 -n 20 -w 1 -N 0 -T 60 --no-bind \
  --json "$dir/r.json" --csv "$dir/r.csv" >"$out" 2>"$err" &
job=$!
if ! wait_rows 10 $job; then
  echo "interrupt_run: no rows measured"; cat "$out" "$err"; kill -9 $job 2>/dev/null; exit 1
fi
shown=$(rows_shown)
start=$(date +%s.%N)
if [ "$sig" = MPIRUN_INT ]; then
  kill -INT $job
else
  # Every rank gets the signal, as from a scheduler cancelling the job (scancel, srun) or Ctrl-C
  # on a process group.
  for r in 0 1 2; do kill -"$sig" "$(rank_pid $r)"; done
fi
if ! wait_gone $job 20; then
  echo "interrupt_run: job still running 20 s after SIG$sig"; pkill -9 -P $job; kill -9 $job
  exit 1
fi
wait $job
rc=$?
echo "job ended rc=$rc $(elapsed_since "$start") s after SIG$sig; $shown rows shown before"
if [ "$rc" -eq 0 ]; then echo "interrupt_run: exit code 0 after SIG$sig"; cat "$err"; exit 1; fi
# Ctrl-C on mpirun: the message may be lost (mpirun stops forwarding output, or SIGKILLs rank 0
# right after the SIGTERM); the files must still hold every row shown (SIGCONT checkpoint).
if [ "$sig" != MPIRUN_INT ]; then
  grep -q "interrupted by signal" "$err" || { echo "no interruption message:"; cat "$err"; exit 1; }
fi
ls "$dir" | grep -q '\.tmp' && { echo "temp file left behind:"; ls -la "$dir"; exit 1; }
exec "$PY" - "$dir/r.json" "$dir/r.csv" "$shown" "$sig" <<'PYEOF'
import csv, json, sys
path, csv_path, shown, sig = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
doc = json.load(open(path))  # a truncated file fails here
assert doc["schema"] == "fabricbench.results/1", doc["schema"]
assert doc["complete"] is False and doc["summary"]["complete"] is False, "not marked incomplete"
rows = doc["results"]
# Each shown row is one size with both variants: two JSON rows.
assert len(rows) >= 2 * shown, f"{len(rows)} JSON rows, {shown} sizes shown before the signal"
assert len(rows) % 2 == 0, "half a size"
for i, r in enumerate(rows):
    assert r["in_place"] == (i % 2 == 1) and r["wrong"] == 0 and r["time_us"] > 0, r
sizes = [1024 << k for k in range(7)]
for i in range(0, len(rows), 2):
    assert rows[i]["bytes"] == sizes[(i // 2) % 7] and rows[i]["cycle"] == i // 14, rows[i]
with open(csv_path, newline="") as f:
    table = list(csv.DictReader(f))
if sig == "MPIRUN_INT":
    # mpirun's SIGKILL can land between the final JSON and CSV writes: the CSV may still be the
    # SIGCONT checkpoint (fewer rows, every row shown). Each file is whole; they share a prefix.
    assert len(table) >= 2 * shown, f"CSV {len(table)} rows, {shown} sizes shown before"
    rows = rows[: len(table)]
    table = table[: len(rows)]
assert len(table) == len(rows), f"CSV {len(table)} rows, JSON {len(rows)}"
for r, c in zip(rows, table):
    assert int(c["bytes"]) == r["bytes"] and float(c["time_us"]) == r["time_us"], (r, c)
    assert c["complete"] == "false", c
print(f"ok: {len(rows)} rows in JSON and CSV, marked incomplete")
PYEOF
