#!/usr/bin/env bash
# Training-job communication per step on InfiniBand (static D-mod-k), RoCEv2 + ECMP and RoCEv2 +
# adaptive routing for every job preset (fabricbench job; fabric_model/jobs/): aligned placement
# and, except at 1M GPUs, fragmented placement over SEEDS seeds. Except at 1M GPUs every run is
# also evaluated with FAILED_PERMILLE per mille (default 1, i.e. 0.1%) of the job network's
# switch-to-switch links failed (seeded, --failed-links; the count from fabricbench topo-size).
# Every run reports each fabric's network power (switches, optics, NICs; network_power.json).
# Writes the JSON (fabricbench.job/1) and printed tables under results/model/jobs/, then
# results/tables/training_jobs.md, a gnuplot plot (training_jobs.png, where gnuplot exists) and
# one headline line per preset (results/tables/training_jobs_headline.txt).
#
# Usage: scripts/job_comparison.sh [path/to/fabricbench] [results dir]
set -euo pipefail
BIN=${1:-${FABRICBENCH:-build/fabricbench}}
RES=${2:-results}
OUT=$RES/model/jobs
TABLES=$RES/tables
SEEDS=${SEEDS:-2}
FAILED_PERMILLE=${FAILED_PERMILLE:-1}
FABRICS=infiniband_ndr,roce_ecmp,roce_adaptive
mkdir -p "$OUT" "$TABLES"

# FAILED_PERMILLE per mille of the switch-to-switch links of job $1's network on topology $2
# (the cluster resized to the job's GPUs, as fabricbench job does), at least 1.
failed_links() {
  local gpus tmp
  gpus=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["gpus"])' \
    "fabric_model/jobs/$1.json")
  tmp=$(mktemp -u "${TMPDIR:-/tmp}/job_comparison_topo.XXXXXX.json")
  "$BIN" topo-size --topology "$2" --gpus "$gpus" --json "$tmp" > /dev/null
  python3 -c 'import json, sys
links = json.load(open(sys.argv[1]))["bill_of_materials"]["switch_links"]
print(max(1, round(links * float(sys.argv[2]) / 1000)))' "$tmp" "$FAILED_PERMILLE"
  rm -f "$tmp"
}

run() {  # name, then fabricbench job arguments
  local name=$1
  shift
  rm -f "$OUT/$name.json" "$OUT/$name.txt"
  local start end
  start=$(date +%s.%N)
  "$BIN" job "$@" --fabric "$FABRICS" --json "$OUT/$name.json" > "$OUT/$name.txt"
  end=$(date +%s.%N)
  printf 'command: fabricbench job %s --fabric %s\nscript wall time: %.1f s\n' "$*" "$FABRICS" \
    "$(echo "$end - $start" | bc -l)" | tee -a "$OUT/$name.txt"
}

total_start=$(date +%s.%N)
for job in llama3_405b_16k dense_100k_colossus deepseek_v3_moe_2k; do
  failed=$(failed_links "$job" colossus_like)
  run "${job}_aligned" --job "$job" --topology colossus_like --failed-links "$failed"
  run "${job}_fragmented" --job "$job" --topology colossus_like --placement fragmented \
    --seeds "$SEEDS" --failed-links "$failed"
done
# Healthy only: failures would double the script's longest run.
run dense_1m_aligned --job dense_1m --topology cluster_1m
total_end=$(date +%s.%N)

python3 - "$OUT" "$TABLES" <<'PY'
import glob, json, os, sys
out, tables = sys.argv[1], sys.argv[2]
runs = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    with open(path) as f:
        j = json.load(f)
    if j.get("schema") != "fabricbench.job/1":
        continue
    runs.append((os.path.basename(path)[:-5], j))
