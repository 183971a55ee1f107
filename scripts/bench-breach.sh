#!/usr/bin/env bash
# Breach engine benchmark (issue #4, BENCHMARKS.md "Breach engine").
# Usage: scripts/bench-breach.sh N sqlite|postgres
# (a) inventory load-synth + incident new + expose every system + impact + cohorts;
# (b) impact again with the inventory loaded; reference: DuckDB on the same files.
# The vault import of people.csv is a prerequisite, timed but not part of (a).
set -euo pipefail
N=${1:?people}; BACKEND=${2:?sqlite|postgres}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-breach}
VENV=${BENCH_VENV:-/tmp/bench-breach-venv}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
WORK=${BENCH_DIR:-/tmp/bench-breach-$N-$BACKEND}
# BENCH_BIN: an already built binary (skips the build).
if [ -n "${BENCH_BIN:-}" ]; then BIN=$BENCH_BIN; else
  (cd "$ROOT" && cargo build --release -p custodian); BIN=$CARGO_TARGET_DIR/release/custodian; fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null || "$VENV/bin/pip" install -q duckdb
rm -rf "$WORK"; mkdir -p "$WORK"; CAR=$WORK/carrier
ARGS=(--data-dir "$WORK/data")
if [ "$BACKEND" = postgres ]; then
  dropdb -h 127.0.0.1 -U postgres --if-exists bench_breach
  createdb -h 127.0.0.1 -U postgres bench_breach
  ARGS+=(--database-url "$PG/bench_breach")
fi
# timed LABEL CMD...: runs CMD under /usr/bin/time -v, records wall seconds and peak RSS (KiB).
timed() {
  local label=$1; shift
  /usr/bin/time -v -o "$WORK/$label.time" "$@" > "$WORK/$label.out"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$label.time")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$WORK/$label.time")
  echo "$label $wall $rss" >> "$WORK/times"
}
: > "$WORK/times"
"$BIN" synth --people "$N" --seed 1 --out "$CAR" > /dev/null
timed import "$BIN" "${ARGS[@]}" -q vault import "$CAR/people.csv"
SYSTEMS=$("$VENV/bin/python" -c 'import sys,tomllib;print(" ".join(s["name"] for s in tomllib.load(open(sys.argv[1],"rb"))["systems"]))' "$CAR/systems.toml")
timed a_load "$BIN" "${ARGS[@]}" -q inventory load-synth "$CAR"
timed a_new "$BIN" "${ARGS[@]}" --json incident new --title bench --detected 2025-08-15
ID=$("$VENV/bin/python" -c 'import json,sys;print(json.load(open(sys.argv[1]))["id"])' "$WORK/a_new.out")
for s in $SYSTEMS; do timed "a_expose_$s" "$BIN" "${ARGS[@]}" -q incident expose "$ID" --dataset "$s"; done
timed a_impact "$BIN" "${ARGS[@]}" incident impact "$ID"
timed a_cohorts "$BIN" "${ARGS[@]}" incident cohorts "$ID" --format csv
timed b_impact "$BIN" "${ARGS[@]}" incident impact "$ID"
timed duckdb "$VENV/bin/python" "$ROOT/scripts/bench/breach_duckdb.py" "$CAR"
if diff -q "$WORK/a_cohorts.out" "$WORK/duckdb.out" > /dev/null; then SAME=yes; else SAME=NO; diff "$WORK/a_cohorts.out" "$WORK/duckdb.out" || true; fi
awk -v n="$N" -v be="$BACKEND" -v same="$SAME" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" '
  { w[$1]=$2; r[$1]=$3 }
  $1 ~ /^a_/ { a+=$2; if ($3>ar) ar=$3 }
  END {
    d=w["duckdb"]
    printf "breach benchmark: %d people, %s, load average %s\n", n, be, la
    printf "%-22s %10s %12s %10s\n", "step", "wall s", "peak MiB", "/DuckDB"
    printf "%-22s %10.2f %12.0f %10s\n", "vault import (prereq)", w["import"], r["import"]/1024, "-"
    printf "%-22s %10.2f %12.0f %10.2f  (target <= 2)\n", "(a) end to end", a, ar/1024, a/d
    printf "%-22s %10.2f %12.0f %10.2f  (target < 1, and < 5 s at 1M)\n", "(b) impact again", w["b_impact"], r["b_impact"]/1024, w["b_impact"]/d
    printf "%-22s %10.2f %12.0f\n", "DuckDB end to end", d, r["duckdb"]/1024
    printf "cohort tables equal: %s\n", same
  }' "$WORK/times"
if [ "$BACKEND" = postgres ] && [ -z "${BENCH_KEEP:-}" ]; then dropdb -h 127.0.0.1 -U postgres bench_breach; fi
