"""Shared by compare_own_mpi.sh and tune_auto.sh: medians of fabricbench JSON runs, and the
`--algo auto` table (collectives/algo_auto_table.inc) generated from measured medians plus
hand-written defaults for the rank counts that were not measured.

CLI (tune_auto.sh): own_bench.py summarize OUT_DIR COMMAND_LINE
  reads OUT_DIR/raw/np<N>/<collective>__<variant>__rep<k>.json, writes OUT_DIR/summary.md,
  OUT_DIR/summary.json and OUT_DIR/algo_auto_table.inc, prints summary.md.
"""
import glob
import json
import math
import os
import re
import statistics
import sys
import time

# A measured size keeps the previous size's algorithm unless another one is more than this much
# faster (median time) there and at the next measured size, so timing noise between near-equal
# algorithms, or one preempted size, does not split the table into many small ranges.
SWITCH_MARGIN = 0.10

KIB, MIB = 1 << 10, 1 << 20
# Pieces of the pipelined chain algorithms (kChainPieceBytes in collectives/algo_tree_chain.h).
CHAIN_PIECE_BYTES = 256 * KIB


def load_samples(paths):
    """{bytes: [(time_us_median, busbw_gbps at that time, wrong), ...]} over the out-of-place
    rows of every file (one sample per file), and the last file's meta."""
    samples, meta = {}, {}
    for path in paths:
        doc = json.load(open(path))
        meta = doc.get("meta", {})
        for r in doc["results"]:
            if r.get("in_place"):
                continue
            t = r.get("time_us_median", r["time_us"])
            bw = r["busbw_gbps"] * r["time_us"] / t if t else 0.0
            samples.setdefault(r["bytes"], []).append((t, bw, r["wrong"]))
    return samples, meta


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fastest_ranges(times):
    """times: {algo: {bytes: median time us}}. Returns [(min_bytes, algo), ...]: the fastest
    algorithm per size (with SWITCH_MARGIN hysteresis), merged into ranges starting at 0."""
    # Zero bytes moves no data: its times are noise.
    sizes = sorted(b for b in set().union(*[set(t) for t in times.values()]) if b) if times else []
    have = [{a: t[b] for a, t in times.items() if b in t and not math.isnan(t[b])} for b in sizes]

    def beats(new, old, i):  # `new` clearly faster than `old` at sizes[i] (or old not measured)
        return old not in have[i] or (new in have[i] and
                                      have[i][old] > have[i][new] * (1 + SWITCH_MARGIN))

    ranges, cur = [], None
    for i, b in enumerate(sizes):
        if not have[i]:
            continue
        best = min(have[i], key=have[i].get)
        if cur is None:
            ranges.append([0, best])
            cur = best
        # A lone last size is not evidence enough.
        elif i + 1 < len(sizes) and best != cur and beats(best, cur, i) and beats(best, cur, i + 1):
            # Any boundary after the previous size fits the data: take a power of two if one is
            # there (sizes split into per-rank chunks are rounded down, e.g. 65532 for 64 KiB).
            p2 = 1 << (b.bit_length() - 1)
            ranges.append([p2 if p2 > sizes[i - 1] else b, best])
            cur = best
    return ranges


def _rank_bands():
    """Rank-count bands of the hand-written rooted defaults: (lo, hi) inclusive."""
    return [(3, 4), (5, 8), (9, 16), (17, 32), (33, 64), (65, 256), (257, 1024), (1025, 1 << 20)]


def chain_crossover_bytes(n):
    """Smallest message for which a pipelined chain beats a binomial tree on n ranks, alpha-beta
    model with bandwidth terms only: a binomial tree sends the whole message ceil(log2 n) times in
    sequence (time ~ ceil(log2 n) * m); a chain of n ranks with pieces of size P costs one message
    time plus (n-2) piece times (~ m + (n-2) P). The chain wins when m > (n-2) P / (ceil(log2 n) - 1),
    rounded up to a power of two here."""
    rounds = math.ceil(math.log2(n))
    if rounds <= 1:
        return None  # 2 ranks: one hop either way, the tree sends it as one message
    m = (n - 2) * CHAIN_PIECE_BYTES / (rounds - 1)
    return 1 << math.ceil(math.log2(m))


