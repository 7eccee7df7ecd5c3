#!/usr/bin/env bash
# Scale-out benchmark: BENCH_INSTANCES servers on one PostgreSQL behind a round-robin
# HAProxy, and what they ask of the database (issue 16, target 6). Not a timed test (CI
# never runs it). See bench/README.md and docs/SCALING.md.
#
#   bench/scale-out.sh                                   # everything (about 15 minutes)
#   BENCH_PARTS="revoke" bench/scale-out.sh              # some parts only
#   BENCH_DURATION=30 BENCH_RUNS=1 BENCH_SETTLE=62 bench/scale-out.sh   # a quick check
#
# Parts (BENCH_PARTS, in this order):
#   cold        every key's first use on every instance at once, through the proxy (wrk
#               -cBENCH_CONNECTIONS for BENCH_COLD_DURATION s): responses, key checks, rows written
#   writes      BENCH_RUNS timed wrk runs of BENCH_DURATION s through the proxy, BENCH_KEYS keys
#               rotating; PostgreSQL's counters of the throwaway database before each run and
#               BENCH_SETTLE s after it: rows written per table, transactions, per run and per
#               1,000 requests; key checks per instance from their metrics; pg_stat_activity per
#               instance every second
#   revoke      BENCH_REVOKES revocations without other load, then as many under load through
#               the proxy: every instance polled directly with the revoked key; time from the
#               DELETE's response to the first refusal, per instance; notifications counted
#   throughput  wrk through the proxy and straight to instance 1, alternating, BENCH_TP_ROUNDS
#               times (informational: everything shares the machine's cores)
#
# Settings (environment):
#   BENCH_PARTS          "cold writes revoke throughput" (default) or some of them
#   BENCH_INSTANCES      servers behind the proxy (4)
#   BENCH_BALANCE        HAProxy's balance algorithm: roundrobin (default), or e.g. "hdr(Authorization)"
#                        (each key to one instance: sticky routing by key, with consistent hashing)
#   BENCH_KEYS           organization keys created through the API and rotated by wrk (100)
#   BENCH_RUNS           timed runs of the writes part (3)
#   BENCH_DURATION       seconds per timed run (120: two of the code's one-minute periods)
#   BENCH_SETTLE         seconds after each run before the counters are read (65: one usage flush)
#   BENCH_CONNECTIONS    wrk connections through the proxy (64)
#   BENCH_COLD_DURATION  seconds of the cold start (10)
#   BENCH_REVOKES        revocations per setting (10)
#   BENCH_REVOKE_LOAD    wrk connections through the proxy during the second set (16; 0 skips it)
#   BENCH_TP_ROUNDS      throughput rounds (3), BENCH_TP_DURATION seconds each (15)
#   BENCH_PG_URL         PostgreSQL server for the throwaway database
#                        (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_OUT_DIR        where the summary goes (default bench/results)
#   BENCH_TAG            a name added to the summary file's name
#   BENCH_KEEP           1 keeps the temporary directory (server and proxy logs, JSON results)
#   BENCH_SKIP_BUILD     1 skips `cargo build --release`
#   BENCH_BIN            another server binary (implies BENCH_SKIP_BUILD=1)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/bench/scale_out.py"
BIN="${BENCH_BIN:-$ROOT/target/release/monkeyci-server}"
PY="${PYTHON:-python3}"

ALL_PARTS="cold writes revoke throughput"
PARTS="${BENCH_PARTS:-$ALL_PARTS}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
INSTANCES="${BENCH_INSTANCES:-4}"
BALANCE="${BENCH_BALANCE:-roundrobin}"
KEYS="${BENCH_KEYS:-100}"
RUNS="${BENCH_RUNS:-3}"
DURATION="${BENCH_DURATION:-120}"
SETTLE="${BENCH_SETTLE:-65}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
REVOKES="${BENCH_REVOKES:-10}"
REVOKE_LOAD="${BENCH_REVOKE_LOAD:-16}"
COLD_DURATION="${BENCH_COLD_DURATION:-10}"
TP_ROUNDS="${BENCH_TP_ROUNDS:-3}"
TP_DURATION="${BENCH_TP_DURATION:-15}"
OUT_DIR="${BENCH_OUT_DIR:-$ROOT/bench/results}"

WORK_NAME=monkeyci-scale-out
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