lines = ["# Training-job communication per step (fabricbench job)", "",
         "Every group of a kind (all DP groups' reduce-scatter of a bucket, all EP groups' "
         "all-to-all, ...) routed together and solved by the max-min flow solver on one fabric. "
         "Times per training step, per GPU, the slowest group setting each collective's time. "
         "With failures: the same job with a seeded set of failed switch-to-switch links (count "
         "in the table, about 0.1% of the job network's links; one set per seed): ECMP rehashes "
         "the flows of dead ports, InfiniBand's static routing is recomputed by the subnet "
         "manager, adaptive routing spreads over the live links (fabric_model/faults.h). The 1M-GPU "
         "run is healthy only. Network power: switches, optics and NICs of the job's network x "
         "per-device watts (fabric_model/power/network_power.json, every figure with its source).",
         "", "Overlap rule: " + (runs[0][1]["overlap_rule"] if runs else ""), "",
         "| run | GPUs | placement | seeds | fabric | TP ms | PP ms | EP ms | DP ms | comm ms/step "
         "| exposed ms | delivered/offered | vs best | failed links | with failures ms/step "
         "| x healthy | network MW |",
         "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
plot = []
headlines = []
for name, j in runs:
    per = {}
    for c in j["collectives"]:
        k = "dp" if c["kind"] in ("dp", "edp") else c["kind"]
        per.setdefault(c["fabric"], {}).setdefault(k, 0.0)
        per[c["fabric"]][k] += c["time_us_per_step"] / 1e3
    failed = j.get("faults", {}).get("failed_links", 0)
    for t in j["totals"]:
        p = per.get(t["fabric"], {})
        exp = t["exposed_time_us_per_step"]
        faulty = t.get("faulty_comm_time_us_per_step")
        mw = t.get("network_power_mw")
        lines.append("| %s | %d | %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %.3f | %.3f "
                     "| %s | %s | %s | %s |" % (
            name, j["job"]["gpus"], j["placement"], j["seeds"], t["fabric"], p.get("tp", 0),
            p.get("pp", 0), p.get("ep", 0), p.get("dp", 0), t["comm_time_us_per_step"] / 1e3,
            "-" if exp is None else "%.1f" % (exp / 1e3), t["throughput_fraction"],
            t["ratio_to_best"], failed if faulty is not None else "-",
            "-" if faulty is None else "%.1f" % (faulty / 1e3),
            "-" if faulty is None else "%.3f" % t["faulty_to_healthy"],
            "-" if mw is None else "%.2f" % mw))
        plot.append((name, t["fabric"], t["comm_time_us_per_step"] / 1e3,
                     (faulty if faulty is not None else t["comm_time_us_per_step"]) / 1e3))
    tot = {t["fabric"]: t["comm_time_us_per_step"] for t in j["totals"]}
    if "infiniband_ndr" in tot and tot["infiniband_ndr"] > 0:
        ib = tot["infiniband_ndr"]
        parts = ["%s %.2f" % (f, v / ib) for f, v in tot.items() if f != "infiniband_ndr"]
        line = "%s (%d GPUs, %s): step communication relative to InfiniBand NDR: %s" % (
            j["job"]["name"], j["job"]["gpus"], j["placement"], ", ".join(parts))
        fx = ["%s x%.2f" % (t["fabric"], t["faulty_to_healthy"]) for t in j["totals"]
              if t.get("faulty_to_healthy") is not None]
        if fx:
            line += "; with %d failed links: %s" % (j["faults"]["failed_links"], ", ".join(fx))
        pw = ["%s %.2f MW" % (t["fabric"], t["network_power_mw"]) for t in j["totals"]
              if t.get("network_power_mw") is not None]
        if pw:
            line += "; network power %s" % ", ".join(pw)
        headlines.append(line)
lines += ["", "## Headlines", ""] + ["- " + h for h in headlines]
lines += ["", "Sources of every preset value: fabric_model/jobs/*.json (\"sources\") and "
          "results/REFERENCES.md. Model approximations: the \"approximations\" list of each "
          "results/model/jobs/*.json."]
with open(os.path.join(tables, "training_jobs.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(tables, "training_jobs_headline.txt"), "w") as f:
    f.write("\n".join(headlines) + "\n")
with open(os.path.join(tables, "training_jobs.dat"), "w") as f:
    f.write("# run fabric comm_ms_per_step comm_ms_per_step_with_failures\n")
    for r in plot:
        f.write("%s %s %.3f %.3f\n" % r)
PY

if command -v gnuplot > /dev/null; then
  gnuplot <<GP
set terminal pngcairo size 1200,600
set output "$TABLES/training_jobs.png"
set title "Training step communication time per fabric, healthy and with failed links (fabricbench job)"
set ylabel "communication per step (ms)"
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set xtics rotate by -30
set key top left
plot "< awk '\$2==\"infiniband_ndr\"' $TABLES/training_jobs.dat" using 3:xtic(1) title "infiniband_ndr", \
     "< awk '\$2==\"infiniband_ndr\"' $TABLES/training_jobs.dat" using 4 title "infiniband_ndr, failed links", \
     "< awk '\$2==\"roce_ecmp\"' $TABLES/training_jobs.dat" using 3 title "roce_ecmp", \
     "< awk '\$2==\"roce_ecmp\"' $TABLES/training_jobs.dat" using 4 title "roce_ecmp, failed links", \
     "< awk '\$2==\"roce_adaptive\"' $TABLES/training_jobs.dat" using 3 title "roce_adaptive", \
     "< awk '\$2==\"roce_adaptive\"' $TABLES/training_jobs.dat" using 4 title "roce_adaptive, failed links"
GP
fi
cat "$TABLES/training_jobs_headline.txt"
printf 'job comparison wall time: %.1f s\n' "$(echo "$total_end - $total_start" | bc -l)"
