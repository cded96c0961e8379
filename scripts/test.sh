#!/usr/bin/env bash
# `make test`: a throwaway MariaDB on a free port, every test through ctest,
# then the database is stopped and removed. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build/default}
DB_DIR=$(mktemp -d /tmp/incidentd-test-db.XXXXXX)

cleanup() {
  "$ROOT/scripts/db.sh" stop "$DB_DIR" || true
  rm -rf "$DB_DIR"
}
trap cleanup EXIT

# Throwaway data: no fsync per commit. Benchmarks use production settings.
INCIDENTD_DB_FAST=1 scripts/db.sh start "$DB_DIR" >/dev/null
eval "$(scripts/db.sh env "$DB_DIR")"
export INCIDENTD_SCRIPTS_DIR="$PWD/scripts"

cd "$BUILD_DIR"
ctest --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 300 "$@"
