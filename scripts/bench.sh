#!/usr/bin/env bash
# `make bench`: a Release build, a private MariaDB with production
# durability (fsync at every commit) in bench/out/db, every scenario
# program (build/release/bench/<area>/bench_<area>) pinned to the load CPUs,
# and the table. Everything lands in bench/out/ (git-ignored):
#   results.jsonl  the Result lines as the programs printed them
#   results.json   the same with the machine and the run, for tools
#   results.md     the table, also printed at the end
#   <program>.log  each program's stderr; incidentd-*.log the servers'
#
#   BENCH_MODE=quick (default, under 5 minutes) | full (longer and bigger)
#   BUILD_DIR      the Release build (default build/release)
#   BENCH_ONLY     run only these programs, e.g. "bench_read bench_micro"
#   INCIDENTD_BENCH_SERVER_CPUS / INCIDENTD_BENCH_LOAD_CPUS override the
#                  pinning (taskset -c lists, e.g. "2-3" and "0-1")
# A program that fails is reported and the others still run; the script
# then exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build/release}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
MODE=${BENCH_MODE:-quick}
OUT=$ROOT/bench/out
DB_DIR=$OUT/db
JOBS=${JOBS:-$(nproc)}

case "$MODE" in
  quick) quick=1; per_program_limit=240 ;;
  full)  quick=0; per_program_limit=3600 ;;
  *) echo "bench: BENCH_MODE must be quick or full, not '$MODE'" >&2; exit 2 ;;
esac

scripts/deps.sh

# Only what the benchmarks run: the server and every bench_* program.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
# Every bench_* target: the programs bench/<area>/bench_<area> and their
# helpers (bare servers...). With BENCH_ONLY, the programs not named there
# are left out (their helpers are not: they are cheap and may be shared).
mapfile -t targets < <(cmake --build "$BUILD_DIR" --target help |
  grep -oE '(^|[ .:])bench_[a-z0-9_]+' | grep -oE 'bench_[a-z0-9_]+' | sort -u)
programs=()
for t in "${targets[@]}"; do
  if [ -n "${BENCH_ONLY:-}" ] && [ -f "bench/${t#bench_}/CMakeLists.txt" ] &&
     [[ " $BENCH_ONLY " != *" $t "* ]]; then
    continue
  fi
  programs+=("$t")
