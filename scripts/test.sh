#!/usr/bin/env bash
# The whole test suite, on SQLite and PostgreSQL alike, then the
# end-to-end tests (scripts/e2e.sh). Without
# KPIFLOW_TEST_DATABASE_URL it starts a throwaway PostgreSQL for the run.
# In CI (CI=true) a PostgreSQL that cannot start fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KPIFLOW_TEST_DATABASE_URL:-}" ]; then
  if pgdir=$(scripts/pg.sh start); then
    trap 'scripts/pg.sh stop "$pgdir"' EXIT
    KPIFLOW_TEST_DATABASE_URL=$(cat "$pgdir/url")
    export KPIFLOW_TEST_DATABASE_URL
    echo "test.sh: PostgreSQL at $KPIFLOW_TEST_DATABASE_URL"
  elif [ "${CI:-}" = true ]; then
    echo "test.sh: PostgreSQL could not start, and CI requires it" >&2
    exit 1
  else
    echo "test.sh: WARNING: PostgreSQL could not start; the PostgreSQL half of the suite will not run" >&2
  fi
fi

# Progress as it goes: every test's result when it ends, then a summary
# (gotestsum, pinned in go.mod, reads go test's JSON events).
echo "test.sh: go test -race ./... ($(nproc) cores); each test's result as it ends"
go tool gotestsum --format testname --format-hide-empty-pkg -- -race -count=1 -timeout 20m "$@" ./...

# The page at / in a real browser, and the examples of examples/, against
# a demo server (installs chromium and the npm packages when missing).
echo "test.sh: end-to-end tests (scripts/e2e.sh)"
KPIFLOW_E2E_GOFLAGS=-race scripts/e2e.sh
