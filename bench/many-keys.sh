#!/usr/bin/env bash
# Benchmark of many distinct API keys against one instance (issue #16, targets 2, 4 and 5):
# 10,000 keys in use (throughput against one key, memory per cached key, the first use of
# all of them while a hot key keeps calling), introspection of one key and of 10,000, and
# the cold start of an instance with 1,000 keys in use. See bench/README.md.
#
#   bench/many-keys.sh                        # SQLite, then PostgreSQL (~8 minutes each)
#   BENCH_DATABASES=sqlite bench/many-keys.sh
#
# Settings (environment):
#   BENCH_DATABASES       "sqlite postgres" (default) or one of them
#   BENCH_PG_URL          PostgreSQL server for the throwaway database
#   BENCH_KEYS            distinct keys (10000)
#   BENCH_COLD_KEYS       keys in use for the cold start (1000)
#   BENCH_THREADS / BENCH_CONNECTIONS / BENCH_DURATION / BENCH_ROUNDS
#                         wrk threads (2), connections (64), seconds per run (10), rounds (3)
#   BENCH_COLD_DURATION   seconds of load on the cold instance (30)
#   BENCH_OUT_DIR         where the summary goes (bench/results)
#   BENCH_KEEP            1 keeps the temporary directory (tokens, logs, JSON)
#   BENCH_SKIP_BUILD      1 skips `cargo build --release`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/api_auth.py"
MANY="$ROOT/bench/many_keys.py"
BIN="${BENCH_BIN:-$ROOT/target/release/monkeyci-server}"
PY="${PYTHON:-python3}"
DATABASES="${BENCH_DATABASES:-sqlite postgres}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
KEYS="${BENCH_KEYS:-10000}"
COLD_KEYS="${BENCH_COLD_KEYS:-1000}"
COLD_DURATION="${BENCH_COLD_DURATION:-30}"
OUT_DIR="${BENCH_OUT_DIR:-$ROOT/bench/results}"
WRK_ARGS=(--threads "${BENCH_THREADS:-2}" --connections "${BENCH_CONNECTIONS:-64}"
  --duration "${BENCH_DURATION:-10}" --rounds "${BENCH_ROUNDS:-3}")
INTROSPECTION_CLIENT="bench:bench-introspection-secret-0123456789abcdef"
# Every request comes from 127.0.0.1, which stands for many clients here (bench/README.md).
NO_LIMIT=MONKEYCI_API_FAILURES_PER_MINUTE=1000000

WORK_NAME=monkeyci-many-keys
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

run_one() { # $1 = label, $2 = DATABASE_URL
  local label="$1" url="$2" started
  log "[$label] starting the server"
  start_server "$label" "$url" MONKEYCI_INTROSPECTION_CLIENTS="$INTROSPECTION_CLIENT" "$NO_LIMIT"
  "$PY" "$MANY" seed --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --work "$WORK" \
    --db-url "$url" --keys "$KEYS" --tokens "$WORK/tokens-$label.txt" --hot-token "$WORK/hot-$label.txt"
  # A new process, so that the seeding's work (one argon2 hash, the copy) is not in the figures.
  stop_server
  start_server "$label" "$url" MONKEYCI_INTROSPECTION_CLIENTS="$INTROSPECTION_CLIENT" "$NO_LIMIT"
  "$PY" "$MANY" run --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --work "$WORK" "${WRK_ARGS[@]}" \
    --tokens "$WORK/tokens-$label.txt" --hot-token "$WORK/hot-$label.txt" --out "$WORK/run-$label.json"
  RESULTS+=("$WORK/run-$label.json")

  # Cold start: a warm instance's figure with COLD_KEYS keys, then a new process at once under load.
  stop_server
  start_server "$label-warm" "$url" "$NO_LIMIT"
  "$PY" "$MANY" warm --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --work "$WORK" "${WRK_ARGS[@]}" \
    --tokens "$WORK/tokens-$label.txt" --limit "$COLD_KEYS" --out "$WORK/warm-$label.json"
  stop_server
  started=$("$PY" -c 'import time; print(time.monotonic())')
  start_server "$label-cold" "$url" "$NO_LIMIT"
  "$PY" "$MANY" cold --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --work "$WORK" "${WRK_ARGS[@]}" \
    --duration "$COLD_DURATION" --warm "$WORK/warm-$label.json" --out "$WORK/cold-$label.json" \
    --started-after "$("$PY" -c "import time; print(round(time.monotonic() - $started, 2))")"
  RESULTS+=("$WORK/cold-$label.json")
  stop_server
}

command -v "$PY" >/dev/null || { log "python3 is needed"; exit 1; }
if ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get install -y wrk)"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "cargo build --release --bin monkeyci-server (no-op when up to date)"
  (cd "$ROOT" && cargo build --release --quiet --bin monkeyci-server)
fi

RESULTS=()
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
started_all=$SECONDS
for db in $DATABASES; do
  case "$db" in
    sqlite) run_one sqlite "sqlite://$WORK/bench.db" ;;
    postgres)
      if ! PGCONNECT_TIMEOUT=5 psql -X -q "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1; then
        log "ERROR: PostgreSQL is unreachable at $PG_URL: skipping it"
        continue
      fi
      PG_DB="monkeyci_many_keys_$$_$RANDOM"
      psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
      run_one postgres "$(pg_url_for "$PG_DB")"
      drop_pg_db
      ;;
    *) log "unknown database '$db' (use sqlite and/or postgres)"; exit 2 ;;
  esac
done
log "done in $((SECONDS - started_all))s"
((${#RESULTS[@]})) || { log "nothing was measured"; exit 1; }

mkdir -p "$OUT_DIR"
OUT_FILE="$OUT_DIR/many-keys-$(date -u +%Y-%m-%d).txt"
{
  echo "bench/many-keys.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?")"
  echo "load average (1/5/15 min) before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} >"$OUT_FILE"
"$PY" "$MANY" summary "${RESULTS[@]}" --write "$WORK/summary.txt"
cat "$WORK/summary.txt" >>"$OUT_FILE"
log "summary written to ${OUT_FILE#"$ROOT"/}"
