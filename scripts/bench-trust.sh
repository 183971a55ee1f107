#!/usr/bin/env bash
# Trust Center load benchmark (issue #7, BENCHMARKS.md "Trust Center"): requests/s and latency
# percentiles of the public home page, the Atom feed, the advisory page, the certifications page
# and security.txt, under wrk on loopback, against a release `custodian serve` over the demo's
# data (its seeded certifications, practices, bounty table and incident notice).
# Usage: scripts/bench-trust.sh [SECONDS] [CONNECTIONS]   (default 20 s, 64 connections)
# Environment: BENCH_BIN (default target/release/custodian), BENCH_DIR (default
# /tmp/bench-trust), BENCH_DATABASE_URL (default: SQLite in BENCH_DIR), BENCH_PORT (18088).
# wrk runs with one thread pinned to CPU 1, the server on CPU 0 when taskset is there, so the
# two do not trade places on a 2-core machine; the figures are for one server core.
set -euo pipefail
SECONDS_=${1:-20}
CONNS=${2:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/target/release/custodian}
WORK=${BENCH_DIR:-/tmp/bench-trust}
PORT=${BENCH_PORT:-18088}

if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p custodian)

rm -rf "$WORK"; mkdir -p "$WORK"
DB=()
if [ -n "${BENCH_DATABASE_URL:-}" ]; then DB=(--database-url "$BENCH_DATABASE_URL"); fi
"$BIN" --data-dir "$WORK/data" "${DB[@]}" demo --people 2000 --no-serve >"$WORK/demo.log" 2>&1

PIN_SERVER=(); PIN_WRK=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0); PIN_WRK=(taskset -c 1)
fi
CUSTODIAN_LOG=warn "${PIN_SERVER[@]}" "$BIN" --data-dir "$WORK/data" "${DB[@]}" serve \
  --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

BACKEND=sqlite; [ -n "${BENCH_DATABASE_URL:-}" ] && BACKEND=postgres
echo "server: $("$BIN" --version), backend $BACKEND, $(nproc) cores, ${SECONDS_}s x ${CONNS} connections"
printf '%-38s %10s %9s %9s %9s\n' path "req/s" "p50" "p99" "errors"
for path in / /advisories/feed.atom /advisories/incident-2021-cyberattack /trust \
  /.well-known/security.txt; do
  url="http://127.0.0.1:$PORT$path"
  curl -fsS -o /dev/null "$url"
  "${PIN_WRK[@]}" wrk -t1 -c"$CONNS" -d3s "$url" >/dev/null   # warm-up
  out=$("${PIN_WRK[@]}" wrk -t1 -c"$CONNS" -d"${SECONDS_}s" --latency "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {e = e $0 " "} END {print (e == "" ? "0" : e)}' <<<"$out")
  printf '%-38s %10s %9s %9s %9s\n' "$path" "$rps" "$p50" "$p99" "$errs"
done
