#!/usr/bin/env bash
# Own all_reduce algorithms against the MPI library's, in one invocation, on this machine:
#   scripts/compare_own_mpi.sh BUILD/fabricbench [OUT_DIR]
# Runs `--backend mpi` and `--backend own --algo A` for every A (float sum, 8 B - 64 MiB, out of
# place and in place, checked), REPEATS times in interleaved order, plus a memcpy probe with one
# copy per rank running concurrently (the memory ceiling). Writes OUT_DIR/raw/*.json (every run),
# OUT_DIR/summary.json (medians, spreads, ratios, metadata) and OUT_DIR/summary.md (the table),
# and prints the table. Builds nothing. The --algo auto table for every collective comes from
# scripts/tune_auto.sh (same runs and medians, scripts/own_bench_lib.sh and own_bench.py).
# Environment: NP (2), REPEATS (3), ITERS (40), WARMUP (10), MAXBYTES (64M),
# ALGOS ("ring rhd tree hier shm"), MPIRUN_ARGS (extra arguments).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/own_bench_lib.sh
source "$here/own_bench_lib.sh"

bin=${1:?usage: compare_own_mpi.sh FABRICBENCH [OUT_DIR]}
out=${2:-results/own_vs_mpi}
np=${NP:-2}
repeats=${REPEATS:-3}
iters=${ITERS:-40}
warmup=${WARMUP:-10}
maxbytes=${MAXBYTES:-64M}
algos=${ALGOS:-ring rhd tree hier shm}
py=/usr/bin/python3
[[ -x $bin ]] || { echo "compare_own_mpi: $bin is not an executable" >&2; exit 2; }
# shellcheck disable=SC2086 # MPIRUN_ARGS: several words on purpose
own_bench_mpirun "$np" ${MPIRUN_ARGS:-}

