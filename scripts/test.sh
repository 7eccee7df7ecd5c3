#!/usr/bin/env bash
# Runs every test of the project, installing first what a fresh machine lacks:
# Debian's chromium (browser tests), libpq (diesel's PostgreSQL driver), a running
# PostgreSQL, the diesel CLI (schema check) and the npm packages of tests/e2e.
#
# Then: formatting and lints, unit and integration tests on SQLite and PostgreSQL,
# the schema check, and the browser tests on SQLite and PostgreSQL.
#
#   TEST_DATABASE_URL   PostgreSQL where test databases are created and dropped
#                       (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export TEST_REQUIRE_POSTGRES=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v node >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
  step "starting PostgreSQL"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432
  # A fresh Debian cluster asks for a password over TCP: give the postgres role one.
  if ! psql "$TEST_DATABASE_URL" -qtc 'SELECT 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
    export TEST_DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
  fi
}

ensure_diesel_cli() {
  if command -v diesel >/dev/null && diesel --version | grep -q 'Version: 2\.3'; then return; fi
  step "installing the diesel CLI (a few minutes, once)"
  cargo install diesel_cli --version '^2.3' --no-default-features --features sqlite-bundled,postgres --locked
}

ensure_npm_packages() {
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
    step "installing the browser-test packages (npm ci)"
    (cd tests/e2e && npm ci --no-audit --no-fund)
    touch tests/e2e/node_modules
  fi
}

run_e2e_on_postgres() {
  local db="monkeyci_e2e_$$"
  local url="${TEST_DATABASE_URL%/*}/$db"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE \"$db\"" >/dev/null
  local status=0
  (cd tests/e2e && E2E_DATABASE_URL="$url" E2E_ARTIFACTS_SUFFIX=postgres npm test) || status=$?
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
  return $status
}

started=$(date +%s)
ensure_packages
ensure_postgres
export PATH="$HOME/.cargo/bin:$PATH"
ensure_diesel_cli
ensure_npm_packages

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test

step "schema.rs against the migrations"
./scripts/check-schema.sh

step "browser tests on SQLite"
cargo build --bin monkeyci-server
(cd tests/e2e && npm test)

step "browser tests on PostgreSQL"
run_e2e_on_postgres

step "all tests passed in $(( $(date +%s) - started )) s"
