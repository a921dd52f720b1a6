#!/usr/bin/env bash
# run_bad_inputs.sh FABRICBENCH CASES DATA_DIR: runs every case of CASES (bad_inputs.txt), each in
# a fresh empty working directory, and passes when every one exits cleanly non-zero (no signal, no
# core dump, no timeout), prints exactly the expected first line on stderr, and leaves nothing
# behind in its working directory (no output file, no temp file, no core).
# Case lines: EXPECTED FIRST LINE OF STDERR | ARGS...   (# comments and blank lines skipped)
# In ARGS: @DATA@ is DATA_DIR, @TMP@ the working directory, @EMPTY@ an empty argument; @DATA@ also
# in the expected line. An expected line ending in "..." is a prefix (machine-dependent numbers).
set -u
bin=$(realpath "$1")
cases=$2
# The cases run against a copy of the data: a broken build must not be able to damage it.
fixtures=$(mktemp -d)
trap 'rm -rf "$fixtures"' EXIT
cp -r "$3" "$fixtures/data"
data=$fixtures/data
export OMPI_MCA_btl_base_warn_component_unused=0 OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ulimit -c unlimited 2>/dev/null || true  # a crash must leave a core here for us to see
n=0
failed=0
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '' | '#'*) continue ;; esac
  expected=${line%% | *}
  expected=${expected//@DATA@/$data}
  argline=${line#* | }
  n=$((n + 1))
  work=$(mktemp -d)
  args=()
  for a in $argline; do
    a=${a//@DATA@/$data}
    a=${a//@TMP@/$work}
    [ "$a" = "@EMPTY@" ] && a=""
    args+=("$a")
  done
  (cd "$work" && exec timeout -s KILL 60 "$bin" "${args[@]}") >"$work.out" 2>"$work.err"
  rc=$?
  first=$(head -n 1 "$work.err")
  left=$(ls -A "$work")
  problem=""
  if [ "$rc" -eq 0 ]; then
    problem="exit code 0"
  elif [ "$rc" -ge 124 ]; then
    problem="exit code $rc (signal, core dump or timeout)"
  elif [[ "$expected" == *... ]] && [[ "$first" != "${expected%...}"* ]]; then
    problem="first stderr line does not start as expected"
  elif [[ "$expected" != *... ]] && [ "$first" != "$expected" ]; then
    problem="first stderr line differs"
  elif [ -n "$left" ]; then
    problem="left behind: $left"
  fi
  if [ -n "$problem" ]; then
    failed=$((failed + 1))
    echo "FAIL case $n: $problem"
    echo "  args:     ${args[*]}"
    echo "  expected: $expected"
    echo "  got:      $first"
    sed -n '2,5p' "$work.err" | sed 's/^/  stderr:   /'
  fi
  rm -rf "$work" "$work.out" "$work.err"
done <"$cases"
echo "bad inputs: $n cases, $failed failed"
[ "$n" -ge 50 ] || { echo "fewer than 50 cases"; exit 1; }
[ "$failed" -eq 0 ]
