#!/usr/bin/env python3
"""Summarizes a bench/run_vs_ganesha.sh run: medians per workload and server,
ratios elfs/Ganesha against the targets of issue 7, and elfs as a fraction of
the machine's ceilings. Usage: summarize.py OUT_DIR (prints Markdown)."""
import json
import statistics
import sys
from collections import defaultdict

# workload -> (metric field, unit, target ratio elfs/Ganesha)
METRICS = {
    "seqwrite_sync": ("mb_per_s", "MB/s", 1.2),
    "seqwrite_unstable": ("mb_per_s", "MB/s", 1.2),
    "seqread": ("mb_per_s", "MB/s", 1.2),
    "randread": ("ops_per_s", "IOPS", 1.2),
    "randwrite": ("ops_per_s", "IOPS", 1.2),
    "create": ("ops_per_s", "files/s", 2.0),
    "stat": ("ops_per_s", "ops/s", 2.0),
    "remove": ("ops_per_s", "ops/s", 2.0),
    "readdir": ("entries_per_s", "entries/s", 2.0),
    "lock": ("ops_per_s", "cycles/s", 2.0),
    "connect": ("ops_per_s", "mounts/s", 1.2),
}


def main(out):
    runs = defaultdict(list)
    failed = defaultdict(int)
    for line in open(f"{out}/results.jsonl"):
        d = json.loads(line)
        if not d.get("ok"):
            failed[(d["workload"], d["server"])] += 1
            continue
        runs[(d["workload"], d["server"])].append(d)
    ceil = json.load(open(f"{out}/ceilings.json"))

    def med(w, s, field):
        v = [r[field] for r in runs.get((w, s), [])]
        return statistics.median(v) if v else None

    def fmt(v, nd=1):
        return "—" if v is None else f"{v:,.{nd}f}"

    def cpu_per_op(w, s):
        v = [r["server_cpu_s"] * 1e6 / r["ops"] for r in runs.get((w, s), [])
             if r.get("server_cpu_s", -1) >= 0 and r["ops"]]
        return statistics.median(v) if v else None

    print("| workload | unit | elfs | Ganesha | elfs/Ganesha | target | elfs p50 / p99 µs"
          " | Ganesha p50 / p99 µs | server CPU µs/op elfs / Ganesha | n |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    seen = [w for w in METRICS if any(k[0] == w for k in runs) or any(k[0] == w for k in failed)]
    for w in seen:
        field, unit, target = METRICS[w]
        e, g = med(w, "elfs", field), med(w, "ganesha", field)
        ratio = e / g if e and g else None
        mark = "" if ratio is None else (" ✓" if ratio >= target else " ✗")
        n = f"{len(runs.get((w, 'elfs'), []))}/{len(runs.get((w, 'ganesha'), []))}"
        fails = [s for s in ("elfs", "ganesha") if failed.get((w, s))]
        if fails:
            n += " (failed: " + ", ".join(fails) + ")"
        print(f"| {w} | {unit} | {fmt(e)} | {fmt(g)} | {fmt(ratio, 2)}{mark} | ≥{target} "
              f"| {fmt(med(w, 'elfs', 'p50_us'))} / {fmt(med(w, 'elfs', 'p99_us'))} "
              f"| {fmt(med(w, 'ganesha', 'p50_us'))} / {fmt(med(w, 'ganesha', 'p99_us'))} "
              f"| {fmt(cpu_per_op(w, 'elfs'))} / {fmt(cpu_per_op(w, 'ganesha'))} | {n} |")
    e, g = med("hold", "elfs", "server_kib_per_conn"), med("hold", "ganesha", "server_kib_per_conn")
    if e is not None or g is not None:
        print()
        print(f"Server memory per idle connection with a session (hold, RSS growth): "
              f"elfs {fmt(e)} KiB, Ganesha {fmt(g)} KiB (target for elfs: < 64 KiB).")
    print()
    tcp = ceil["loopback_tcp_gbit_per_s"] * 1e9 / 8 / 1e6
    disk = ceil.get("disk_fdatasync_8jobs_mb_per_s") or ceil["disk_dsync_1mib_mb_per_s"]
    print(f"Ceilings: loopback TCP {ceil['loopback_tcp_gbit_per_s']} Gbit/s "
          f"({tcp:,.0f} MB/s, iperf3, one stream); disk "
          f"{ceil['disk_dsync_1mib_mb_per_s']:,.1f} MB/s (dd, 1 MiB writes, O_DSYNC, one stream), "
          f"{ceil.get('disk_fdatasync_8jobs_mb_per_s', '—')} MB/s (fio, 8 streams of 1 MiB "
          "writes + fdatasync; the ceiling used below when measured).")
    print()
    print("| | elfs | Ganesha | target (elfs) |")
    print("|---|---:|---:|---:|")
    for w, ceiling, name, target in (("seqread", tcp, "seqread / loopback TCP", "≥ 60%"),
                                     ("seqwrite_sync", disk, "seqwrite FILE_SYNC / disk", "≥ 80%")):
        e, g = med(w, "elfs", "mb_per_s"), med(w, "ganesha", "mb_per_s")
        pct = lambda v: "—" if v is None else f"{100 * v / ceiling:.0f}%"
        print(f"| {name} | {pct(e)} | {pct(g)} | {target} |")


if __name__ == "__main__":
    main(sys.argv[1])