INSTANCE_PIDS=()
INSTANCE_URLS=()
METRICS_URLS=()
PROXY_PID=""
RESULTS=()

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    running "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called by lib.sh's cleanup
cleanup_more() {
  local pid
  [[ -z "$PROXY_PID" ]] || stop_pid "$PROXY_PID"
  PROXY_PID=""
  for pid in "${INSTANCE_PIDS[@]}"; do
    stop_pid "$pid"
  done
  INSTANCE_PIDS=()
}

free_port() { "$PY" "$HELPER" free-port; }

start_instances() { # $1 = DATABASE_URL
  local secret i mport
  secret="$(head -c 64 /dev/urandom | base64 -w0)"
  for i in $(seq 1 "$INSTANCES"); do
    mport="$(free_port)"
    # application_name (a libpq URL parameter) tells the instances apart in pg_stat_activity.
    start_server "instance-$i" "$1?application_name=monkeyci-$i" \
      MONKEYCI_SESSION_SECRET="$secret" \
      MONKEYCI_METRICS_LISTEN="127.0.0.1:$mport" \
      MONKEYCI_TRUSTED_PROXIES=127.0.0.1
    INSTANCE_PIDS+=("$SERVER_PID")
    INSTANCE_URLS+=("$BASE_URL")
    METRICS_URLS+=("http://127.0.0.1:$mport")
    SERVER_PID=""   # stopped by cleanup_more with the others
    log "instance $i: $BASE_URL (metrics on port $mport)"
  done
}

start_proxy() { # round-robin HAProxy on a free port; sets PROXY_URL
  local port cfg="$WORK/haproxy.cfg" i url
  port="$(free_port)"
  {
    cat <<EOF
global
    maxconn 4096
    log stderr format short local0 warning

defaults
    mode http
    log global
    option http-keep-alive
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    # /readyz may take up to a second by itself (a pool connection within 1 s), and
    # this machine's cores are saturated during the runs: a check may take 3 s.
    timeout check 3s

frontend api
    bind 127.0.0.1:$port
    default_backend instances

backend instances
    balance $BALANCE
$([[ "$BALANCE" == roundrobin ]] || echo "    hash-type consistent")
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    http-reuse safe
EOF
    i=1
    for url in "${INSTANCE_URLS[@]}"; do
      echo "    server monkeyci-$i ${url#http://} check inter 1s fall 3 rise 1"
      i=$((i + 1))
    done
  } >"$cfg"
  haproxy -c -q -f "$cfg" || { log "haproxy refused its configuration:"; cat "$cfg" >&2; return 1; }
  haproxy -db -f "$cfg" >"$WORK/haproxy.log" 2>&1 &
  PROXY_PID=$!
  PROXY_URL="http://127.0.0.1:$port"
  "$PY" "$HELPER" wait --base-url "$PROXY_URL" --pid "$PROXY_PID" --timeout 20
  sleep 2   # every server's first health check
  log "HAProxy (balance $BALANCE over $INSTANCES instances): $PROXY_URL"
}

command -v "$PY" >/dev/null || { log "python3 is needed"; exit 1; }
for part in $PARTS; do
  [[ " $ALL_PARTS " == *" $part "* ]] || { log "unknown part '$part' (use: $ALL_PARTS)"; exit 2; }
done
for tool in haproxy wrk; do
  if ! command -v "$tool" >/dev/null; then
    log "installing $tool (apt-get install -y $tool)"
    apt-get install -y "$tool" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$tool" >/dev/null; }
  fi
done
command -v psql >/dev/null || { log "psql is needed"; exit 1; }
if ! pg_err="$(PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c 'SELECT 1' 2>&1 >/dev/null)"; then
  log "PostgreSQL is unreachable at $PG_URL: ${pg_err//$'\n'/ }"
  exit 1
fi
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${BENCH_BIN:-}" ]]; then
  log "cargo build --release --bin monkeyci-server (no-op when up to date)"
  (cd "$ROOT" && cargo build --release --quiet --bin monkeyci-server)
