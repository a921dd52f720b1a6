# Shared by the fault scripts: waiting for result rows, and the checks on result files.
# Sourced; expects $out (the run's stdout file).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Number of result rows the console report has shown so far (lines starting with a size).
rows_shown() { grep -cE '^ +[0-9]+ +[0-9]+ +[a-z0-9]+ ' "$out" 2>/dev/null || true; }

# wait_rows N JOB: until N rows are shown (true) or JOB ends / 60 s pass (false).
wait_rows() {
  local n=$1 job=$2
  for _ in $(seq 1 600); do
    [ "$(rows_shown)" -ge "$n" ] && return 0
    kill -0 "$job" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Pid of rank R from the console header ("#  Rank  2 Group  0 Pid  1234 ...").
rank_pid() {
  awk -v r="$1" '$2 == "Rank" && $3 == r { for (i = 1; i <= NF; i++) if ($i == "Pid") print $(i + 1) }' "$out"
}

# wait_gone JOB SECONDS: true once JOB has ended, false if still running after SECONDS.
wait_gone() {
  local job=$1 limit=$2
  for _ in $(seq 1 $((limit * 10))); do
    kill -0 "$job" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
