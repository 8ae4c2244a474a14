#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite and benchmarks.
#
#   scripts/pg.sh start   starts a cluster in a new temporary directory on a
#                         free loopback port and prints the directory; the
#                         connection URL is in DIR/url
#   scripts/pg.sh stop DIR  stops that cluster and removes its directory
#   scripts/pg.sh down DIR / up DIR  stops it and starts it again, kept
#
# initdb refuses to run as root, so as root the cluster runs as the postgres
# user. PostgreSQL is installed from Debian's packages when it is missing.
set -euo pipefail

find_bin() {
  if [ -n "${PGBIN:-}" ] && [ -x "$PGBIN/initdb" ]; then echo "$PGBIN"; return; fi
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local bin
  if ! bin=$(find_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "pg.sh: installing PostgreSQL from Debian's packages" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      bin=$(find_bin) || { echo "pg.sh: PostgreSQL is not installed" >&2; exit 1; }
    else
      echo "pg.sh: PostgreSQL is not installed (looked in /usr/lib/postgresql/*/bin)" >&2
      exit 1
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kpiflow-pg.XXXXXX")
  chmod 0755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
    echo "pg.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  local port tries=0
  while :; do
    port=$(( 20000 + RANDOM % 30000 ))
    if port_free "$port"; then
      if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
        -o "-p $port -h 127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null 2>&1; then
        break
      fi
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 10 ]; then
      echo "pg.sh: PostgreSQL did not start:" >&2; cat "$dir/data/server.log" >&2 || true
      rm -rf "$dir"; exit 1
    fi
  done
  echo "$bin" >"$dir/bin"
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" >"$dir/url"
  echo "$dir"
}

# down stops a cluster and keeps it; up starts it again on its port: for
# tests of what happens while the database is away.
down() {
  local dir=${1:?usage: pg.sh down DIR}
  # fast, not immediate: with synchronous_commit off, an immediate stop
  # would lose the last commits, which no test of an outage wants.
  as_pg "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

up() {
  local dir=${1:?usage: pg.sh up DIR}
  local port
  port=$(sed -E 's/.*:([0-9]+)\/.*/\1/' "$dir/url")
  as_pg "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
    -o "-p $port -h 127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
}

stop() {
  local dir=${1:?usage: pg.sh stop DIR}
  [ -d "$dir/data" ] || { echo "pg.sh: no cluster in $dir" >&2; exit 1; }
  as_pg "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  down) down "${2:-}" ;;
  up) up "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR | down DIR | up DIR" >&2; exit 2 ;;
esac
