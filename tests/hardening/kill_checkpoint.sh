#!/usr/bin/env bash
# kill_checkpoint.sh FABRICBENCH MPIRUN...: an endless sweep on 3 ranks with --checkpoint 1 is
# killed with SIGKILL (no warning, no flush: out of memory, a scheduler's hard kill) after its
# JSON and CSV checkpoints were rewritten at least once. Passes when both files parse, are marked
# incomplete, hold the rows of the last checkpoint (at least those of the first) and agree.
set -u
bin=$1
shift
dir=$(mktemp -d)
out=$dir/stdout
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/fault_lib.sh"

"$@" -np 3 "$bin" all_reduce -b 1K -e 64K -f 2 -n 20 -w 1 -N 0 -T 60 --no-bind --checkpoint 1 \
  --json "$dir/r.json" --csv "$dir/r.csv" >"$out" 2>"$dir/stderr" &
job=$!
# The first checkpoint, then a later one replacing it (the file grows).
first=0
for _ in $(seq 1 600); do
  if [ -s "$dir/r.json" ]; then
    size=$(stat -c %s "$dir/r.json")
    if [ "$first" -eq 0 ]; then
      first=$size
      cp "$dir/r.json" "$dir/first.json"
    elif [ "$size" -gt "$first" ]; then
      break
    fi
  fi
  kill -0 $job 2>/dev/null || break
  sleep 0.1
done
pids=$(for r in 0 1 2; do rank_pid $r; done)
kill -9 $pids $job 2>/dev/null
wait $job 2>/dev/null
[ "$first" -gt 0 ] || { echo "kill_checkpoint: no checkpoint written"; cat "$dir/stderr"; exit 1; }
exec "$PY" - "$dir/r.json" "$dir/r.csv" "$dir/first.json" <<'PYEOF'
import csv, json, sys
doc = json.load(open(sys.argv[1]))  # a torn file fails here
first = json.load(open(sys.argv[3]))
assert doc["complete"] is False and doc["summary"]["complete"] is False, "not marked incomplete"
rows = doc["results"]
assert len(rows) > len(first["results"]) > 0, (len(rows), len(first["results"]))
assert rows[: len(first["results"])] == first["results"], "a checkpoint changed earlier rows"
for r in rows:
    assert r["wrong"] == 0 and r["time_us"] > 0, r
with open(sys.argv[2], newline="") as f:
    table = list(csv.DictReader(f))
# The two files are checkpointed together: the CSV holds the same rows (it is written second, so
# a kill between the two can leave it one checkpoint behind).
assert 0 < len(table) <= len(rows), (len(table), len(rows))
for r, c in zip(rows, table):
    assert int(c["bytes"]) == r["bytes"] and float(c["time_us"]) == r["time_us"], (r, c)
    assert c["complete"] == "false", c
print(f"ok: SIGKILL after checkpoints: {len(rows)} JSON rows (first checkpoint {len(first['results'])}), {len(table)} CSV rows")
PYEOF