def default_rules():
    """Hand-written rows for rank counts without measured rows: (collective, lo, hi, min_bytes,
    max_bytes or None for kAnyBytes, algo, why)."""
    any_n = (1, 1 << 20)
    rules = [
        ("all_reduce", *any_n, 0, None, "shm", "one node: no messages at all"),
        ("all_reduce", *any_n, 0, 64 * KIB, "rhd", "2 log2 n steps (latency)"),
        ("all_reduce", *any_n, 64 * KIB, None, "ring", "neighbour traffic, pipelined"),
        # Recursive doubling and the ring move the same bytes per rank ((n-1)/n of the output);
        # rd needs log2 n steps instead of n-1, the ring only talks to neighbours, which maps onto
        # any topology without contention. Crossover as MPICH's ALLGATHER_LONG_MSG_SIZE.
        ("all_gather", *any_n, 0, 512 * KIB, "rd", "log2 n steps (latency)"),
        ("all_gather", *any_n, 512 * KIB, None, "ring", "neighbour traffic (bandwidth)"),
        # Recursive halving: log2 n steps, but non-power-of-two rank counts fold in pairs first
        # (one extra full-size step). MPICH's REDSCAT_COMMUTATIVE_LONG_MSG_SIZE.
        ("reduce_scatter", *any_n, 0, 512 * KIB, "rh", "log2 n steps (latency)"),
        ("reduce_scatter", *any_n, 512 * KIB, None, "ring", "neighbour traffic (bandwidth)"),
    ]
    for coll in ("broadcast", "reduce"):
        rules.append((coll, 1, 2, 0, None, "binomial", "one hop either way"))
        for lo, hi in _rank_bands():
            m = chain_crossover_bytes(hi)
            rules.append((coll, lo, hi, 0, m, "binomial", "ceil(log2 n) rounds (latency)"))
            rules.append((coll, lo, hi, m, None, "chain", "pipelined, m + (n-2) pieces"))
    return rules


def _bytes_expr(b):
    if b is None:
        return "kAnyBytes"
    for shift in (30, 20, 10):
        if b and b % (1 << shift) == 0:
            # size_t shifts: 2 GiB and more overflow int.
            return ("std::size_t{%d} << %d" if b >= 1 << 31 else "%d << %d") % (b >> shift, shift)
    return str(b)


def format_auto_table(measured, source):
    """measured: {(collective, nranks): [(min_bytes, algo), ...]} from fastest_ranges. Returns the
    text of algo_auto_table.inc: per collective, the measured rows (exact rank counts) before the
    defaults."""
    lines = [
        "// clang-format off",
        "// --algo auto: {collective, min_ranks, max_ranks, min_bytes, max_bytes (exclusive), algorithm}.",
        "// The first matching row whose algorithm is usable on the communicator wins (shm needs all",
        "// ranks on one node); no row: the first usable registered algorithm.",
        "// Generated by scripts/own_bench.py from %s." % source,
        "// Per collective: rows for the measured rank counts (fastest median time per size; switching",
        "// only when >%d%% faster at two consecutive sizes), then hand-written defaults for other" % round(SWITCH_MARGIN * 100),
        "// rank counts (own_bench.py default_rules: log-step algorithms for small messages, ring or",
        "// chain for large ones).",
    ]
    order = []
    for coll, *_ in default_rules():
        if coll not in order:
            order.append(coll)
    for coll, _ in sorted(measured):
        if coll not in order:
            order.append(coll)
    for coll in order:
        for (c, n), ranges in sorted(measured.items()):
            if c != coll:
                continue
            for i, (lo, algo) in enumerate(ranges):
                hi = ranges[i + 1][0] if i + 1 < len(ranges) else None
                lines.append('{"%s", %d, %d, %s, %s, "%s"},  // measured' %
                             (coll, n, n, _bytes_expr(lo), _bytes_expr(hi), algo))
        for c, lo, hi, mn, mx, algo, why in default_rules():
            if c == coll:
                lines.append('{"%s", %d, %s, %s, %s, "%s"},  // %s' %
                             (c, lo, "1 << 20" if hi == 1 << 20 else str(hi), _bytes_expr(mn),
                              _bytes_expr(mx), algo, why))
    return "\n".join(lines) + "\n"


def fmt_size(b):
    for unit, s in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", KIB)):
        if b >= s:
            return "%g %s" % (b / s, unit)
    return "%d B" % b


