#!/usr/bin/env bash
# make bench: the benchmark command (bench/) on SQLite, then on a throwaway
# PostgreSQL. Arguments pass through, e.g. scripts/bench.sh --deals 100000.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "## $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | awk '{print $3}')"
echo
go run ./bench "$@"
pgdir=$(scripts/pg.sh start)
trap 'scripts/pg.sh stop "$pgdir"' EXIT
go run ./bench --database-url "$(cat "$pgdir/url")" "$@"