mkdir -p "$out/raw"
rm -f "$out"/raw/*.json

# Memory ceiling probe: every rank copies a 64 MiB buffer at once (bytearray slice assignment is
# one memmove), as many ranks as the all-reduce has; prints each rank's copy rate in GB/s.
probe() {
  "${mpirun[@]}" --bind-to core "$py" -c '
import time
n = 64 << 20
a = bytearray(n); b = bytearray(b"\1") * n
for _ in range(3): b[:] = a
k = 20; t = time.perf_counter()
for _ in range(k): b[:] = a
print("%.3f" % (n * k / (time.perf_counter() - t) / 1e9))
' | tr '\n' ' '
}

variants=(mpi)
for a in $algos; do variants+=("own:$a"); done
: > "$out/raw/memcpy_probe.txt"
for ((rep = 1; rep <= repeats; ++rep)); do
  echo "memcpy $(probe)" >> "$out/raw/memcpy_probe.txt"
  for v in "${variants[@]}"; do
    name=${v#own:}
    echo "compare_own_mpi: repeat $rep/$repeats: $name" >&2
    own_bench_run "$bin" all_reduce "$v" "$out/raw/${name}_rep${rep}" -b 8 -e "$maxbytes" -f 2 \
      -n "$iters" -w "$warmup"
  done
  echo "memcpy $(probe)" >> "$out/raw/memcpy_probe.txt"
done

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here" "$py" - "$out" "$np" "$bin" "$algos" "$*" <<'PYEOF'
import glob, json, os, statistics, sys, time
from own_bench import load_samples

out, np, binary, algos, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(), sys.argv[5]
names = ["mpi"] + algos

# rows[name][bytes] -> list over repeats of (time_us_median, busbw, wrong), out-of-place rows.
rows, metas = {}, {}
for name in names:
    rows[name], metas[name] = load_samples(sorted(glob.glob(os.path.join(out, "raw", name + "_rep*.json"))))

probes = []
for line in open(os.path.join(out, "raw", "memcpy_probe.txt")):
    probes += [float(x) for x in line.split()[1:]]
# An all-reduce must at least read every input byte once and write every output byte once per
# rank (out of place: n bytes in, n out), which is exactly one memcpy of the buffer per rank; with
# all ranks copying at once each achieves `probe` GB/s, so algbw <= probe and, for 2 ranks,
# busbw = algbw * 2(n-1)/n <= probe * 2(n-1)/n.
ceiling = statistics.median(probes) * 2 * (np - 1) / np if probes else float("nan")

def med(xs): return statistics.median(xs) if xs else float("nan")

sizes = sorted(set().union(*[set(rows[n]) for n in names]))
table, wrong_total = [], 0
for b in sizes:
    entry = {"bytes": b}
    for n in names:
        samples = rows[n].get(b, [])
        wrong_total += sum(w for _, _, w in samples)
        entry[n] = {"time_us": med([t for t, _, _ in samples]),
                    "busbw_gbps": med([bw for _, bw, _ in samples]),
                    "busbw_min": min([bw for _, bw, _ in samples], default=float("nan")),
                    "busbw_max": max([bw for _, bw, _ in samples], default=float("nan")),
                    "repeats": len(samples)}
    own = [a for a in algos if entry[a]["repeats"]]
    best = min(own, key=lambda a: entry[a]["time_us"]) if own else None
    entry["best_own"] = best
    if best:
        entry["best_over_mpi_busbw"] = entry[best]["busbw_gbps"] / entry["mpi"]["busbw_gbps"] if entry["mpi"]["busbw_gbps"] else None
        entry["best_over_mpi_time"] = entry[best]["time_us"] / entry["mpi"]["time_us"]
        entry["best_pct_ceiling"] = 100.0 * entry[best]["busbw_gbps"] / ceiling
    table.append(entry)

def fmt_size(b):
    for unit, s in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= s: return "%g %s" % (b / s, unit)
    return "%d B" % b

lines = []
lines.append("# Own all_reduce algorithms vs %s, %d ranks, float sum, out of place" % (metas.get("mpi", {}).get("mpi_library", "MPI"), np))
lines.append("")
lines.append("busbw GB/s, median of %d repeats (range in the JSON); time us is the median per-call time;" % max(len(v) for n in names for v in rows[n].values()))
lines.append("ceiling = %.2f GB/s busbw (memcpy probe, %d ranks copying at once, median %.2f GB/s per rank)." % (ceiling, np, statistics.median(probes) if probes else float("nan")))
lines.append("")
hdr = "| size | " + " | ".join("%s busbw" % n for n in names) + " | best own | best/mpi busbw | best time/mpi time | best % ceiling | mpi us | best us |"
lines.append(hdr)
lines.append("|" + "---|" * (hdr.count("|") - 1))
for e in table:
    best = e["best_own"]
    cells = ["%.2f" % e[n]["busbw_gbps"] for n in names]
    lines.append("| %s | %s | %s | %s | %s | %s | %.2f | %s |" % (
        fmt_size(e["bytes"]), " | ".join(cells), best or "-",
        "%.2fx" % e["best_over_mpi_busbw"] if best and e.get("best_over_mpi_busbw") else "-",
        "%.2f" % e["best_over_mpi_time"] if best else "-",
        "%.0f%%" % e["best_pct_ceiling"] if best else "-",
        e["mpi"]["time_us"], "%.2f" % e[best]["time_us"] if best else "-"))

def sel(lo, hi): return [e for e in table if lo <= e["bytes"] <= hi and e["best_own"]]
targets = []
mid = sel(1 << 20, 4 << 20)
big = sel(64 << 20, 64 << 20)
small = sel(8, 1024)
if mid: targets.append(("best own >= 2x mpi busbw at 1-4 MiB", min(e["best_over_mpi_busbw"] for e in mid), 2.0, ">="))
if big: targets.append(("best own >= 4x mpi busbw at 64 MiB", min(e["best_over_mpi_busbw"] for e in big), 4.0, ">="))
# Smaller buffers live in the caches, where the memory ceiling does not apply.
beyond_cache = sel(16 << 20, 1 << 40)
if beyond_cache: targets.append(("best own >= 70% of the memory ceiling at its best size >= 16 MiB", max(e["best_pct_ceiling"] for e in beyond_cache), 70.0, ">="))
if small: targets.append(("best own time <= 1.2x mpi at 8 B - 1 KiB (worst size)", max(e["best_over_mpi_time"] for e in small), 1.2, "<="))
lines.append("")
lines.append("Targets (worst case over the sizes named):")
for what, val, goal, cmp in targets:
    ok = val >= goal if cmp == ">=" else val <= goal
    lines.append("- %s: %.2f -> %s" % (what, val, "met" if ok else "NOT met"))
lines.append("- wrong elements over every run: %d" % wrong_total)

meta = {"schema": "fabricbench.own_vs_mpi/1", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "scripts/compare_own_mpi.sh " + argv, "nranks": np, "algorithms": algos,
        "memcpy_probe_gbps_per_rank": probes, "ceiling_busbw_gbps": ceiling,
        "wrong_total": wrong_total, "load_average": open("/proc/loadavg").read().split()[:3],
        "run_meta": metas}
json.dump({"meta": meta, "table": table, "targets": [{"target": t, "value": v, "goal": g} for t, v, g, _ in targets]},
          open(os.path.join(out, "summary.json"), "w"), indent=1)
m = metas.get("mpi", {})
lines.append("")
lines.append("Machine: %s; binary %s; %s" % (json.dumps(m.get("machine", {}))[:400], binary, m.get("versions", "")))
open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PYEOF
