#!/usr/bin/env bash
# Reliability benchmark: load and faults against the release server, on SQLite and on
# PostgreSQL. Not a timed test (CI never runs it). See bench/README.md.
#
#   bench/reliability.sh                              # everything, both databases (about 13 minutes)
#   BENCH_DATABASES=sqlite bench/reliability.sh
#   BENCH_PARTS="kill sigterm" bench/reliability.sh   # some experiments only
#
# Experiments (BENCH_PARTS, in this order):
#   mixed      signed-in pages, form posts, API creations and deletions, whoami from many
#              clients for BENCH_DURATION seconds: status codes per kind, 5xx, "database is locked"
#   kill       API key creations, kill -9 mid-flight, restart on the same database: every
#              acknowledged key still listed and working; SQLite: PRAGMA integrity_check
#   pgrestart  (PostgreSQL only, on a private cluster) two instances under load while PostgreSQL
#              stops for BENCH_PG_DOWN seconds: statuses and latency while down, time to the first
#              200 after, and a key revoked on A refused by B
#   flood      the key-creation flood of bench/api-auth.sh part 4 (bench/api_auth.py create):
#              peak and settled RSS
#   idle       whoami traffic without and beside BENCH_IDLE_CONNECTIONS idle connections
#   sigterm    SIGTERM under load: what every request saw, exit code and time, BENCH_SIGTERM_ROUNDS
#              times per setting of BENCH_SIGTERM_SETTINGS
#
# Settings (environment):
#   BENCH_DATABASES          "sqlite postgres" (default) or one of them
#   BENCH_PARTS              "mixed kill pgrestart flood idle sigterm" (default) or some of them
#   BENCH_PG_URL             PostgreSQL server for the throwaway databases
#                            (default postgres://postgres@127.0.0.1:5432/postgres); pgrestart makes
#                            its own cluster instead (initdb, pg_ctl from BENCH_PG_BIN)
#   BENCH_PG_BIN             PostgreSQL's programs (default /usr/lib/postgresql/15/bin)
#   BENCH_DURATION           seconds of mixed traffic (60)
#   BENCH_MIXED_CLIENTS      concurrent clients of the mixed traffic (24)
#   BENCH_KILL_ROUNDS        kill -9 rounds (5)
#   BENCH_KILL_CLIENTS       concurrent creations while the server is killed (16)
#   BENCH_PG_DOWN            seconds PostgreSQL stays stopped (10)
#   BENCH_PG_CLIENTS         clients per instance during the PostgreSQL restart (4)
#   BENCH_CREATE_BURST       creations sent at once in the flood (64)
#   BENCH_CREATE_CONNECTIONS connections of the sustained creation (64)
#   BENCH_CREATE_DURATION    seconds of sustained creation (30)
#   BENCH_IDLE_CONNECTIONS   idle connections (2000)
#   BENCH_IDLE_DURATION      seconds of whoami traffic, without and then with them (20)
#   BENCH_SIGTERM_ROUNDS     SIGTERM rounds per setting (5)
#   BENCH_SIGTERM_CLIENTS    concurrent clients when SIGTERM comes (32)
#   BENCH_SIGTERM_SETTINGS   space-separated server settings to compare, each "default" or
#                            NAME=value added to the server's environment (default:
#                            "default MONKEYCI_SHUTDOWN_DELAY=0s": the 2 s drain, and none)
#   BENCH_ENFORCE            1: exit 1 when a target is missed (the summary is written first)
#   BENCH_OUT_DIR            where the summary goes (default bench/results)
#   BENCH_TAG                a name added to the summary file's name
#   BENCH_KEEP               1 keeps the temporary directory (SQLite files, server logs, JSON)
#   BENCH_SKIP_BUILD         1 skips `cargo build --release`
#   BENCH_BIN                another server binary (implies BENCH_SKIP_BUILD=1)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/reliability.py"
BIN="${BENCH_BIN:-$ROOT/target/release/monkeyci-server}"
PY="${PYTHON:-python3}"

