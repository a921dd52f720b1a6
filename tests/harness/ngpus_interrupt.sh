#!/usr/bin/env bash
# ngpus_interrupt.sh FABRICBENCH: an endless -g 3 sweep (3 rank-threads of one process, host
# buffers) writing JSON gets SIGTERM once rows are shown. Passes when the process ends promptly
# with 128+15, says so once, and the JSON parses, is marked incomplete and holds the rows shown:
# the signal handlers are the process's, installed once, by rank 0's thread.
set -u
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" all_reduce -g 3 --backend own --device cpu -b 1K -e 64K -f 2 -n 20 -w 1 -N 0 -T 60 \
  --no-bind --json "$dir/r.json" >"$dir/out" 2>"$dir/err" &
pid=$!
rows() { grep -c '^ *[0-9]' "$dir/out"; }
for _ in $(seq 100); do [ "$(rows)" -ge 4 ] && break; sleep 0.1; done
shown=$(rows)
[ "$shown" -ge 4 ] || { echo "no rows measured"; cat "$dir/out" "$dir/err"; kill -9 $pid; exit 1; }
kill -TERM $pid
for _ in $(seq 200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "still running 20 s after SIGTERM"; kill -9 $pid; exit 1; fi
wait $pid
rc=$?
[ "$rc" -eq 143 ] || { echo "rc=$rc, expected 143"; cat "$dir/err"; exit 1; }
n=$(grep -c "interrupted by signal 15" "$dir/err")
[ "$n" -eq 1 ] || { echo "interruption message printed $n times:"; cat "$dir/err"; exit 1; }
exec python3 - "$dir/r.json" "$shown" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
shown = int(sys.argv[2])
assert doc["summary"]["complete"] is False, "not marked incomplete"
assert doc["meta"]["nranks"] == 3, doc["meta"]["nranks"]
assert len(doc["results"]) >= shown, (len(doc["results"]), shown)
print("ok: rc 143, %d rows written, %d shown before SIGTERM" % (len(doc["results"]), shown))
PYEOF
