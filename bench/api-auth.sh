#!/usr/bin/env bash
# Benchmark of API-key authentication: GET /api/v1/whoami and POST /api/v1/introspect
# (RFC 7662, the same hot key) against GET /healthz side by side, the first use of a key against a hot key, a flood of invalid keys while
# valid requests run, and the server's memory under a flood of key creations; on
# SQLite and on PostgreSQL. See bench/README.md.
#
#   bench/api-auth.sh                  # both databases (about 6 minutes after the build)
#   BENCH_DATABASES=sqlite bench/api-auth.sh
#   BENCH_AUTH=0 bench/api-auth.sh     # the key-creation flood only (about 1 minute a database)
#
# Settings (environment):
#   BENCH_DATABASES        "sqlite postgres" (default) or one of them
#   BENCH_PG_URL           PostgreSQL server where a fresh database is created and dropped
#                          (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_THREADS          wrk threads for the side-by-side runs (2)
#   BENCH_CONNECTIONS      wrk connections for the side-by-side runs (64)
#   BENCH_DURATION         seconds per side-by-side run (10)
#   BENCH_ROUNDS           rounds of healthz/whoami/introspect and the reference's pair (3)
#   BENCH_REFERENCE        1 (default) also measures the reference server (bench/reference); 0 skips it
#   BENCH_FRESH_KEYS       fresh keys whose first use is timed (5)
#   BENCH_HOT_REQUESTS     sequential requests with the hot key (200)
#   BENCH_FLOOD_KIND       wrong-secret (default: the real key's id with wrong secrets) or unknown-id
#   BENCH_FLOOD_DURATION   seconds of flood (15)
#   BENCH_FLOOD_CONNECTIONS  wrk connections sending bad keys (64)
#   BENCH_VALID_CONNECTIONS  wrk connections sending the valid key during the flood (16)
#   BENCH_JUNK             1 (default) also floods with bad-checksum junk; 0 skips it
#   BENCH_FLOODS           1 (default); 0 skips the floods of bad keys (part 3)
#   BENCH_AUTH             1 (default); 0 skips parts 1-3 (then only the creation flood runs)
#   BENCH_CREATE           1 (default); 0 skips part 4, the key-creation flood
#   BENCH_CREATE_BURST     key creations sent at once (64)
#   BENCH_CREATE_CONNECTIONS  connections creating keys in the sustained run (64)
#   BENCH_CREATE_DURATION  seconds of the sustained creation run (30)
#   BENCH_OUT_DIR          where the summary goes (default bench/results)
#   BENCH_KEEP             1 keeps the temporary directory (SQLite file, server logs, JSON)
#   BENCH_SKIP_BUILD       1 skips `cargo build --release`
#   BENCH_BIN              diagnostic: another server binary (e.g. an older build kept for
#                          comparison); implies BENCH_SKIP_BUILD=1
#   BENCH_TAG              a name added to the labels and the summary file (sqlite-TAG,
#                          api-auth-<date>-TAG.txt), e.g. "before" with BENCH_BIN
#   BENCH_SERVER_ENV       diagnostic: space-separated NAME=value settings added to the server's
#                          environment, e.g. "RUST_LOG=warn" or "MALLOC_ARENA_MAX=2"; the runs are
#                          then labelled sqlite-env / postgres-env
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/api_auth.py"
BIN="${BENCH_BIN:-$ROOT/target/release/monkeyci-server}"
PY="${PYTHON:-python3}"

DATABASES="${BENCH_DATABASES:-sqlite postgres}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
DURATION="${BENCH_DURATION:-10}"
ROUNDS="${BENCH_ROUNDS:-3}"
FRESH_KEYS="${BENCH_FRESH_KEYS:-5}"
HOT_REQUESTS="${BENCH_HOT_REQUESTS:-200}"
FLOOD_KIND="${BENCH_FLOOD_KIND:-wrong-secret}"
FLOOD_DURATION="${BENCH_FLOOD_DURATION:-15}"
FLOOD_CONNECTIONS="${BENCH_FLOOD_CONNECTIONS:-64}"
VALID_CONNECTIONS="${BENCH_VALID_CONNECTIONS:-16}"
JUNK="${BENCH_JUNK:-1}"
AUTH="${BENCH_AUTH:-1}"
CREATE="${BENCH_CREATE:-1}"
CREATE_BURST="${BENCH_CREATE_BURST:-64}"
CREATE_CONNECTIONS="${BENCH_CREATE_CONNECTIONS:-64}"
CREATE_DURATION="${BENCH_CREATE_DURATION:-30}"
OUT_DIR="${BENCH_OUT_DIR:-$ROOT/bench/results}"
# The limit that keeps the per-address limiter out of the way, so that the flood
# exercises the bound on argon2 checks instead.
NO_LIMIT=1000000

# The introspection client of the side-by-side runs (bench/api_auth.py knows it too).
INTROSPECTION_CLIENT="bench:bench-introspection-secret-0123456789abcdef"

WORK_NAME=monkeyci-api-bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

flood() { # $1 = label, $2 = variant, $3 = kind, $4 = failures per minute (for the summary)
  "$PY" "$HELPER" flood --label "$1" --variant "$2" --kind "$3" --failures-per-minute "$4" \
    --base-url "$BASE_URL" --pid "$SERVER_PID" --server-log "$SERVER_LOG" --state "$WORK/state-$1.json" \
    --out "$WORK/flood-$1-$2.json" --duration "$FLOOD_DURATION" --connections "$FLOOD_CONNECTIONS" \
    --valid-connections "$VALID_CONNECTIONS"
  RESULTS+=("$WORK/flood-$1-$2.json")
}