ALL_PARTS="mixed kill pgrestart flood idle sigterm"
ALL_DATABASES="sqlite postgres"
DATABASES="${BENCH_DATABASES:-$ALL_DATABASES}"
PARTS="${BENCH_PARTS:-$ALL_PARTS}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_BIN="${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}"
DURATION="${BENCH_DURATION:-60}"
MIXED_CLIENTS="${BENCH_MIXED_CLIENTS:-24}"
KILL_ROUNDS="${BENCH_KILL_ROUNDS:-5}"
KILL_CLIENTS="${BENCH_KILL_CLIENTS:-16}"
PG_DOWN="${BENCH_PG_DOWN:-10}"
PG_CLIENTS="${BENCH_PG_CLIENTS:-4}"
CREATE_BURST="${BENCH_CREATE_BURST:-64}"
CREATE_CONNECTIONS="${BENCH_CREATE_CONNECTIONS:-64}"
CREATE_DURATION="${BENCH_CREATE_DURATION:-30}"
IDLE_CONNECTIONS="${BENCH_IDLE_CONNECTIONS:-2000}"
IDLE_DURATION="${BENCH_IDLE_DURATION:-20}"
SIGTERM_ROUNDS="${BENCH_SIGTERM_ROUNDS:-5}"
SIGTERM_CLIENTS="${BENCH_SIGTERM_CLIENTS:-32}"
SIGTERM_SETTINGS="${BENCH_SIGTERM_SETTINGS:-default MONKEYCI_SHUTDOWN_DELAY=0s}"
OUT_DIR="${BENCH_OUT_DIR:-$ROOT/bench/results}"
# Seconds of load before PostgreSQL stops, and after it is back (the revocation check follows).
PG_BEFORE=4
PG_AFTER=10

WORK_NAME=monkeyci-reliability
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

OTHER_PIDS=()   # servers besides SERVER_PID (the second instance of pgrestart)
PGC_DIR=""      # the private PostgreSQL cluster of pgrestart
SQLITE_FILE=""
DB_URL=""
EXIT_CODE=""
RESULTS=()