fi
[[ -x "$BIN" ]] || { log "missing $BIN"; exit 1; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$SECONDS
PG_DB="monkeyci_scale_$$"
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
DB_URL="$(pg_url_for "$PG_DB")"
log "throwaway database $PG_DB"

start_instances "$DB_URL"
start_proxy
STATE="$WORK/state.json"
TOKENS="$WORK/tokens.txt"
"$PY" "$HELPER" setup --base-url "${INSTANCE_URLS[0]}" --state "$STATE" --keys "$KEYS" --tokens "$TOKENS"
if [[ " $PARTS " == *" cold "* ]]; then
  log "cold: the first use of $KEYS keys on $INSTANCES instances at once, through the proxy"
  "$PY" "$HELPER" cold --proxy "$PROXY_URL" --metrics "${METRICS_URLS[@]}" --db-url "$DB_URL" \
    --tokens "$TOKENS" --duration "$COLD_DURATION" --connections "$CONNECTIONS" --out "$WORK/cold.json"
  RESULTS+=("$WORK/cold.json")
fi
"$PY" "$HELPER" warm --instances "${INSTANCE_URLS[@]}" --tokens "$TOKENS"

for part in $PARTS; do
  case "$part" in
    cold) ;;   # above, before the warm-up
    writes)
      "$PY" "$HELPER" writes --proxy "$PROXY_URL" --metrics "${METRICS_URLS[@]}" --db-url "$DB_URL" \
        --tokens "$TOKENS" --runs "$RUNS" --duration "$DURATION" --settle "$SETTLE" \
        --connections "$CONNECTIONS" --out "$WORK/writes.json"
      RESULTS+=("$WORK/writes.json")
      ;;
    revoke)
      log "revoke: $REVOKES revocations without other load"
      "$PY" "$HELPER" revoke --label idle --instances "${INSTANCE_URLS[@]}" --state "$STATE" \
        --db-url "$DB_URL" --rounds "$REVOKES" --out "$WORK/revoke-idle.json"
      RESULTS+=("$WORK/revoke-idle.json")
      if ((REVOKE_LOAD > 0)); then
        log "revoke: $REVOKES revocations under load (wrk -c$REVOKE_LOAD through the proxy)"
        "$PY" "$HELPER" revoke --label loaded --instances "${INSTANCE_URLS[@]}" --state "$STATE" \
          --db-url "$DB_URL" --rounds "$REVOKES" --load-proxy "$PROXY_URL" --load-connections "$REVOKE_LOAD" \
          --tokens "$TOKENS" --out "$WORK/revoke-loaded.json"
        RESULTS+=("$WORK/revoke-loaded.json")
      fi
      ;;
    throughput)
      log "throughput: through the proxy and straight to instance 1"
      "$PY" "$HELPER" throughput --proxy "$PROXY_URL" --direct "${INSTANCE_URLS[0]}" --tokens "$TOKENS" \
        --rounds "$TP_ROUNDS" --duration "$TP_DURATION" --connections "$CONNECTIONS" --out "$WORK/throughput.json"
      RESULTS+=("$WORK/throughput.json")
      ;;
  esac
done
for i in "${!INSTANCE_PIDS[@]}"; do
  running "${INSTANCE_PIDS[$i]}" || { log "instance $((i + 1)) exited during the run; its log ends:"; tail -n 5 "$WORK/server-instance-$((i + 1)).log" >&2; }
done
problems="$(cat "$WORK"/server-instance-*.log | grep -c -E ' (ERROR|WARN) |panicked' || true)"
downs="$(grep -c ' is DOWN' "$WORK/haproxy.log" || true)"
log "done in $((SECONDS - started))s"

SUFFIX="${BENCH_TAG:+-$BENCH_TAG}"
if [[ -z "$SUFFIX" && "$PARTS" != "$ALL_PARTS" ]]; then
  SUFFIX="-partial"
fi
mkdir -p "$OUT_DIR"
OUT_FILE="$OUT_DIR/scale-out-$(date -u +%Y-%m-%d)$SUFFIX.txt"
{
  echo "bench/scale-out.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "?"), $((SECONDS - started))s"
  echo "load average (1/5/15 min) before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$INSTANCES instances (each MONKEYCI_WORKERS=${MONKEYCI_WORKERS:-one per core}) on PostgreSQL $(psql -X -At "$PG_URL" -c 'SHOW server_version'), behind $(haproxy -v | head -n 1 | cut -d' ' -f1-3) (balance $BALANCE, keep-alive both sides, health checks on /readyz); parts: $PARTS"
  echo "server log lines with WARN, ERROR or a panic: $problems; instances HAProxy marked DOWN (failed /readyz checks): $downs times"
  [[ -z "${BENCH_BIN:-}" ]] || echo "server binary: $BENCH_BIN"
  echo
} >"$OUT_FILE"
"$PY" "$HELPER" summary "${RESULTS[@]}" --write "$WORK/summary.txt"
cat "$WORK/summary.txt" >>"$OUT_FILE"
log "summary written to ${OUT_FILE#"$ROOT"/}"
