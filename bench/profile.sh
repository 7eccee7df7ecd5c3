#!/usr/bin/env bash
# Instructions per request with callgrind, ours against the reference server
# (bench/reference): healthz, whoami and introspect on SQLite, one worker. See
# bench/README.md ("Results against the reference"). About 5 minutes after the build.
#
# Settings (environment):
#   BENCH_SECONDS      seconds of wrk per endpoint, after a 3 s warm-up (15)
#   BENCH_OUT_DIR      where the summary goes (default bench/results)
#   BENCH_SKIP_BUILD   1 skips `cargo build --release`
#   BENCH_BIN          another server binary (e.g. an older build kept for comparison)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release/monkeyci-server}"
REFERENCE_BIN="$ROOT/target/release/examples/bench-reference"
OUT_DIR="${BENCH_OUT_DIR:-$ROOT/bench/results}"

for tool in valgrind callgrind_control wrk python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install valgrind wrk python3)" >&2; exit 1; }
done
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${BENCH_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --release --bin monkeyci-server --example bench-reference)
fi
mkdir -p "$OUT_DIR"
python3 "$ROOT/bench/profile.py" --bin "$BIN" --reference-bin "$REFERENCE_BIN" \
  --seconds "${BENCH_SECONDS:-15}" --out "$OUT_DIR/profile-$(date +%F).txt"