as_pg_owner() { # initdb refuses to run as root
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

remove_cluster() {
  if [[ -n "$PGC_DIR" ]]; then
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PGC_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PGC_DIR"
    PGC_DIR=""
  fi
}

stop_others() {
  local pid
  for pid in "${OTHER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      running "$pid" || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  OTHER_PIDS=()
}

# shellcheck disable=SC2317 # called by lib.sh's cleanup
cleanup_more() {
  stop_others
  remove_cluster
}

# Waits for the server that was just killed or sent SIGTERM (SIGKILL if it still runs);
# sets EXIT_CODE to its exit code.
reap_server() {
  EXIT_CODE=0
  if running "$SERVER_PID"; then
    log "warning: the server still runs: SIGKILL"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || EXIT_CODE=$?
  SERVER_PID=""
}

# A throwaway database for one experiment: $1 = sqlite|postgres, $2 = its name. Sets DB_URL
# (and SQLITE_FILE); the PostgreSQL database replaces the previous one (lib.sh drops it at exit).
fresh_db() {
  local db="$1" name="$2"
  if [[ "$db" == sqlite ]]; then
    SQLITE_FILE="$WORK/$name.db"
    DB_URL="sqlite://$SQLITE_FILE"
  else
    SQLITE_FILE=""
    drop_pg_db
    PG_DB="monkeyci_rel_$$_${name//-/_}"
    psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    DB_URL="$(pg_url_for "$PG_DB")"
  fi
}

setup_org() { # $1 = state file: sign in, the organization and its admin key, through the UI
  "$PY" "$HELPER" setup --base-url "$BASE_URL" --state "$1"
}

verdict() {
  "$PY" "$HELPER" verdict "$@"
}

part_mixed() { # $1 = label (the database)
  local label="$1" out="$WORK/mixed-$1.json"
  fresh_db "$label" mixed
  log "[$label] mixed: starting the server"
  start_server "$label-mixed" "$DB_URL"
  setup_org "$WORK/state-$label-mixed.json"
  "$PY" "$HELPER" mixed --label "$label" --base-url "$BASE_URL" --state "$WORK/state-$label-mixed.json" \
    --server-log "$SERVER_LOG" --out "$out" --duration "$DURATION" --clients "$MIXED_CLIENTS"
  stop_server
  RESULTS+=("$out")
  verdict "$out"
}

part_kill() {
  local label="$1" state="$WORK/state-$1-kill.json" round acks=() out check
  fresh_db "$label" kill
  for round in $(seq 1 "$KILL_ROUNDS"); do
    log "[$label] kill: round $round of $KILL_ROUNDS"
    start_server "$label-kill-$round" "$DB_URL"
    ((round > 1)) || setup_org "$state"
    out="$WORK/kill-$label-$round.json"
    # Killed somewhere between 1.0 and 2.0 s into the creations. (The group keeps bash's own
    # "Killed" line about its background job out of the output.)
    {
      "$PY" "$HELPER" kill --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --state "$state" \
        --round "$round" --clients "$KILL_CLIENTS" --kill-after "1.$((RANDOM % 10))$((RANDOM % 10))" \
        --out "$out" 2>&3
      reap_server 2>&3
    } 3>&2 2>/dev/null
    [[ "$EXIT_CODE" == 137 ]] || log "warning: the killed server exited with $EXIT_CODE, not 137"
    acks+=("$out")
    RESULTS+=("$out")
    start_server "$label-kill-$round-restart" "$DB_URL"
    check="$WORK/kill-verify-$label-$round.json"
    "$PY" "$HELPER" verify --label "$label" --base-url "$BASE_URL" --state "$state" --acks "${acks[@]}" \
      ${SQLITE_FILE:+--sqlite "$SQLITE_FILE"} --out "$check"
    RESULTS+=("$check")
    if ! running "$SERVER_PID"; then
      reap_server
      log "warning: the restarted server exited during the check (exit code $EXIT_CODE); its log ends:"
      tail -n 5 "$SERVER_LOG" >&2
      "$PY" "$HELPER" annotate "$check" "server_exit=$EXIT_CODE"
    fi
    stop_server
  done
  verdict "${acks[@]}" "$WORK"/kill-verify-"$label"-*.json
}

make_cluster() { # a private PostgreSQL cluster: sets PGC_DIR, PGC_PORT
  PGC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/monkeyci-reliability-pg.XXXXXX")"
  ((EUID != 0)) || chown postgres: "$PGC_DIR"
  PGC_PORT="$("$PY" "$HELPER" free-port)"
  as_pg_owner "$PG_BIN/initdb" -D "$PGC_DIR/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; return 1; }
  pg_cluster start
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGC_PORT" -U postgres -d postgres \
    -c "CREATE DATABASE monkeyci_rel" >/dev/null
}

pg_cluster() { # $1 = start | stop: the private cluster only, never the machine's
  case "$1" in
    start)
      as_pg_owner "$PG_BIN/pg_ctl" -D "$PGC_DIR/data" -l "$PGC_DIR/postgres.log" -w \
        -o "-p $PGC_PORT -k $PGC_DIR -c listen_addresses=127.0.0.1" start >/dev/null ;;
    stop)
      as_pg_owner "$PG_BIN/pg_ctl" -D "$PGC_DIR/data" -m fast -w stop >/dev/null ;;
  esac
}

