#!/usr/bin/env python3
"""Summarise a scripts/gpu_check.sh run directory into summary.json and summary.md.

usage: gpu_check_summary.py RUN_DIR COMMIT
Reads steps.tsv, nvidia_smi.csv, probes.json, gtest_*.json and nccl_*.json (fabricbench.results/1)
when present; a missing file becomes a line saying so, never an error.
"""
import csv
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rows_of(results):
    """Rows of a fabricbench.results/1 file, newest layout first, tolerant of variants."""
    if not results:
        return []
    return [r for r in results.get("results", []) if isinstance(r, dict)]


def main():
    run_dir, commit = sys.argv[1], sys.argv[2]
    summary = {"schema": "fabricbench.gpu_check/1", "commit": commit, "run_dir": run_dir}
    md = ["# GPU evidence run", ""]

    gpus = []
    smi = os.path.join(run_dir, "nvidia_smi.csv")
    if os.path.exists(smi):
        with open(smi) as f:
            for row in csv.reader(f, skipinitialspace=True):
                if len(row) >= 6:
                    gpus.append(dict(zip(
                        ["index", "name", "pci_bus_id", "driver", "memory", "compute_cap"], row)))
    summary["gpus"] = gpus
    md += ["Commit `%s`. GPUs (nvidia-smi):" % commit, ""]
    md += ["| index | name | PCI bus | driver | memory | cc |", "|---|---|---|---|---|---|"]
    md += ["| %s |" % " | ".join(g[k] for k in
           ["index", "name", "pci_bus_id", "driver", "memory", "compute_cap"]) for g in gpus]
    md.append("")

    steps = []
    tsv = os.path.join(run_dir, "steps.tsv")
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                steps.append({"step": parts[0], "status": parts[1],
                              "exit_code": parts[2] if len(parts) > 2 else "",
                              "note": parts[3] if len(parts) > 3 else ""})
    summary["steps"] = steps
    md += ["## Steps", "", "| step | status | exit | note |", "|---|---|---|---|"]
    md += ["| %s | %s | %s | %s |" % (s["step"], s["status"], s["exit_code"], s["note"])
           for s in steps]
    md.append("")

    probes = load(os.path.join(run_dir, "probes.json"))
    summary["probes"] = probes
    md += ["## Bandwidth probes (GB/s = 1e9 B/s, median)", ""]
    if probes:
        md += ["CUDA runtime %s, driver %s." % (probes.get("cuda_runtime"),
                                                probes.get("cuda_driver")), ""]
        md += ["| probe | device | peer | bytes | median us | GB/s | counted |",
               "|---|---|---|---|---|---|---|"]
        for p in probes.get("probes", []):
            md.append("| %s | %s | %s | %d | %.2f | %.1f | %s |" % (
                p["name"], p["device"], p["peer"] if p["peer"] >= 0 else "", p["bytes"],
                p["time_us_median"], p["gbps"], p["counted"]))
        md += ["", "### Reduce-kernel target (>= 90% of D2D copy, bytes read + written)", "",
               "| kernel | bytes | reduce GB/s | D2D copy GB/s | ratio | target | met |",
               "|---|---|---|---|---|---|---|"]
        for t in probes.get("targets", []):
            md.append("| %s | %d | %.1f | %.1f | %.3f | %.2f | %s |" % (
                t["what"], t["bytes"], t["reduce_gbps"], t["d2d_copy_gbps"], t["ratio"],
                t["target"], "yes" if t["met"] else "**no**"))
    else:
        md.append("No probes.json (the probe step failed or was skipped: see logs/probes.log).")
    md.append("")

    gtests = {}
    for name in ["gtest_gpu_kernels", "gtest_gpu_cpu_side"]:
        g = load(os.path.join(run_dir, name + ".json"))
        if g:
            gtests[name] = {k: g.get(k) for k in ["tests", "failures", "disabled", "errors"]}
    summary["gtest"] = gtests

    md += ["## NCCL sweeps", ""]
    nccl = {}
    for fname in sorted(os.listdir(run_dir)):
        if not (fname.startswith("nccl_") and fname.endswith(".json")):
            continue
        res = load(os.path.join(run_dir, fname))
        rows = rows_of(res)
        key = fname[:-5]
        wrong = sum(max(0, int(r.get("wrong", 0) or 0)) for r in rows)
        times = [r["time_us"] for r in rows if isinstance(r.get("time_us"), (int, float))]
        entry = {"rows": len(rows), "wrong_total": wrong}
        if times:
            # The latency floor: the smallest per-call time of the sweep (the small sizes, where
            # time no longer falls with size).
            entry["latency_floor_us"] = min(times)
        busbw = [r["busbw_gbps"] for r in rows if isinstance(r.get("busbw_gbps"), (int, float))]
        if busbw:
            entry["peak_busbw_gbps"] = max(busbw)
        if res:
            entry["meta"] = {k: res.get("meta", {}).get(k) for k in
                             ["backend", "device", "nranks", "nccl_version", "gpus", "cuda_graph"]}
        nccl[key] = entry
        md += ["### %s" % key, "",
               "%d rows, %d wrong elements%s%s." % (
                   len(rows), wrong,
                   ", latency floor %.2f us" % entry["latency_floor_us"] if times else "",
                   ", peak busbw %.1f GB/s" % entry["peak_busbw_gbps"] if busbw else ""), ""]
        if key.startswith("nccl_all_reduce") and rows:
            md += ["| bytes | variant | time us | algbw GB/s | busbw GB/s | wrong |",
                   "|---|---|---|---|---|---|"]
            for r in rows:
                md.append("| %s | %s | %s | %s | %s | %s |" % (
                    r.get("bytes"), "in-place" if r.get("in_place") else "out-of-place",
                    r.get("time_us"), r.get("algbw_gbps"), r.get("busbw_gbps"), r.get("wrong")))
            md.append("")
    if not nccl:
        md.append("No NCCL results (built without NCCL, or the sweeps failed: see logs/).")
    summary["nccl"] = nccl

    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    with open(os.path.join(run_dir, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("gpu_check: wrote %s/summary.json and summary.md" % run_dir)


if __name__ == "__main__":
    main()
