# Shared by the benchmark scripts (sourced): the temporary directory and its
# cleanup, starting and stopping the server, throwaway PostgreSQL databases.
#
# The caller sets, before sourcing: ROOT, BIN (the server binary), PY, HELPER (a
# Python helper with the `free-port` and `wait` commands), PG_URL, and WORK_NAME
# (the temporary directory's name prefix). This file sets WORK and the traps; a
# caller with more to undo on exit defines a function cleanup_more.

WORK="$(mktemp -d "${TMPDIR:-/tmp}/$WORK_NAME.XXXXXX")"
SERVER_PID=""
PG_DB=""

log() { printf '==> %s\n' "$*" >&2; }

# Whether process $1 still runs (an exited child not yet waited for does not).
running() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "${stat##*) }" != Z* ]]
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    if running "$SERVER_PID"; then
      kill -TERM "$SERVER_PID" 2>/dev/null || true
      for _ in $(seq 1 100); do
        running "$SERVER_PID" || break
        sleep 0.1
      done
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

drop_pg_db() {
  if [[ -n "$PG_DB" ]]; then
    psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
      || log "warning: could not drop database $PG_DB"
    PG_DB=""
  fi
}

cleanup() {
  local rc=$?
  stop_server
  # A script with more to undo (other servers, a private PostgreSQL) defines cleanup_more.
  if declare -F cleanup_more >/dev/null; then
    cleanup_more || true
  fi
  drop_pg_db
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# URL of the admin database with another database name.
pg_url_for() {
  "$PY" - "$PG_URL" "$1" <<'PYTHON'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path="/" + sys.argv[2])))
PYTHON
}

# Starts the release server on a free loopback port and waits until it answers:
# $1 = log name, $2 = DATABASE_URL, then extra NAME=value settings. Sets BASE_URL,
# SERVER_LOG and SERVER_PID. A clean environment: no platform variables, so
# development sign-in is on, and the server's defaults for everything not given
# (plus MONKEYCI_WORKERS and BENCH_SERVER_ENV when set).
start_server() {
  local name="$1" url="$2" port
  shift 2
  port="$("$PY" "$HELPER" free-port)"
  BASE_URL="http://127.0.0.1:$port"
  SERVER_LOG="$WORK/server-$name.log"
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
    MONKEYCI_LISTEN="127.0.0.1:$port" \
    DATABASE_URL="$url" \
    RUST_LOG="${RUST_LOG:-info}" \
    ${MONKEYCI_WORKERS:+MONKEYCI_WORKERS="$MONKEYCI_WORKERS"} \
    ${BENCH_SERVER_ENV:-} \
    "$@" \
    "$BIN" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  if ! "$PY" "$HELPER" wait --base-url "$BASE_URL" --pid "$SERVER_PID" --timeout 60; then
    log "server log:"; cat "$SERVER_LOG" >&2
    return 1
  fi
}