part_pgrestart() {
  local label="$1" state="$WORK/state-$1-pgrestart.json" url secret a_url b_url load_pid events
  local stop_begin stop_done start_begin start_done load="$WORK/pgload-$1.json" out="$WORK/pgrestart-$1.json"
  log "[$label] pgrestart: a private PostgreSQL cluster"
  make_cluster
  url="postgres://postgres@127.0.0.1:$PGC_PORT/monkeyci_rel"
  secret="$(head -c 64 /dev/urandom | base64 -w0)"
  start_server "$label-pgrestart-b" "$url" MONKEYCI_SESSION_SECRET="$secret"
  b_url="$BASE_URL"
  OTHER_PIDS+=("$SERVER_PID")
  start_server "$label-pgrestart-a" "$url" MONKEYCI_SESSION_SECRET="$secret"
  a_url="$BASE_URL"
  setup_org "$state"
  "$PY" "$HELPER" revoke --label "$label" --a "$a_url" --b "$b_url" --state "$state" --phase before \
    --out "$WORK/revoke-$label-before.json"
  events="$WORK/pg-events-$label.json"
  rm -f "$events" "$WORK/pgload-started"
  "$PY" "$HELPER" pgload --label "$label" --a "$a_url" --b "$b_url" --state "$state" --clients "$PG_CLIENTS" \
    --duration "$((PG_BEFORE + PG_DOWN + PG_AFTER))" --events "$events" --started "$WORK/pgload-started" \
    --out "$load" &
  load_pid=$!
  while [[ ! -e "$WORK/pgload-started" ]]; do
    kill -0 "$load_pid" 2>/dev/null || { wait "$load_pid"; return 1; }
    sleep 0.1
  done
  sleep "$PG_BEFORE"
  log "[$label] pgrestart: pg_ctl stop -m fast; down for ${PG_DOWN}s"
  stop_begin="$EPOCHREALTIME"
  pg_cluster stop
  stop_done="$EPOCHREALTIME"
  sleep "$PG_DOWN"
  log "[$label] pgrestart: pg_ctl start"
  start_begin="$EPOCHREALTIME"
  pg_cluster start
  start_done="$EPOCHREALTIME"
  printf '{"stop_begin": %s, "stop_done": %s, "start_begin": %s, "start_done": %s}\n' \
    "$stop_begin" "$stop_done" "$start_begin" "$start_done" >"$events"
  wait "$load_pid"
  "$PY" "$HELPER" revoke --label "$label" --a "$a_url" --b "$b_url" --state "$state" --phase after \
    --out "$WORK/revoke-$label-after.json"
  "$PY" "$HELPER" pgreport --load "$load" --revoke "$WORK/revoke-$label-before.json" \
    "$WORK/revoke-$label-after.json" --out "$out"
  stop_server
  stop_others
  remove_cluster
  RESULTS+=("$out")
  verdict "$out"
}

part_flood() {
  local label="$1" out="$WORK/flood-$1.json"
  fresh_db "$label" flood
  log "[$label] flood: starting the server"
  start_server "$label-flood" "$DB_URL"
  "$PY" "$ROOT/bench/api_auth.py" create --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" \
    --server-log "$SERVER_LOG" --state "$WORK/state-$label-flood.json" --out "$out" \
    --burst "$CREATE_BURST" --connections "$CREATE_CONNECTIONS" --duration "$CREATE_DURATION" --after 5
  stop_server
  RESULTS+=("$out")
  verdict "$out"
}

part_idle() {
  local label="$1" out="$WORK/idle-$1.json"
  fresh_db "$label" idle
  log "[$label] idle: starting the server (open-file limit $(ulimit -n))"
  start_server "$label-idle" "$DB_URL"
  setup_org "$WORK/state-$label-idle.json"
  "$PY" "$HELPER" idle --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" \
    --state "$WORK/state-$label-idle.json" --connections "$IDLE_CONNECTIONS" --duration "$IDLE_DURATION" \
    --out "$out"
  stop_server
  RESULTS+=("$out")
  verdict "$out"
}