done
[ ${#programs[@]} -gt 0 ] || { echo "bench: no bench_* targets" >&2; exit 1; }
echo "bench: building incidentd ${programs[*]} (Release, $BUILD_DIR)"
cmake --build "$BUILD_DIR" -j "$JOBS" --target incidentd "${programs[@]}"

# Fresh results; the database's data is kept (each program recreates its
# own databases).
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl "$OUT"/*.log "$OUT"/results.json "$OUT"/results.md

cleanup() { scripts/db.sh stop "$DB_DIR" || true; }
trap cleanup EXIT
# Production durability: no INCIDENTD_DB_FAST, whatever the caller's
# environment says. A server left running by an interrupted run is
# restarted so its settings are certainly these.
scripts/db.sh stop "$DB_DIR" >/dev/null 2>&1 || true
env -u INCIDENTD_DB_FAST scripts/db.sh start "$DB_DIR" >/dev/null
eval "$(scripts/db.sh env "$DB_DIR")"
db_sql() {
  mariadb --no-defaults --socket="$DB_DIR/mysqld.sock" -uroot -N -B -e "$1"
}
db_version=$(db_sql "SELECT VERSION()")
db_settings=$(db_sql "SELECT CONCAT(
  'innodb_flush_log_at_trx_commit=', @@innodb_flush_log_at_trx_commit,
  ', sync_binlog=', @@sync_binlog,
  ', innodb_doublewrite=', @@innodb_doublewrite,
  ', log_bin=', @@log_bin,
  ', innodb_buffer_pool_size=', @@innodb_buffer_pool_size DIV 1048576, 'M',
  ', isolation=', @@tx_isolation)")

# Servers and load generators on different CPUs where there are at least
# two: the upper half serves, the lower half loads. MariaDB is not pinned
# (it would be another machine in production; here it shares both halves).
cpus=$(nproc)
if [ -n "${INCIDENTD_BENCH_SERVER_CPUS:-}" ] && [ -n "${INCIDENTD_BENCH_LOAD_CPUS:-}" ]; then
  server_cpus=$INCIDENTD_BENCH_SERVER_CPUS
  load_cpus=$INCIDENTD_BENCH_LOAD_CPUS
elif command -v taskset >/dev/null && [ "$cpus" -ge 2 ]; then
  half=$((cpus / 2))
  load_cpus=$([ "$half" -eq 1 ] && echo 0 || echo "0-$((half - 1))")
  server_cpus=$([ "$half" -eq $((cpus - 1)) ] && echo "$half" || echo "$half-$((cpus - 1))")
else
  server_cpus=
  load_cpus=
fi
if [ -n "$load_cpus" ]; then
  pinning="servers on CPU $server_cpus, load generators on CPU $load_cpus (taskset), MariaDB unpinned"
  run_pinned() { taskset -c "$load_cpus" "$@"; }
else
  pinning="not pinned (taskset missing or fewer than 2 CPUs: $cpus)"
  run_pinned() { "$@"; }
fi

export INCIDENTD_BENCH_SERVER="$BUILD_DIR/server/incidentd"
export INCIDENTD_BENCH_OUT="$OUT"
export INCIDENTD_BENCH_QUICK=$quick
export INCIDENTD_BENCH_SERVER_CPUS=$server_cpus
export INCIDENTD_BENCH_LOAD_CPUS=$load_cpus

echo "bench: $MODE mode; MariaDB $db_version ($db_settings); $pinning"
# The scenario programs: bench/<area>/bench_<area> (other bench_* targets
# are their helpers, e.g. bare servers). The cheap ones first, then the
# scenarios in the issue's order, then any other area.
areas=(micro startup read write fanout)
for dir in "$BUILD_DIR"/bench/*/; do
  area=$(basename "$dir")
  [[ " ${areas[*]} " == *" $area "* ]] || areas+=("$area")
done

start=$SECONDS
failed=()
summary=()
for area in "${areas[@]}"; do
  name=bench_$area
  exe=$BUILD_DIR/bench/$area/$name
  [ -x "$exe" ] || continue
  if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $name "* ]]; then
    continue
  fi
  echo "bench: $name ..."
  t0=$SECONDS
  status=0
  # A hung program must not hang the run; its servers die with it
  # (PR_SET_PDEATHSIG in bench_common).
  run_pinned timeout --kill-after=10 "$per_program_limit" "$exe" \
    >"$OUT/$name.jsonl" 2>"$OUT/$name.log" || status=$?
  lines=$(grep -c . "$OUT/$name.jsonl" || true)
  cat "$OUT/$name.jsonl" >>"$OUT/results.jsonl"
  took=$((SECONDS - t0))
  if [ "$status" -ne 0 ]; then
    failed+=("$name")
    [ "$status" -eq 124 ] && why="timed out after ${per_program_limit}s" || why="exit $status"
    echo "bench: $name FAILED ($why, ${took}s, $lines results); the end of $OUT/$name.log:" >&2
    tail -15 "$OUT/$name.log" >&2 || true
    summary+=("$name=failed:$why:${took}s")
  else
    echo "bench: $name done (${took}s, $lines results)"
    summary+=("$name=ok:${took}s")
  fi
done
touch "$OUT/results.jsonl"
elapsed=$((SECONDS - start))

/usr/bin/python3 bench/report.py --out "$OUT" --mode "$MODE" \
  --pinning "$pinning" --db-version "$db_version" --db-settings "$db_settings" \
  --elapsed "$elapsed" "${summary[@]}"

if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]} (logs in $OUT)" >&2
  exit 1
fi
