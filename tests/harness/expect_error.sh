#!/usr/bin/env bash
# expect_error.sh EXPECTED_TEXT CMD...: passes when CMD exits non-zero (not by a signal or core
# dump) and prints EXPECTED_TEXT on exactly one line of stderr (once, even with many ranks).
set -u
expected=$1
shift
# Tests of GPU-less behaviour skip (exit 77) where a GPU is present.
if [ "${EXPECT_SKIP_IF_GPU:-0}" = 1 ] && nvidia-smi -L >/dev/null 2>&1; then
  echo "skipped: a GPU is present"
  exit 77
fi
err=$(mktemp)
"$@" >/dev/null 2>"$err"
rc=$?
n=$(grep -cF -- "$expected" "$err")
if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || [ "$n" -ne 1 ]; then
  echo "expect_error: rc=$rc, '$expected' printed $n times; stderr was:"
  cat "$err"
  rm -f "$err"
  exit 1
fi
rm -f "$err"
echo "ok: rc=$rc, one line: $expected"