part_sigterm() {
  local label="$1" state="$WORK/state-$1-sigterm.json" setting round out env_args files=()
  fresh_db "$label" sigterm
  for setting in $SIGTERM_SETTINGS; do
    env_args=()
    [[ "$setting" == default ]] || env_args=("$setting")
    for round in $(seq 1 "$SIGTERM_ROUNDS"); do
      log "[$label] sigterm ($setting): round $round of $SIGTERM_ROUNDS"
      start_server "$label-sigterm-${setting//[^A-Za-z0-9]/_}-$round" "$DB_URL" "${env_args[@]}"
      [[ -e "$state" ]] || setup_org "$state"
      out="$WORK/sigterm-$label-${setting//[^A-Za-z0-9]/_}-$round.json"
      "$PY" "$HELPER" sigterm --label "$label" --base-url "$BASE_URL" --pid "$SERVER_PID" --state "$state" \
        --setting "$setting" --round "$round" --clients "$SIGTERM_CLIENTS" --out "$out"
      reap_server
      "$PY" "$HELPER" annotate "$out" "exit_code=$EXIT_CODE"
      files+=("$out")
      RESULTS+=("$out")
    done
  done
  verdict "${files[@]}"
}

command -v "$PY" >/dev/null || { log "python3 is needed"; exit 1; }
for part in $PARTS; do
  [[ " $ALL_PARTS " == *" $part "* ]] || { log "unknown part '$part' (use: $ALL_PARTS)"; exit 2; }
done
if [[ " $PARTS " == *" idle "* ]] && ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get install -y wrk)"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
# The idle connections need file descriptors, in this shell's children and in the server.
want_fds=$((IDLE_CONNECTIONS * 2 + 1024))
if (($(ulimit -n) < want_fds)); then
  ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || log "warning: could not raise ulimit -n"
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${BENCH_BIN:-}" ]]; then
  log "cargo build --release --bin monkeyci-server (no-op when up to date)"
  (cd "$ROOT" && cargo build --release --quiet --bin monkeyci-server)
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$SECONDS
for db in $DATABASES; do
  case "$db" in
    sqlite) ;;
    postgres)
      if ! command -v psql >/dev/null; then
        log "ERROR: psql is not installed: skipping PostgreSQL"
        continue
      fi
      if ! pg_err="$(PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c 'SELECT 1' 2>&1 >/dev/null)"; then
        log "ERROR: PostgreSQL is unreachable at $PG_URL: skipping it (${pg_err//$'\n'/ })"
        continue
      fi
      ;;
    *) log "unknown database '$db' (use sqlite and/or postgres)"; exit 2 ;;
  esac
  for part in $PARTS; do
    if [[ "$part" == pgrestart && "$db" != postgres ]]; then
      continue
    fi
    case "$part" in
      mixed) part_mixed "$db" ;;
      kill) part_kill "$db" ;;
      pgrestart) part_pgrestart "$db" ;;
      flood) part_flood "$db" ;;
      idle) part_idle "$db" ;;
      sigterm) part_sigterm "$db" ;;
    esac
  done
  drop_pg_db
done
log "done in $((SECONDS - started))s"
((${#RESULTS[@]})) || { log "nothing was measured"; exit 1; }

SUFFIX="${BENCH_TAG:+-$BENCH_TAG}"
if [[ -z "$SUFFIX" && ("$PARTS" != "$ALL_PARTS" || "$DATABASES" != "$ALL_DATABASES") ]]; then
  SUFFIX="-partial"
fi
mkdir -p "$OUT_DIR"
OUT_FILE="$OUT_DIR/reliability-$(date -u +%Y-%m-%d)$SUFFIX.txt"
{
  echo "bench/reliability.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?"), $((SECONDS - started))s"
  echo "load average (1/5/15 min) before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "databases: $DATABASES; parts: $PARTS; sigterm settings: $SIGTERM_SETTINGS"
  [[ -z "${BENCH_BIN:-}" ]] || echo "server binary: $BENCH_BIN"
  echo
} >"$OUT_FILE"
enforce=()
[[ "${BENCH_ENFORCE:-0}" != 1 ]] || enforce=(--enforce)
rc=0
"$PY" "$HELPER" summary "${RESULTS[@]}" --write "$WORK/summary.txt" "${enforce[@]}" || rc=$?
cat "$WORK/summary.txt" >>"$OUT_FILE"
log "summary written to ${OUT_FILE#"$ROOT"/}"
exit "$rc"
