#!/usr/bin/env bash
# Training-job communication per step on InfiniBand (static D-mod-k), RoCEv2 + ECMP and RoCEv2 +
# adaptive routing for every job preset (fabricbench job; fabric_model/jobs/): aligned placement
# and, except at 1M GPUs, fragmented placement over SEEDS seeds. Writes the JSON
# (fabricbench.job/1) and printed tables under results/model/jobs/, then
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
FABRICS=infiniband_ndr,roce_ecmp,roce_adaptive
mkdir -p "$OUT" "$TABLES"

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
run llama3_405b_16k_aligned --job llama3_405b_16k --topology colossus_like
run llama3_405b_16k_fragmented --job llama3_405b_16k --topology colossus_like \
  --placement fragmented --seeds "$SEEDS"
run dense_100k_colossus_aligned --job dense_100k_colossus --topology colossus_like
run dense_100k_colossus_fragmented --job dense_100k_colossus --topology colossus_like \
  --placement fragmented --seeds "$SEEDS"
run deepseek_v3_moe_2k_aligned --job deepseek_v3_moe_2k --topology colossus_like
run deepseek_v3_moe_2k_fragmented --job deepseek_v3_moe_2k --topology colossus_like \
  --placement fragmented --seeds "$SEEDS"
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
         "Healthy fabrics only: failed links and switches are not modelled yet.", "",
         "Overlap rule: " + (runs[0][1]["overlap_rule"] if runs else ""), "",
         "| run | GPUs | placement | seeds | fabric | TP ms | PP ms | EP ms | DP ms | comm ms/step "
         "| exposed ms | delivered/offered | vs best |",
         "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
plot = []
headlines = []
for name, j in runs:
    per = {}
    for c in j["collectives"]:
        k = "dp" if c["kind"] in ("dp", "edp") else c["kind"]
        per.setdefault(c["fabric"], {}).setdefault(k, 0.0)
        per[c["fabric"]][k] += c["time_us_per_step"] / 1e3
    for t in j["totals"]:
        p = per.get(t["fabric"], {})
        exp = t["exposed_time_us_per_step"]
        lines.append("| %s | %d | %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %.3f | %.3f |" % (
            name, j["job"]["gpus"], j["placement"], j["seeds"], t["fabric"], p.get("tp", 0),
            p.get("pp", 0), p.get("ep", 0), p.get("dp", 0), t["comm_time_us_per_step"] / 1e3,
            "-" if exp is None else "%.1f" % (exp / 1e3), t["throughput_fraction"],
            t["ratio_to_best"]))
        plot.append((name, t["fabric"], t["comm_time_us_per_step"] / 1e3))
    tot = {t["fabric"]: t["comm_time_us_per_step"] for t in j["totals"]}
    if "infiniband_ndr" in tot and tot["infiniband_ndr"] > 0:
        ib = tot["infiniband_ndr"]
        parts = ["%s %.2f" % (f, v / ib) for f, v in tot.items() if f != "infiniband_ndr"]
        headlines.append("%s (%d GPUs, %s): step communication relative to InfiniBand NDR: %s" % (
            j["job"]["name"], j["job"]["gpus"], j["placement"], ", ".join(parts)))
lines += ["", "## Headlines", ""] + ["- " + h for h in headlines]
lines += ["", "Sources of every preset value: fabric_model/jobs/*.json (\"sources\") and "
          "results/REFERENCES.md. Model approximations: the \"approximations\" list of each "
          "results/model/jobs/*.json."]
with open(os.path.join(tables, "training_jobs.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(tables, "training_jobs_headline.txt"), "w") as f:
    f.write("\n".join(headlines) + "\n")
with open(os.path.join(tables, "training_jobs.dat"), "w") as f:
    f.write("# run fabric comm_ms_per_step\n")
    for r in plot:
        f.write("%s %s %.3f\n" % r)
PY

if command -v gnuplot > /dev/null; then
  gnuplot <<GP
set terminal pngcairo size 1200,600
set output "$TABLES/training_jobs.png"
set title "Training step communication time per fabric (fabricbench job)"
set ylabel "communication per step (ms)"
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set xtics rotate by -30
set key top left
plot "< awk '\$2==\"infiniband_ndr\"' $TABLES/training_jobs.dat" using 3:xtic(1) title "infiniband_ndr", \
     "< awk '\$2==\"roce_ecmp\"' $TABLES/training_jobs.dat" using 3 title "roce_ecmp", \
     "< awk '\$2==\"roce_adaptive\"' $TABLES/training_jobs.dat" using 3 title "roce_adaptive"
GP
fi
cat "$TABLES/training_jobs_headline.txt"
printf 'job comparison wall time: %.1f s\n' "$(echo "$total_end - $total_start" | bc -l)"
