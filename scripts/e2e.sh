#!/usr/bin/env bash
# The end-to-end tests: the console and GraphiQL in a real headless browser
# (Debian's chromium, driven by playwright-core; the console's test drives a
# rep and a manager through a proposal and its decision, live, the admin's an
# admin through users, teams, KPIs and settings, both with axe-core
# accessibility checks at 375 px and desktop width) and the examples of examples/, against
# a kpiflow server built from this tree and started with the demo data on a
# free loopback port and a temporary SQLite database. Installs what is
# missing (chromium, jq, curl from Debian's packages when run as root; the
# npm packages of web/ and examples/ with npm ci). Always stops the server
# and removes its files.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "e2e.sh: $*"; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root" >&2
    exit 1
  fi
  say "installing ${missing[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for dir in web examples; do
  # npm ci only when the lock changed since the last install.
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    say "npm ci in $dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpiflow-e2e.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# KPIFLOW_E2E_GOFLAGS: flags of that build; scripts/test.sh passes -race,
# which reuses the packages its `go test -race` just compiled (and makes
# the server report data races).
say "building the server ${KPIFLOW_E2E_GOFLAGS:-}"
# shellcheck disable=SC2086
go build ${KPIFLOW_E2E_GOFLAGS:-} -o "$tmp/kpiflow" .

say "starting the server with the demo data"
# Port 0: the system picks a free port, and the server's log says which.
KPIFLOW_ENV=development "$tmp/kpiflow" serve --demo --addr 127.0.0.1:0 \
  --database-url "sqlite:$tmp/kpiflow.db" --log-format text >"$tmp/server.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 240); do
  url=$(sed -n 's#.*msg="kpiflow is serving" graphql=\(http://[^ ]*\)/graphql.*#\1#p' "$tmp/server.log" | head -1)
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    say "the server stopped:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$url" ] || ! curl -fsS --retry 10 --retry-delay 1 --retry-connrefused "$url/readyz" >/dev/null; then
  say "the server did not become ready:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
say "server ready at $url"

say "browser tests of the console and GraphiQL, then the examples (node --test web/e2e/)"
status=0
# Bounded: a browser left running would keep node waiting for ever.
KPIFLOW_URL=$url timeout --kill-after=10 420 node --test --test-concurrency=1 web/e2e/ || status=$?
pkill -f -- '--user-data-dir=.*kpiflow-chromium-' 2>/dev/null || true
if [ "$status" -eq 124 ]; then
  say "the browser tests did not end within 420 s" >&2
fi
# Ctrl-C (SIGINT, as `make run` gets it) stops the server cleanly: it
# drains, says "stopped" and exits 0 (and so does make run, which execs it).
if [ "$status" -eq 0 ]; then
  kill -INT "$pid" 2>/dev/null || true
  stopped=0
  wait "$pid" || stopped=$?
  pid=
  if [ "$stopped" -ne 0 ] || ! grep -q 'msg=stopped' "$tmp/server.log"; then
    say "the server did not stop cleanly on SIGINT (exit status $stopped)" >&2
    status=1
  else
    say "the server stopped cleanly on SIGINT"
  fi
fi
if [ "$status" -ne 0 ]; then
  say "FAILED; the server's log:" >&2
  tail -n 50 "$tmp/server.log" >&2
fi
exit "$status"
