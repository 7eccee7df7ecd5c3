#!/usr/bin/env bash
# Checks that src/db/schema.rs is what `diesel print-schema` makes of the migrations,
# on SQLite (exactly) and on PostgreSQL (after naming its integer types as SQLite does:
# Int4 is diesel's Integer, Int8 its BigInt, Int2 its SmallInt).
#
# Needs the diesel CLI (scripts/test.sh installs it) and, for the PostgreSQL half,
# TEST_DATABASE_URL pointing at a server where databases may be created.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pg_db="monkeyci_schema_check_$$"
admin_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_url="${admin_url%/*}/$pg_db"
cleanup() {
  psql "$admin_url" -q -c "DROP DATABASE IF EXISTS \"$pg_db\"" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# An empty [print_schema] so that `migration run` does not rewrite src/db/schema.rs.
printf '[print_schema]\n' > "$work/diesel.toml"
diesel_cli() { diesel --config-file "$work/diesel.toml" "$@"; }

diesel_cli migration run --database-url "$work/check.db" --migration-dir migrations/sqlite >/dev/null
diesel_cli print-schema --database-url "$work/check.db" > "$work/sqlite.rs"
if ! diff -u src/db/schema.rs "$work/sqlite.rs"; then
  echo "src/db/schema.rs does not match migrations/sqlite (diff above: - file, + migrations)" >&2
  exit 1
fi

# The down migrations must undo the up migrations.
diesel_cli migration redo --all --database-url "$work/check.db" --migration-dir migrations/sqlite >/dev/null

psql "$admin_url" -q -c "CREATE DATABASE \"$pg_db\"" >/dev/null
diesel_cli migration run --database-url "$pg_url" --migration-dir migrations/postgres >/dev/null
diesel_cli migration redo --all --database-url "$pg_url" --migration-dir migrations/postgres >/dev/null
diesel_cli print-schema --database-url "$pg_url" \
  | sed -e 's/\bInt4\b/Integer/g' -e 's/\bInt8\b/BigInt/g' -e 's/\bInt2\b/SmallInt/g' -e 's/\bFloat8\b/Double/g' > "$work/postgres.rs"
if ! diff -u src/db/schema.rs "$work/postgres.rs"; then
  echo "migrations/postgres do not give the same schema as migrations/sqlite (diff above)" >&2
  exit 1
fi

# Same migration names in both folders.
if ! diff <(ls migrations/sqlite) <(ls migrations/postgres); then
  echo "migrations/sqlite and migrations/postgres must hold the same migration names" >&2
  exit 1
fi
echo "schema.rs matches the SQLite and PostgreSQL migrations"
