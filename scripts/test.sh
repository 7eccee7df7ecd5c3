#!/usr/bin/env bash
# Runs every test of the project, installing first what a fresh machine lacks:
# Debian's chromium (browser tests), libpq (diesel's PostgreSQL driver), a running
# PostgreSQL, the diesel CLI (schema check), the npm packages of tests/e2e and
# PyPI's aiosmtpd (the SMTP server the mail tests talk to), in a venv of its own.
#
# Then: formatting and lints, unit and integration tests on SQLite and PostgreSQL,
# the schema check, and the browser tests on SQLite and PostgreSQL.
#
#   TEST_DATABASE_URL   PostgreSQL where test databases are created and dropped
#                       (default postgres://postgres@127.0.0.1:5432/postgres). When
#                       it is unset and the default cannot connect (a fresh Debian
#                       cluster wants a password over TCP), the script makes a role
#                       of its own, monkeyci_test, and uses that; it never changes a
#                       role it did not make. When it is set and cannot connect, the
#                       script stops and says what to set.
set -euo pipefail
cd "$(dirname "$0")/.."

# Whether the person chose the database (then it is theirs to fix if it fails).
user_database_url="${TEST_DATABASE_URL:-}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# The role this script makes when the default URL cannot connect: local, on
# 127.0.0.1 only, for throwaway test databases, so its password is no secret.
# The comment marks it as ours: a role of that name without it is left alone.
readonly TEST_ROLE=monkeyci_test
readonly TEST_ROLE_PASSWORD=monkeyci_test
readonly TEST_ROLE_COMMENT="made by monkeyci scripts/test.sh for its test databases"
readonly TEST_ROLE_URL="postgres://$TEST_ROLE:$TEST_ROLE_PASSWORD@127.0.0.1:5432/postgres"
export TEST_REQUIRE_POSTGRES=1
# Snapshot tests (insta) fail on a missing or changed snapshot and never write
# one here, on a developer's machine as in CI: accepting a snapshot is a
# deliberate step (cargo insta review, or INSTA_UPDATE=always cargo test).
export INSTA_UPDATE=no
unset INSTA_FORCE_PASS
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
}

# psql's error when it cannot run a query at $1; nothing when it can.
connection_error() {
  psql "$1" -X -qtAc 'SELECT 1' 2>&1 >/dev/null || true
}

# SQL on stdin, run as the cluster's superuser over Debian's local socket (peer
# auth), whatever PGHOST or PGUSER the caller has set.
psql_as_postgres() {
  as_root su postgres -c 'psql -X -qtA -v ON_ERROR_STOP=1 -h /var/run/postgresql -p 5432 -U postgres -d postgres'
}

# Makes sure TEST_DATABASE_URL connects: the person's URL as given, else the
# default, else a role of the project's own (made once, then reused).
ensure_database_access() {
  local error
  error=$(connection_error "$TEST_DATABASE_URL")
  [ -z "$error" ] && return
  if [ -n "$user_database_url" ]; then
    {
      echo "error: cannot connect with TEST_DATABASE_URL:"
      echo "  $error"
      echo "Set TEST_DATABASE_URL to a PostgreSQL URL whose role may create databases"
      echo "(CREATEDB), e.g. postgres://USER:PASSWORD@127.0.0.1:5432/postgres, or unset it"
      echo "to let this script make a role of its own ($TEST_ROLE) on the local server."
    } >&2
    exit 1
  fi
  if ! test_role_ready; then
    step "the default PostgreSQL URL cannot connect: preparing the role $TEST_ROLE"
    ensure_test_role
  fi
  error=$(connection_error "$TEST_ROLE_URL")
  if [ -n "$error" ] || ! test_role_ready; then
    {
      echo "error: the role $TEST_ROLE is not usable over TCP either:"
      echo "  ${error:-it connects but lacks CREATEDB, pg_read_server_files or pg_checkpoint}"
      echo "Allow password logins from 127.0.0.1 in pg_hba.conf, or set TEST_DATABASE_URL."
    } >&2
    exit 1
  fi
  export TEST_DATABASE_URL="$TEST_ROLE_URL"
}

# Whether the role connects and holds what ensure_test_role gives it (checked as
# the role itself, so a prepared machine needs no sudo).
test_role_ready() {
  local ready
  ready=$(psql "$TEST_ROLE_URL" -X -qtA 2>/dev/null <<'SQL' || true
SELECT rolcreatedb
   AND pg_has_role('pg_read_server_files', 'member')
   AND CASE WHEN current_setting('server_version_num')::int < 150000 THEN rolsuper
            ELSE pg_has_role('pg_checkpoint', 'member') END
  FROM pg_roles WHERE rolname = current_user
SQL
)
  [ "$ready" = t ]
}

test_role_is_ours() {
  [ "$(psql_as_postgres <<<"SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = '$TEST_ROLE'")" \
    = "$TEST_ROLE_COMMENT" ]
}

# Creates the role if there is none, refuses one this script did not make, and
# gives ours what the tests need: LOGIN and CREATEDB (each test makes and drops
# its database), pg_read_server_files (tests read server files with
# pg_read_binary_file) and pg_checkpoint (tests run CHECKPOINT). Memberships,
# not SUPERUSER: the tests need those two powers, not all of them. Before
# PostgreSQL 15 there is no pg_checkpoint and CHECKPOINT is for superusers only,
# so there, and only there, the role is made a superuser.
ensure_test_role() {
  local exists version
  exists=$(psql_as_postgres <<<"SELECT 1 FROM pg_roles WHERE rolname = '$TEST_ROLE'")
  if [ -z "$exists" ]; then
    psql_as_postgres >/dev/null <<SQL
BEGIN;
CREATE ROLE $TEST_ROLE;
COMMENT ON ROLE $TEST_ROLE IS '$TEST_ROLE_COMMENT';
COMMIT;
SQL
  elif ! test_role_is_ours; then
    {
      echo "error: a role named $TEST_ROLE exists but was not made by this script; it is left as it is."
      echo "Set TEST_DATABASE_URL to a PostgreSQL URL whose role may create databases."
    } >&2
    exit 1
  fi
  version=$(psql_as_postgres <<<"SHOW server_version_num")
  psql_as_postgres >/dev/null <<SQL
SET client_min_messages = warning;
ALTER ROLE $TEST_ROLE LOGIN CREATEDB PASSWORD '$TEST_ROLE_PASSWORD';
GRANT pg_read_server_files TO $TEST_ROLE;
SQL
  if [ "$version" -ge 150000 ]; then
    psql_as_postgres >/dev/null <<<"SET client_min_messages = warning; GRANT pg_checkpoint TO $TEST_ROLE;"
  else
    echo "PostgreSQL before 15 has no pg_checkpoint: making $TEST_ROLE a superuser for CHECKPOINT" >&2
    psql_as_postgres >/dev/null <<<"ALTER ROLE $TEST_ROLE SUPERUSER;"
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

# aiosmtpd in a venv under the user's cache (tests/fixtures/smtp_sink.py runs on
# it); the tests find it through TEST_SMTP_PYTHON. Debian's python3 needs its
# python3-venv package for `python3 -m venv`.
ensure_smtp_sink() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/monkeyci/smtp-venv"
  if ! "$venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
    step "installing aiosmtpd (the tests' SMTP server) into $venv"
    command -v python3 >/dev/null || apt_install python3
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      apt_install python3-venv
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd
  fi
  export TEST_SMTP_PYTHON="$venv/bin/python"
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
ensure_database_access
export PATH="$HOME/.cargo/bin:$PATH"
ensure_diesel_cli
ensure_npm_packages
ensure_smtp_sink

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
