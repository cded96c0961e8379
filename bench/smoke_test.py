#!/usr/bin/python3
"""The ctest `bench_smoke`: runs every bench program given with --smoke
against the MariaDB that `make test` starts (INCIDENTD_MYSQL_*), with the
rest of the runner's environment set here, and fails unless each exits 0
and prints at least one valid Result line (bench/common/bench_common.h) and
nothing else on stdout. Benchmarks are not tests: no figure is judged.

  smoke_test.py --server PATH/incidentd PROGRAM...

A program is bench/<area>/bench_<area>; a helper it spawns (a bare
baseline server, bench/<area>/bench_bare_*) is skipped when it sits beside
its program, so `build/bench/*/bench_*` can be passed as it is.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

REQUIRED = {"scenario": str, "name": str, "metric": str, "unit": str}
OPTIONAL = {"baseline_name": str, "target": str, "notes": str, "met": bool}
NUMBERS = ("value", "baseline", "ratio")


def problems_of(line):
    """Why `line` is not a Result line; empty when it is one."""
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        return [f"not JSON ({e})"]
    if not isinstance(r, dict):
        return ["not a JSON object"]
    out = []
    for key, kind in REQUIRED.items():
        if not isinstance(r.get(key), kind) or not r.get(key):
            out.append(f"{key} missing or not a non-empty {kind.__name__}")
    for key, kind in OPTIONAL.items():
        if key in r and not isinstance(r[key], kind):
            out.append(f"{key} is not a {kind.__name__}")
    value = r.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        out.append("value missing or not a finite number")
    for key in NUMBERS[1:]:
        if key in r and r[key] is not None and (
                isinstance(r[key], bool) or not isinstance(r[key], (int, float))):
            out.append(f"{key} is not a number")
    unknown = set(r) - set(REQUIRED) - set(OPTIONAL) - set(NUMBERS)
    if unknown:
        out.append(f"unknown fields {sorted(unknown)}")
    return out


def is_helper(program):
    """Whether `program` is a helper of the program beside it: in
    bench/<area>/, anything but bench_<area> when bench_<area> is there."""
    folder = os.path.dirname(os.path.abspath(program))
    own = os.path.join(folder, "bench_" + os.path.basename(folder))
    return os.path.abspath(program) != own and os.path.exists(own)


def run_one(program, env, timeout):
    name = os.path.basename(program)
    started = time.monotonic()
    try:
        proc = subprocess.run([program, "--smoke"], env=env,
                              capture_output=True, text=True, timeout=timeout,
                              check=False)
    except OSError as e:
        return [f"{name}: cannot run it ({e}); is it built?"]
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else e.stderr
        return [f"{name}: still running after {timeout} s; stderr:\n"
                f"{(err or '')[-3000:]}"]
    took = time.monotonic() - started
    failures = []
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    if proc.returncode != 0:
        failures.append(f"{name}: exit {proc.returncode}")
    if not lines:
        failures.append(f"{name}: printed no Result line")
    for number, line in enumerate(lines, 1):
        for p in problems_of(line):
            failures.append(f"{name}: stdout line {number}: {p}: {line[:200]}")
    print(f"{name} --smoke: {len(lines)} result line(s), exit "
          f"{proc.returncode}, {took:.1f} s")
    if failures:
        sys.stderr.write(f"--- {name} stderr (end) ---\n"
                         f"{proc.stderr[-3000:]}\n")
    return failures


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True, help="the incidentd binary")
    p.add_argument("--timeout", type=int, default=120,
                   help="seconds each program may take")
    p.add_argument("programs", nargs="+")
    args = p.parse_args(argv)

    missing = [v for v in ("INCIDENTD_MYSQL_HOST", "INCIDENTD_MYSQL_PORT",
                           "INCIDENTD_MYSQL_USER", "INCIDENTD_MYSQL_PASSWORD")
               if v not in os.environ]
    if missing:
        # Like every database test: fail, never skip, without the database.
        sys.stderr.write(f"{', '.join(missing)} not set: run through "
                         "`make test`, which starts the database\n")
        return 1

    programs = [p for p in args.programs if not is_helper(p)]
    for p in args.programs:
        if p not in programs:
            print(f"{os.path.basename(p)}: skipped (a helper of "
                  f"{os.path.basename(os.path.dirname(os.path.abspath(p)))}'s "
                  "program)")
    if not programs:
        sys.stderr.write("no bench program among the arguments\n")
        return 1

    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="incidentd-bench-smoke-") as out:
        env = dict(os.environ)
        env.update({
            "INCIDENTD_BENCH_SERVER": args.server,
            "INCIDENTD_BENCH_OUT": out,
            "INCIDENTD_BENCH_QUICK": "1",
            # Tests run beside other tests: nothing is pinned.
            "INCIDENTD_BENCH_SERVER_CPUS": "",
            "INCIDENTD_BENCH_LOAD_CPUS": "",
        })
        for program in programs:
            failures += run_one(program, env, args.timeout)
    print(f"{len(programs)} program(s) in {time.monotonic() - started:.1f} s")
    for f in failures:
        sys.stderr.write(f"FAIL {f}\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
