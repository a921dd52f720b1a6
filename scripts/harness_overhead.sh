#!/usr/bin/env bash
# The harness's own cost at small sizes: fabricbench all_reduce --backend mpi next to a bare
# MPI_Allreduce loop (bench/bare_mpi_allreduce.cc: same thread level, communicator, buffers,
# data, warm-up and iteration counts), float sum out of place, 8 B - 64 KiB (sizes x2):
#   scripts/harness_overhead.sh [BUILD_DIR] [OUT_DIR]
# Runs both REPEATS times in interleaved order (bare, fabricbench, bare, ...) under
# scripts/mpirun.sh -np NP, and writes OUT_DIR/harness_vs_bare.md (the table: medians, spread =
# min-max over repeats, ratio of the medians) and OUT_DIR/harness_vs_bare.json (every sample),
# both atomically, and prints the table. Target: ratio within 1.05. Builds nothing.
# Environment: NP (2), REPEATS (5), ITERS (2000), WARMUP (200), MAXBYTES (64K), FB_ARGS (extra
# fabricbench flags, e.g. "-I 1" to see what per-iteration timing costs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-results/harness_overhead}
np=${NP:-2}
repeats=${REPEATS:-5}
iters=${ITERS:-2000}
warmup=${WARMUP:-200}
maxbytes=${MAXBYTES:-64K}
fb=$build/fabricbench
bare=$build/bench/bare_mpi_allreduce
for b in "$fb" "$bare"; do
  [[ -x $b ]] || { echo "harness_overhead: $b is not an executable (build first)" >&2; exit 2; }
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=(-b 8 -e "$maxbytes" -f 2 -n "$iters" -w "$warmup")
for r in $(seq 1 "$repeats"); do
  "$here/mpirun.sh" -np "$np" "$bare" "${sizes[@]}" > "$tmp/bare_$r.txt"
  # shellcheck disable=SC2086 # FB_ARGS: several words on purpose
  "$here/mpirun.sh" -np "$np" "$fb" all_reduce --backend mpi --device cpu -d float -o sum \
    "${sizes[@]}" ${FB_ARGS:-} --json "$tmp/fb_$r.json" > "$tmp/fb_$r.txt"
done
mkdir -p "$out"
/usr/bin/python3 - "$tmp" "$repeats" "$out" "$np" "$iters" "$warmup" "${FB_ARGS:-}" <<'PY'
import json, os, statistics, sys
tmp, repeats, out, np_, iters, warmup, fb_args = sys.argv[1:8]
repeats = int(repeats)
bare, fb, meta = {}, {}, None
for r in range(1, repeats + 1):
    for line in open(f"{tmp}/bare_{r}.txt"):
        b, t = line.split()
        bare.setdefault(int(b), []).append(float(t))
    doc = json.load(open(f"{tmp}/fb_{r}.json"))
    meta = doc["meta"]
    for row in doc["results"]:
        if not row["in_place"]:
            fb.setdefault(int(row["bytes"]), []).append(float(row["time_us"]))
sizes = sorted(set(bare) & set(fb))
rows = []
for b in sizes:
    mb, mf = statistics.median(bare[b]), statistics.median(fb[b])
    rows.append({"bytes": b, "bare_us": bare[b], "fabricbench_us": fb[b], "bare_median_us": mb,
                 "fabricbench_median_us": mf, "ratio": mf / mb if mb > 0 else None})
timing = meta.get("timing", {})
lines = [
    "# fabricbench --backend mpi vs a bare MPI_Allreduce loop",
    "",
    f"all_reduce float sum, out of place, mpirun -np {np_}, -n {iters} -w {warmup}"
    + (f", fabricbench {fb_args}" if fb_args else "")
    + f"; {repeats} repeats, interleaved (bare, fabricbench, ...); median [min-max] in us, "
    "mean over ranks of each rank's time per call. Produced by scripts/harness_overhead.sh.",
    "",
    f"fabricbench timing: {timing.get('mode', '?')} ({timing.get('timed', '')}); "
    f"a clock read costs {meta.get('machine', {}).get('clock_read_ns', 0):.1f} ns here.",
    f"Machine: {meta.get('machine', {}).get('cpu_model', meta.get('machine', {}).get('cpu', '?'))}; "
    f"MPI: {meta.get('mpi_library', meta.get('mpi', '?'))}.",
    "",
    "| bytes | bare MPI_Allreduce | fabricbench | ratio |",
    "|---:|---:|---:|---:|",
]
for r in rows:
    rng = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}-{max(v):.3f}]"
    lines.append(f"| {r['bytes']} | {rng(r['bare_us'])} | {rng(r['fabricbench_us'])} | "
                 f"{r['ratio']:.3f} |")
ratios = [r["ratio"] for r in rows if r["ratio"]]
worst = max(ratios) if ratios else float("nan")
lines += ["", f"Largest ratio: {worst:.3f} (target: within 1.05)."]
md = "\n".join(lines) + "\n"
doc = {"schema": "fabricbench.harness_overhead/1", "np": int(np_), "iters": int(iters),
       "warmup": int(warmup), "repeats": repeats, "fabricbench_args": fb_args,
       "fabricbench_timing": timing, "rows": rows, "max_ratio": worst, "target_ratio": 1.05}
for name, text in (("harness_vs_bare.md", md), ("harness_vs_bare.json", json.dumps(doc, indent=1) + "\n")):
    path = os.path.join(out, name)
    with open(path + ".tmp", "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
print(md, end="")
PY
