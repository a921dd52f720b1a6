"""compare_results.py FULL PART RESUMED: RESUMED (a run continued with --resume from the
interrupted PART) must equal FULL (the same sweep uninterrupted) in every row field except the
measured timings, start with PART's rows unchanged (they were not measured again), and be
complete. Exits non-zero with the first difference."""
import json
import sys

TIMING = {"time_us", "algbw_gbps", "busbw_gbps", "time_us_min", "time_us_median",
          "time_us_mean", "time_us_max", "time_us_p99", "rank_time_us", "per_iter"}
# Run metadata that differs between any two runs (when, which pids) or names the resume.
RUN_META = {"start_time", "command_line", "ranks", "resumed_from", "machine"}


def fail(msg):
    print("compare_results:", msg)
    sys.exit(1)


full, part, resumed = (json.load(open(p)) for p in sys.argv[1:4])
if part["complete"] is not False:
    fail("the interrupted document is not marked incomplete")
if resumed["complete"] is not True or resumed["summary"]["complete"] is not True:
    fail("the resumed document is not complete")
if len(resumed["results"]) != len(full["results"]):
    fail(f"{len(resumed['results'])} rows resumed, {len(full['results'])} uninterrupted")
n_part = len(part["results"])
if not 0 < n_part < len(full["results"]):
    fail(f"the interrupted run holds {n_part} rows: not mid-sweep")
for i, (a, b) in enumerate(zip(full["results"], resumed["results"])):
    if a.keys() != b.keys():
        fail(f"row {i}: fields {sorted(a)} vs {sorted(b)}")
    for k in a:
        if k not in TIMING and a[k] != b[k]:
            fail(f"row {i}: {k} = {a[k]!r} uninterrupted, {b[k]!r} resumed")
for i, (a, b) in enumerate(zip(part["results"], resumed["results"])):
    if a != b:
        fail(f"row {i} of the interrupted run changed when resumed: {a} -> {b}")
for k in set(full["meta"]) | set(resumed["meta"]):
    if k in RUN_META:
        continue
    if full["meta"].get(k) != resumed["meta"].get(k):
        fail(f"meta.{k}: {full['meta'].get(k)!r} vs {resumed['meta'].get(k)!r}")
for k in ("wrong_total", "out_of_bounds", "complete"):
    if full["summary"][k] != resumed["summary"][k]:
        fail(f"summary.{k}: {full['summary'][k]} vs {resumed['summary'][k]}")
# The summary is over every row, resumed ones included: recompute it from the rows.
busbw = [r["busbw_gbps"] for r in resumed["results"]]
if abs(resumed["summary"]["avg_busbw_gbps"] - sum(busbw) / len(busbw)) > 1e-9 * max(busbw):
    fail("summary.avg_busbw_gbps is not the mean over all rows")
if abs(resumed["summary"]["peak_busbw_gbps"] - max(busbw)) > 1e-12:
    fail("summary.peak_busbw_gbps is not the peak over all rows")
print(f"ok: {len(full['results'])} rows equal apart from timings; {n_part} kept from the "
      f"interrupted run")
