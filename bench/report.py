#!/usr/bin/python3
"""Renders a benchmark run: bench/out/results.jsonl (the Result lines every
program printed, bench/common/bench_common.h) into results.json (results,
machine and run, for tools) and results.md (the table), and prints the
markdown. Called by scripts/bench.sh:

  report.py --out DIR --mode quick|full --pinning TEXT --db-version V
            --db-settings TEXT --elapsed SECONDS [PROGRAM=STATUS ...]

Only the standard library: it runs right after the build, on any machine.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

# The order; anything else after, in the order printed.
SCENARIO_ORDER = ["1", "2", "3", "4", "5", "6", "7", "micro"]
SCENARIO_TITLES = {
    "1": "read RPC at saturation",
    "2": "one read in flight",
    "3": "write path",
    "4": "fan-out, one server",
    "5": "fan-out across replicas",
    "6": "overload",
    "7": "start-up and memory",
}
REQUIRED = ("scenario", "name", "metric", "value", "unit")


def read_results(path):
    """The Result lines of results.jsonl, and the lines that were not."""
    results, bad = [], []
    if not os.path.exists(path):
        return results, bad
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                bad.append((number, line))
                continue
            if not isinstance(r, dict) or any(k not in r for k in REQUIRED):
                bad.append((number, line))
                continue
            results.append(r)
    return results, bad


def command(args):
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              check=False).stdout
    except OSError:
        return ""


def machine():
    """What the figures were taken on."""
    cpu_model, cores, threads = "", None, os.cpu_count()
    for line in command(["lscpu"]).splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Model name":
            cpu_model = value
        elif key == "Core(s) per socket":
            cores = int(value) if value.isdigit() else None
        elif key == "Socket(s)" and cores is not None and value.isdigit():
            cores *= int(value)
    mem_kib = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu_model": cpu_model or platform.processor() or "unknown",
        "cores": cores,
        "cpus": threads,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "hostname": platform.node(),
    }


def fmt_value(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


def with_unit(v, unit):
    text = fmt_value(v)
    return text if v is None or not unit else f"{text} {unit}"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def met_cell(r):
    if "met" not in r:
        return "—"
    return "yes" if r["met"] else "**no**"


def sort_key(indexed):
    index, r = indexed
    s = str(r.get("scenario", ""))
    rank = SCENARIO_ORDER.index(s) if s in SCENARIO_ORDER else len(SCENARIO_ORDER)
    return (rank, index)


def render_markdown(results, bad, run, mach):
    out = []
    out.append(f"# incidentd benchmarks ({run['mode']} mode)")
    out.append("")
    cores = mach["cores"]
    out.append(f"- date: {run['date']}")
    out.append(f"- machine: {mach['cpu_model']}; "
               f"{cores if cores is not None else '?'} cores, "
               f"{mach['cpus']} CPUs; {mach['memory_gib']} GiB; "
               f"Linux {mach['kernel']}")
    out.append(f"- pinning: {run['pinning']}")
    out.append(f"- MariaDB {run['db_version']}: {run['db_settings']}")
    out.append(f"- time: {run['elapsed_seconds']} s for the scenario programs "
               f"(build excluded)")
    programs = run.get("programs", {})
    if programs:
        out.append("- programs: " + ", ".join(
            f"{name} {status}" for name, status in programs.items()))
    out.append("")
    out.append("| scenario | figure | value | baseline | ratio | target | met |")
    out.append("|---|---|---|---|---|---|---|")
    ordered = [r for _, r in sorted(enumerate(results), key=sort_key)]
    for r in ordered:
        s = str(r["scenario"])
        scenario = f"{s} {SCENARIO_TITLES[s]}" if s in SCENARIO_TITLES else s
        baseline = ""
        if "baseline" in r:
            baseline = with_unit(r["baseline"], r.get("unit", ""))
            if r.get("baseline_name"):
                baseline += f" ({r['baseline_name']})"
        ratio = fmt_value(r["ratio"]) if "ratio" in r else ""
        out.append("| " + " | ".join(cell(c) for c in [
            scenario, r["name"], with_unit(r["value"], r.get("unit", "")),
            baseline, ratio, r.get("target", ""), met_cell(r)]) + " |")
    if not results:
        out.append("| — | no results | | | | | |")
    with_target = [r for r in results if "met" in r]
    missed = [r for r in with_target if not r["met"]]
    out.append("")
    out.append(f"Targets met: {len(with_target) - len(missed)} of "
               f"{len(with_target)}.")
    notes = [r for r in ordered if r.get("notes")]
    if notes:
        out.append("")
        out.append("## Notes")
        out.append("")
        for r in notes:
            out.append(f"- {r['scenario']} · {r['name']}: {r['notes']}")
    failed = {n: s for n, s in programs.items() if not s.startswith("ok")}
    if failed or bad:
        out.append("")
        out.append("## Problems")
        out.append("")
        for name, status in failed.items():
            out.append(f"- {name}: {status} (see its log in bench/out/)")
        for number, line in bad:
            out.append(f"- results.jsonl line {number} is not a Result: "
                       f"`{cell(line[:120])}`")
    return "\n".join(out) + "\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--mode", default="quick")
    p.add_argument("--pinning", default="unknown")
    p.add_argument("--db-version", default="unknown")
    p.add_argument("--db-settings", default="unknown")
    p.add_argument("--elapsed", type=int, default=0)
    p.add_argument("programs", nargs="*", metavar="PROGRAM=STATUS")
    args = p.parse_args(argv)

    results, bad = read_results(os.path.join(args.out, "results.jsonl"))
    run = {
        "date": datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M UTC"),
        "mode": args.mode,
        "pinning": args.pinning,
        "db_version": args.db_version,
        "db_settings": args.db_settings,
        "elapsed_seconds": args.elapsed,
        "programs": dict(s.split("=", 1) for s in args.programs if "=" in s),
    }
    mach = machine()
    with open(os.path.join(args.out, "results.json"), "w",
              encoding="utf-8") as f:
        json.dump({"run": run, "machine": mach, "results": results}, f,
                  indent=2, ensure_ascii=False)
        f.write("\n")
    markdown = render_markdown(results, bad, run, mach)
    with open(os.path.join(args.out, "results.md"), "w",
              encoding="utf-8") as f:
        f.write(markdown)
    sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
