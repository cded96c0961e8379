#!/usr/bin/env bash
# `make run`: the private MariaDB in .local/mariadb (kept between runs),
# migrations, the demo data, and the server in the foreground. Ctrl-C (or
# SIGTERM) stops the server gracefully and then the database.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/default}
DB_DIR=.local/mariadb
LISTEN=${INCIDENTD_LISTEN:-127.0.0.1:50051}

scripts/db.sh start "$DB_DIR" >/dev/null
eval "$(scripts/db.sh env "$DB_DIR")"
export INCIDENTD_LISTEN="$LISTEN"
echo "run: MariaDB on 127.0.0.1:$INCIDENTD_MYSQL_PORT (data in $DB_DIR)"

server_pid=
stop() {
  trap - INT TERM EXIT
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  scripts/db.sh stop "$DB_DIR"
  echo "run: stopped"
}
trap stop INT TERM EXIT

"$BUILD_DIR/server/incidentd" migrate
"$BUILD_DIR/server/incidentd" &
server_pid=$!

ctl() { "$BUILD_DIR/client/incidentctl" --server="$LISTEN" "$@"; }
for _ in $(seq 1 100); do
  ctl health >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "run: the server exited" >&2; exit 1; }
  sleep 0.1
done
# Applying is idempotent (request ids), so a second `make run` adds nothing.
ctl apply $(for f in demo/*.json; do printf -- '-f %s ' "$f"; done) >/dev/null
echo "run: demo data loaded; serving on $LISTEN (Ctrl-C to stop)"
wait "$server_pid"
