#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]: builds the libFuzzer targets with clang
# (ASan + UBSan, tests/hardening/fuzz) and runs each for SECONDS_PER_TARGET (default 600),
# seeded from the committed corpus and every input that ever failed. Any crash, hang (an input
# taking over 10 s), leak or sanitizer report fails the script; the failing inputs are copied to
# tests/hardening/regressions/<target>/, which ctest replays in every build (commit them).
# Prints executions and coverage per target; CI runs it for a short time (scripts/test.sh).
# Env: FUZZ_BUILD_DIR (default build-fuzz), JOBS (build parallelism, default 2), FUZZ_NO_BUILD=1
# (run the targets already built).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
hard=tests/hardening
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_parse_size fuzz_run_options fuzz_cluster_config fuzz_fabric_profile
           fuzz_calibration fuzz_results)
fi

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DFB_FUZZ=ON -DWITH_CUDA=OFF -DBUILD_TESTING=OFF \
    -DBUILD_BENCHMARKS=OFF >/dev/null
  ninja -C "$build" -j "${JOBS:-2}" fuzz_targets >/dev/null
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=$build/fuzz-summary.txt
printf '%-22s %8s %12s %10s %8s %8s %8s  %s\n' target seconds executions exec/s cov ft corpus \
  result | tee "$summary"
status=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  [ -x "$bin" ] || { echo "no fuzz target $t (results_io not built?)"; status=1; continue; }
  work=$build/fuzz-corpus/$t  # grows across runs; not committed
  art=$build/fuzz-artifacts/$t
  mkdir -p "$work" "$art"
  rm -f "$art"/*
  dict=$hard/fuzz/json.dict
  case $t in
    fuzz_run_options) dict=$hard/fuzz/options.dict ;;
    fuzz_parse_size) dict="" ;;
  esac
  seeds=("$hard/corpus/$t")
  [ -d "$hard/regressions/$t" ] && seeds+=("$hard/regressions/$t")
  log=$build/fuzz-$t.log
  rc=0
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$art/" ${dict:+-dict="$dict"} \
    "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ { print $NF }' "$log")
  last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" -ne 0 ] || compgen -G "$art/*" >/dev/null; then
    result="FAILED (rc=$rc): see $log"
    status=1
    mkdir -p "$hard/regressions/$t"
    for f in "$art"/*; do
      [ -e "$f" ] || continue
      cp "$f" "$hard/regressions/$t/$(basename "$f")"
      echo "kept $hard/regressions/$t/$(basename "$f")"
    done
    grep -a -m 3 -E 'ERROR|runtime error|contract broken|Deadly|timeout' "$log" || true
  fi
  printf '%-22s %8s %12s %10s %8s %8s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" | tee -a "$summary"
done
exit $status