RAW_NAME = re.compile(r"(?P<coll>[a-z_]+)__(?P<variant>[a-z0-9_]+)__rep(?P<rep>\d+)\.json$")


def summarize(out, argv):
    """tune_auto.sh's summary: per rank count and collective, median time per variant and size,
    the fastest own algorithm, the table's choice and own/mpi; writes the auto table."""
    runs = {}  # (np, coll) -> {variant: [paths]}
    for path in sorted(glob.glob(os.path.join(out, "raw", "np*", "*.json"))):
        m = RAW_NAME.search(os.path.basename(path))
        if not m:
            continue
        np = int(os.path.basename(os.path.dirname(path))[2:])
        runs.setdefault((np, m["coll"]), {}).setdefault(m["variant"], []).append(path)

    measured, report, wrong_total, lines, metas = {}, [], 0, [], {}
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines.append("# Own algorithms per collective vs the MPI library: the --algo auto table")
    lines.append("")
    lines.append("Median per-call time in us (out of place, float sum) over the repeats; `pick` is the")
    lines.append("table's choice (fastest own with %d%% hysteresis), `pick/mpi` its time over MPI's." %
                 round(SWITCH_MARGIN * 100))
    for (np, coll), variants in sorted(runs.items()):
        med, reps = {}, 0
        for v, paths in variants.items():
            samples, meta = load_samples(paths)
            metas.setdefault(str(np), meta)
            reps = max(reps, len(paths))
            med[v] = {b: median([t for t, _, _ in s]) for b, s in samples.items()}
            wrong_total += sum(w for s in samples.values() for _, _, w in s)
        own = {v: t for v, t in med.items() if v != "mpi"}
        ranges = fastest_ranges(own)
        if len(own) > 1:
            measured[(coll, np)] = ranges
        names = ["mpi"] + sorted(own)
        lines.append("")
        lines.append("## %s, %d ranks (%d repeats)" % (coll, np, reps))
        lines.append("")
        lines.append("| size | " + " | ".join("%s us" % n for n in names) +
                     " | fastest own | pick | pick/mpi |")
        lines.append("|" + "---|" * (len(names) + 4))
        sizes = sorted(set().union(*[set(t) for t in med.values()]))
        for b in sizes:
            pick = None
            for lo, a in ranges:
                if b >= lo:
                    pick = a
            have = {a: t[b] for a, t in own.items() if b in t}
            best = min(have, key=have.get) if have else None
            mpi_t = med.get("mpi", {}).get(b)
            ratio = med[pick][b] / mpi_t if pick and mpi_t and b in med[pick] else None
            lines.append("| %s | %s | %s | %s | %s |" % (
                fmt_size(b), " | ".join("%.2f" % med[n][b] if b in med.get(n, {}) else "-"
                                        for n in names),
                best or "-", pick or "-", "%.2f" % ratio if ratio else "-"))
            report.append({"nranks": np, "collective": coll, "bytes": b, "pick": pick,
                           "fastest_own": best,
                           "time_us": {n: med[n][b] for n in names if b in med.get(n, {})}})
    lines.append("")
    lines.append("Wrong elements over every run: %d" % wrong_total)
    lines.append("Load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))

    source = "%s (%s; ranks %s)" % (argv, date, ",".join(sorted({str(n) for n, _ in runs})))
    open(os.path.join(out, "algo_auto_table.inc"), "w").write(format_auto_table(measured, source))
    json.dump({"meta": {"schema": "fabricbench.auto_tune/1", "date_utc": date, "command": argv,
                        "switch_margin": SWITCH_MARGIN, "wrong_total": wrong_total,
                        "load_average": open("/proc/loadavg").read().split()[:3],
                        "run_meta": metas},
               "rows": report,
               "measured_rules": [{"collective": c, "nranks": n, "ranges": r}
                                  for (c, n), r in sorted(measured.items())]},
              open(os.path.join(out, "summary.json"), "w"), indent=1)
    text = "\n".join(lines) + "\n"
    open(os.path.join(out, "summary.md"), "w").write(text)
    print(text)
    return 1 if wrong_total else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "summarize":
        sys.exit("usage: own_bench.py summarize OUT_DIR COMMAND_LINE")
    sys.exit(summarize(sys.argv[2], sys.argv[3]))
