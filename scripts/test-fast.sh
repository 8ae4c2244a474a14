#!/usr/bin/env bash
# The inner loop: the suite on SQLite only, without the race detector,
# skipping the tests that seed large organizations (-short). make test is
# the whole suite, as CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
unset KPIFLOW_TEST_DATABASE_URL CI
echo "test-fast.sh: go test -short ./... on SQLite only, no race detector"
go tool gotestsum --format pkgname --format-hide-empty-pkg --hide-summary=skipped -- -short -count=1 -timeout 10m "$@" ./...