create_flood() { # $1 = label, $2 = DATABASE_URL: a fresh server, so that "before" is its baseline
  local label="$1" url="$2"
  log "[$label] starting the server (defaults) for the key-creation flood"
  start_server "$label-create" "$url"
  "$PY" "$HELPER" create --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --server-log "$SERVER_LOG" \
    --state "$WORK/state-$label.json" --out "$WORK/create-$label.json" \
    --burst "$CREATE_BURST" --connections "$CREATE_CONNECTIONS" --duration "$CREATE_DURATION"
  RESULTS+=("$WORK/create-$label.json")
  stop_server
}

run_one() { # $1 = label, $2 = DATABASE_URL
  local label="$1" url="$2"
  if [[ "$AUTH" == 1 ]]; then
    run_auth "$label" "$url"
  fi
  if [[ "$CREATE" == 1 ]]; then
    create_flood "$label" "$url"
  fi
}

run_auth() { # $1 = label, $2 = DATABASE_URL: parts 1-3
  local label="$1" url="$2"
  log "[$label] starting the server (defaults, and an introspection client)"
  start_server "$label" "$url" MONKEYCI_INTROSPECTION_CLIENTS="$INTROSPECTION_CLIENT"
  "$PY" "$HELPER" run --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --server-log "$SERVER_LOG" \
    --state "$WORK/state-$label.json" --out "$WORK/run-$label.json" \
    --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --rounds "$ROUNDS" \
    --fresh-keys "$FRESH_KEYS" --hot-requests "$HOT_REQUESTS" ${REFERENCE_BIN:+--reference-bin "$REFERENCE_BIN"}
  RESULTS+=("$WORK/run-$label.json")
  [[ "${BENCH_FLOODS:-1}" == 1 ]] || { stop_server; return 0; }
  flood "$label" default-limit "$FLOOD_KIND" 10
  stop_server

  log "[$label] restarting the server with MONKEYCI_API_FAILURES_PER_MINUTE=$NO_LIMIT"
  start_server "$label-nolimit" "$url" MONKEYCI_API_FAILURES_PER_MINUTE="$NO_LIMIT"
  flood "$label" no-limit "$FLOOD_KIND" "$NO_LIMIT"
  if [[ "$JUNK" == 1 ]]; then
    flood "$label" junk junk "$NO_LIMIT"
  fi
  stop_server
}

command -v "$PY" >/dev/null || { log "python3 is needed"; exit 1; }
if ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get install -y wrk)"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${BENCH_BIN:-}" ]]; then
  log "cargo build --release --bin monkeyci-server (no-op when up to date)"
  (cd "$ROOT" && cargo build --release --quiet --bin monkeyci-server)
fi
# The reference server (bench/reference/main.rs), measured in the same rounds.
REFERENCE_BIN=""
if [[ "${BENCH_REFERENCE:-1}" == 1 ]]; then
  REFERENCE_BIN="$ROOT/target/release/examples/bench-reference"
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release --example bench-reference (no-op when up to date)"
    (cd "$ROOT" && cargo build --release --quiet --example bench-reference)
  fi
  [[ -x "$REFERENCE_BIN" ]] || { log "missing $REFERENCE_BIN"; exit 1; }
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

SUFFIX="${BENCH_TAG:+-$BENCH_TAG}"
if [[ -n "${BENCH_SERVER_ENV:-}" ]]; then
  SUFFIX="${SUFFIX:--env}"
  log "diagnostic: the server also gets $BENCH_SERVER_ENV (runs labelled *$SUFFIX)"
fi
PARTS=""
[[ "$AUTH" == 1 ]] || PARTS="-create"

RESULTS=()
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$SECONDS
for db in $DATABASES; do
  case "$db" in
    sqlite)
      run_one "sqlite$SUFFIX" "sqlite://$WORK/bench.db"
      ;;
    postgres)
      if ! command -v psql >/dev/null; then
        log "ERROR: psql is not installed: skipping PostgreSQL"
        continue
      fi
      if ! pg_err="$(PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c 'SELECT 1' 2>&1 >/dev/null)"; then
        log "ERROR: PostgreSQL is unreachable at $PG_URL: skipping it (${pg_err//$'\n'/ })"
        log "       start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
        continue
      fi
      PG_DB="monkeyci_api_bench_$$_$RANDOM"
      log "[postgres] creating database $PG_DB"
      psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
      run_one "postgres$SUFFIX" "$(pg_url_for "$PG_DB")"
      drop_pg_db
      ;;
    *)
      log "unknown database '$db' (use sqlite and/or postgres)"; exit 2 ;;
  esac
done
log "done in $((SECONDS - started))s"
((${#RESULTS[@]})) || { log "nothing was measured"; exit 1; }

mkdir -p "$OUT_DIR"
OUT_FILE="$OUT_DIR/api-auth-$(date -u +%Y-%m-%d)$PARTS$SUFFIX.txt"
{
  echo "bench/api-auth.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?")"
  echo "load average (1/5/15 min) before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  [[ -z "${BENCH_SERVER_ENV:-}" ]] || echo "diagnostic server environment: $BENCH_SERVER_ENV"
  [[ -z "${BENCH_BIN:-}" ]] || echo "server binary: $BENCH_BIN (built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'))"
  echo
} >"$OUT_FILE"
"$PY" "$HELPER" summary "${RESULTS[@]}" --write "$WORK/summary.txt"
cat "$WORK/summary.txt" >>"$OUT_FILE"
log "summary written to ${OUT_FILE#"$ROOT"/}"
