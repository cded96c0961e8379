#!/usr/bin/env bash
# A private MariaDB server in a folder the project owns, for `make run` and
# `make test`. Nothing outside that folder is touched: no system service, no
# /etc/mysql, no /var/lib/mysql.
#
#   db.sh start DIR [PORT]   start (initialising DIR on first use); prints
#                            the port. Reuses DIR's data and port if present.
#   db.sh stop DIR           stop it cleanly (waits for shutdown)
#   db.sh env DIR            print INCIDENTD_MYSQL_* exports for DIR's server
#   db.sh status DIR         exit 0 when it answers
#
# The server listens on 127.0.0.1 only. The application user `incidentd`
# (password in DIR/password, made at init) owns every database, so tests can
# create and drop their own.
set -euo pipefail

die() { echo "db.sh: $*" >&2; exit 1; }
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: db.sh start|stop|env|status DIR [PORT]"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/mysqld.sock"
admin() { mariadb-admin --no-defaults --socket="$sock" -uroot "$@"; }
sql() { mariadb --no-defaults --socket="$sock" -uroot -e "$1"; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

alive() { admin ping >/dev/null 2>&1; }

case "$cmd" in
  start)
    if alive; then cat "$dir/port"; exit 0; fi
    if [ ! -d "$dir/data/mysql" ]; then
      mkdir -p "$dir/data"
      mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }
      head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/password"
      fresh=1
    fi
    port=${3:-}
    [ -n "$port" ] || { [ -f "$dir/port" ] && port=$(cat "$dir/port"); } || true
    [ -n "$port" ] || port=$(free_port)
    echo "$port" >"$dir/port"
    # Durability as in production (fsync at commit) unless the caller says
    # otherwise: INCIDENTD_DB_FAST=1 trades it for speed in throwaway runs.
    extra=()
    if [ "${INCIDENTD_DB_FAST:-0}" = 1 ]; then
      extra+=(--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --innodb-doublewrite=0)
    fi
    # setsid: Ctrl-C in the terminal must reach `make run`'s server, not
    # the database; the Makefile stops the database itself.
    setsid mariadbd --no-defaults --datadir="$dir/data" --socket="$sock" \
      --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
      --log-error="$dir/error.log" --user="$(id -un)" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
      --max-connections=500 --innodb-buffer-pool-size=256M \
      --transaction-isolation=READ-COMMITTED "${extra[@]}" \
      </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 300); do
      alive && break
      sleep 0.1
    done
    alive || { tail -20 "$dir/error.log" >&2; die "MariaDB did not start (see $dir/error.log)"; }
    if [ "${fresh:-0}" = 1 ]; then
      pw=$(cat "$dir/password")
      sql "CREATE USER 'incidentd'@'127.0.0.1' IDENTIFIED BY '$pw';
           CREATE USER 'incidentd'@'localhost' IDENTIFIED BY '$pw';
           GRANT ALL PRIVILEGES ON *.* TO 'incidentd'@'127.0.0.1';
           GRANT ALL PRIVILEGES ON *.* TO 'incidentd'@'localhost';
           CREATE DATABASE incidentd CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
    fi
    echo "$port"
    ;;
  stop)
    if alive; then
      admin shutdown || true
    fi
    if [ -f "$dir/mysqld.pid" ]; then
      pid=$(cat "$dir/mysqld.pid" 2>/dev/null || true)
      for _ in $(seq 1 300); do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    ;;
  env)
    [ -f "$dir/port" ] || die "no database in $dir"
    echo "export INCIDENTD_MYSQL_HOST=127.0.0.1"
    echo "export INCIDENTD_MYSQL_PORT=$(cat "$dir/port")"
    echo "export INCIDENTD_MYSQL_USER=incidentd"
    echo "export INCIDENTD_MYSQL_PASSWORD=$(cat "$dir/password")"
    echo "export INCIDENTD_MYSQL_DATABASE=incidentd"
    ;;
  status)
    alive
    ;;
  *) die "unknown command $cmd" ;;
esac
