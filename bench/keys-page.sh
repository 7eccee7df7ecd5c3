#!/usr/bin/env bash
# Benchmark of the organization API keys page and the API's list of keys: an
# organization with 100,000 keys (first page, and a deep page reached by following
# the cursors) against one with 10, on SQLite and on PostgreSQL. See bench/README.md.
#
#   bench/keys-page.sh                 # both databases
#   BENCH_DATABASES=sqlite bench/keys-page.sh
#
# Settings (environment):
#   BENCH_DATABASES   "sqlite postgres" (default) or one of them
#   BENCH_PG_URL      PostgreSQL server where a fresh database is created and dropped
#                     (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_KEYS        keys of the big organization (100000); the small one has BENCH_SMALL_KEYS (10)
#   BENCH_WARMUP      warm-up GETs per case (50)
#   BENCH_REQUESTS    timed GETs per case (300)
#   BENCH_DEEP_PAGE   the deep page of the big organization that is also timed, reached by
#                     following the Next links and next_cursor from the first (1000)
#   BENCH_OUT         a directory to keep the JSON results and the summary in (default: not kept)
#   BENCH_KEEP        1 keeps the temporary directory (SQLite file, server logs)
#   BENCH_ENFORCE     1 makes the script exit 1 when a big/small ratio is above 1.5
#   BENCH_SKIP_BUILD  1 skips `cargo build --release`
#   BENCH_PG_SET      diagnostic: space-separated name=value settings applied with ALTER
#                     DATABASE to the throwaway database, e.g. "synchronous_commit=off" or
#                     "plan_cache_mode=force_custom_plan"; the run is then labelled postgres-set
#   MONKEYCI_WORKERS  passed to the server (default: one worker per core)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/keys_page.py"
BIN="$ROOT/target/release/monkeyci-server"
PY="${PYTHON:-python3}"

DATABASES="${BENCH_DATABASES:-sqlite postgres}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
KEYS="${BENCH_KEYS:-100000}"
SMALL_KEYS="${BENCH_SMALL_KEYS:-10}"
WARMUP="${BENCH_WARMUP:-50}"
REQUESTS="${BENCH_REQUESTS:-300}"
DEEP_PAGE="${BENCH_DEEP_PAGE:-1000}"

WORK_NAME=monkeyci-keys-bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

run_one() { # $1 = label, $2 = DATABASE_URL
  log "[$1] starting the server"
  start_server "$1" "$2"
  log "[$1] seeding and measuring"
  "$PY" "$HELPER" run --label "$1" --base-url "$BASE_URL" --db-url "$2" --server-log "$SERVER_LOG" \
    --out "$WORK/result-$1.json" --big-keys "$KEYS" --small-keys "$SMALL_KEYS" \
    --warmup "$WARMUP" --requests "$REQUESTS" --deep-page "$DEEP_PAGE"
  stop_server
  RESULTS+=("$WORK/result-$1.json")
}

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "cargo build --release (no-op when up to date)"
  (cd "$ROOT" && cargo build --release --quiet --bin monkeyci-server)
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

RESULTS=()
started=$SECONDS
for db in $DATABASES; do
  case "$db" in
    sqlite)
      run_one sqlite "sqlite://$WORK/bench.db"
      ;;
    postgres)
      PG_DB="monkeyci_bench_$$_$RANDOM"
      log "[postgres] creating database $PG_DB"
      psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
      label=postgres
      for setting in ${BENCH_PG_SET:-}; do
        log "[postgres] ALTER DATABASE ... SET ${setting%%=*} = ${setting#*=}"
        psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" \
          -c "ALTER DATABASE \"$PG_DB\" SET ${setting%%=*} = '${setting#*=}'" >/dev/null
        label=postgres-set
      done
      run_one "$label" "$(pg_url_for "$PG_DB")"
      drop_pg_db
      ;;
    *)
      log "unknown database '$db' (use sqlite and/or postgres)"; exit 2 ;;
  esac
done
log "done in $((SECONDS - started))s"

summary_args=("${RESULTS[@]}")
[[ "${BENCH_ENFORCE:-0}" == 1 ]] && summary_args+=(--enforce)
set +e
"$PY" "$HELPER" summary "${summary_args[@]}" | tee "$WORK/summary.txt"
status=${PIPESTATUS[0]}
set -e
if [[ -n "${BENCH_OUT:-}" ]]; then
  mkdir -p "$BENCH_OUT"
  cp "${RESULTS[@]}" "$WORK/summary.txt" "$BENCH_OUT/"
  log "results in $BENCH_OUT"
fi
exit "$status"
