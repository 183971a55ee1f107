#!/usr/bin/env bash
# Notification campaign benchmark (BENCHMARKS.md "Notification campaigns").
# Usage: scripts/bench-notify.sh N [sqlite|postgres]
# Setup (timed, not part of the figures): synth carrier of N people, vault import, inventory
# load-synth, an incident with every system exposed, impact.
# Planning: `notify plan` (audience and templates), `notify codes import` (N adult + N minor
# codes), `notify start` (template check and code assignment): seconds and peak RSS of each.
# Delivery: Postfix's smtp-sink (a C, event-driven SMTP server that counts and discards) on
# loopback; for each --connections value C, the started campaign is restored from a snapshot,
# `notify send --once --connections C` runs, and the e-mails counted at the server are divided
# by the send's wall time. The server's ceiling is measured in the same run with Postfix's
# smtp-source (C sessions reusing their connections, a message of a notice's size) against the
# same server process, right after each send, sending the same message as the sender's (its
# first e-mail recipient's notice, from `notify preview --eml`).
# BENCH_SERVER=aiosmtpd runs the same against Python's aiosmtpd (the SMTP server the tests
# deliver to; scripts/bench/notify_aiosmtpd.py counts and discards) instead of smtp-sink.
# Env: BENCH_BIN (a built binary; else cargo build --release), BENCH_CONNS (--connections
# values, the first being the CLI default; default "8 2 4 16 32"), BENCH_BATCH (--batch, 64),
# BENCH_SKIP_SEND=1 (planning only), BENCH_DIR, BENCH_PG, BENCH_SMTP_PORT, BENCH_KEEP,
# BENCH_PIN=1 (the SMTP server on CPU 0, each client, sender and smtp-source alike, on CPU 1, so
# that neither takes the other's core; needs two CPUs).
set -euo pipefail
N=${1:?people}; BACKEND=${2:-sqlite}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
WORK=${BENCH_DIR:-/tmp/bench-notify-$N-$BACKEND}
CONNS=${BENCH_CONNS:-"8 2 4 16 32"}
BATCH=${BENCH_BATCH:-64}
PORT=${BENCH_SMTP_PORT:-2526}
SERVER=${BENCH_SERVER:-smtp-sink}
SRV_PIN=(); CLI_PIN=()
if [ -n "${BENCH_PIN:-}" ]; then SRV_PIN=(taskset -c 0); CLI_PIN=(taskset -c 1); fi
DB=bench_notify
if [ -n "${BENCH_BIN:-}" ]; then BIN=$BENCH_BIN; else
  (cd "$ROOT" && cargo build --release -p custodian); BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/custodian; fi
if ! command -v smtp-sink > /dev/null || ! command -v smtp-source > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix > /dev/null
fi
rm -rf "$WORK"; mkdir -p "$WORK"; CAR=$WORK/carrier
: > "$WORK/times"; : > "$WORK/delivery"
args() { # args DATA_DIR DB_NAME: the global flags for one copy of the data.
  echo --data-dir "$1"
  if [ "$BACKEND" = postgres ]; then echo --database-url "$PG/$2"; fi
}
if [ "$BACKEND" = postgres ]; then
  dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"; createdb -h 127.0.0.1 -U postgres "$DB"
fi
# shellcheck disable=SC2207
ARGS=($(args "$WORK/data" "$DB"))
# timed LABEL CMD...: runs CMD under /usr/bin/time -v; records wall seconds and peak RSS (KiB).
timed() {
  local label=$1; shift
  /usr/bin/time -v -o "$WORK/$label.time" "$@" > "$WORK/$label.out"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$label.time")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$WORK/$label.time")
  echo "$label $wall $rss" >> "$WORK/times"
  echo "  $label: ${wall} s, $((rss / 1024)) MiB" >&2
}
# json EXPR FILE: EXPR evaluated with d = the JSON in FILE.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

echo "setup: $N people, $BACKEND" >&2
timed synth "$BIN" synth --people "$N" --seed 1 --out "$CAR"
timed import "$BIN" "${ARGS[@]}" -q vault import "$CAR/people.csv"
timed load "$BIN" "${ARGS[@]}" -q inventory load-synth "$CAR"
timed incident "$BIN" "${ARGS[@]}" --json incident new --title bench --detected 2025-08-15
ID=$(json 'd["id"]' "$WORK/incident.out")
SYSTEMS=$(python3 -c 'import sys,tomllib;print(" ".join(s["name"] for s in tomllib.load(open(sys.argv[1],"rb"))["systems"]))' "$CAR/systems.toml")
for s in $SYSTEMS; do "$BIN" "${ARGS[@]}" -q incident expose "$ID" --dataset "$s" > /dev/null; done
timed impact "$BIN" "${ARGS[@]}" incident impact "$ID"

echo "planning" >&2
cat > "$WORK/settings.json" <<'EOF'
{"company_name": "Bench Wireless", "lookup_url": "https://example.com/was-i-affected",
 "verify_url": "https://example.com/verify", "date_of_breach": "between 2025-07-01 and 2025-08-10",
 "incident_summary": "An attacker copied customer records from several internal systems."}
EOF
timed plan "$BIN" "${ARGS[@]}" notify plan bench --incident "$ID" --builtin-templates \
  --channels email,letter --settings "$WORK/settings.json"
awk -v n="$N" 'BEGIN { print "code,engagement,enrol_by,minor"
  for (i = 0; i < n; i++) printf "BENCH-A%09d,ENG-1,2027-02-28,no\nBENCH-M%09d,ENG-1M,2027-02-28,yes\n", i, i }' \
  > "$WORK/codes.csv"
timed codes "$BIN" "${ARGS[@]}" notify codes import "$WORK/codes.csv"
timed start "$BIN" "${ARGS[@]}" notify start bench
"$BIN" "${ARGS[@]}" --json notify status bench > "$WORK/status0.json"

if [ -z "${BENCH_SKIP_SEND:-}" ]; then
  echo "delivery" >&2
  # The ceiling's message: the first e-mail recipient's notice exactly as the sender formats
  # it (`notify preview --eml`: headers, text and HTML parts), so both clients send the same
  # bytes. Line ends are LF in the file; smtp-source sends each line with CRLF.
  PERSON=
  for P in $(awk -F, 'NR > 1 && $0 ~ /@/ { print $1; if (++n == 50) exit }' "$CAR/people.csv"); do
    if "$BIN" "${ARGS[@]}" -q notify preview bench "$P" --eml > "$WORK/message.eml" 2> /dev/null; then
      PERSON=$P; break
    fi
  done
  [ -n "$PERSON" ] || { echo "no e-mail recipient among the first people" >&2; exit 1; }
  tr -d '\r' < "$WORK/message.eml" > "$WORK/message.txt"
  MSG_BYTES=$(wc -c < "$WORK/message.txt")
  if [ "$SERVER" = aiosmtpd ]; then
    PY=${CUSTODIAN_TEST_PYTHON:-${CUSTODIAN_TEST_VENV:-$HOME/.cache/custodian/test-venv}/bin/python}
    "$PY" -c 'import aiosmtpd' 2> /dev/null || bash "$ROOT/scripts/test-services/aiosmtpd.sh" >&2
    "${SRV_PIN[@]}" "$PY" "$ROOT/scripts/bench/notify_aiosmtpd.py" "$PORT" > "$WORK/sink.counter" 2>&1 &
  else
    "${SRV_PIN[@]}" smtp-sink -u nobody -c "127.0.0.1:$PORT" 1024 > "$WORK/sink.counter" 2>&1 &
  fi
  SINK=$!
  trap 'kill $SINK 2>/dev/null || true' EXIT
  sleep 0.5
  count() { sleep 0.3; tail -c 200 "$WORK/sink.counter" | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 || echo 0; }
  # Snapshot of the started campaign; every send runs on a fresh copy of it.
  cp -a "$WORK/data" "$WORK/data.snap"
  for C in $CONNS; do
    rm -rf "$WORK/data.run"; cp -a "$WORK/data.snap" "$WORK/data.run"
    if [ "$BACKEND" = postgres ]; then
      dropdb -h 127.0.0.1 -U postgres --if-exists "${DB}_run"
      createdb -h 127.0.0.1 -U postgres -T "$DB" "${DB}_run"
    fi
    # shellcheck disable=SC2207
    RUN=($(args "$WORK/data.run" "${DB}_run"))
    before=$(count)
    timed "send_c$C" "${CLI_PIN[@]}" "$BIN" "${RUN[@]}" notify send bench --smtp "127.0.0.1:$PORT" --once \
      --connections "$C" --batch "$BATCH"
    emails=$(( $(count) - before ))
    "$BIN" "${RUN[@]}" --json notify status bench > "$WORK/status_c$C.json"
    letters=$(json 'd["by_channel"].get("letter",{}).get("sent",0)' "$WORK/status_c$C.json")
    # The ceiling: the same number of messages (at most 200,000), C sessions.
    m=$(( emails < 200000 ? (emails > 20000 ? emails : 20000) : 200000 ))
    before=$(count)
    t0=$(date +%s%N)
    "${CLI_PIN[@]}" smtp-source -d -s "$C" -m "$m" -F "$WORK/message.txt" -f notices@example.com \
      -t person@example.net "127.0.0.1:$PORT"
    t1=$(date +%s%N)
    got=$(( $(count) - before ))
    wall=$(awk '$1 == "send_c'"$C"'" { print $2 }' "$WORK/times")
    echo "$C $emails $letters $wall $got $(( (t1 - t0) / 1000000 ))e-3" >> "$WORK/delivery"
    awk '{ printf "  --connections %d: %d e-mails (+%d letters) in %.2f s = %.0f/s; smtp-source: %.0f/s\n", $1, $2, $3, $4, $2/$4, $5/$6 }' \
      <(tail -1 "$WORK/delivery") >&2
  done
  kill $SINK; wait $SINK 2>/dev/null || true; trap - EXIT
fi

awk -v n="$N" -v be="$BACKEND" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" -v bytes="${MSG_BYTES:-0}" \
    -v def="$(echo "$CONNS" | awk '{print $1}')" -v batch="$BATCH" -v server="$SERVER" \
    -v pin="${BENCH_PIN:+, server on CPU 0, clients on CPU 1}" '
  FNR == NR { w[$1] = $2; r[$1] = $3; next }
  { c[++k] = $1; e[k] = $2; l[k] = $3; sw[k] = $4; rate[k] = $2 / $4; ceil[k] = $5 / $6
    if (ceil[k] > cmax) cmax = ceil[k]; if (rate[k] > best) { best = rate[k]; bi = k } }
  END {
    printf "\nnotify benchmark: %d people, %s, load average %s\n", n, be, la
    printf "setup (not counted): synth %.1f s, vault import %.1f s, inventory load %.1f s, impact %.1f s\n",
      w["synth"], w["import"], w["load"], w["impact"]
    printf "%-28s %10s %10s\n", "planning step", "wall s", "peak MiB"
    t = 0; m = 0
    split("plan codes start", s, " ")
    for (i = 1; i <= 3; i++) { printf "%-28s %10.2f %10.0f\n", s[i], w[s[i]], r[s[i]] / 1024; t += w[s[i]]; if (r[s[i]] > m) m = r[s[i]] }
    printf "%-28s %10.2f %10.0f\n", "planning total", t, m / 1024
    if (k == 0) exit
    printf "\ndelivery to %s on loopback (--batch %d, notice %d bytes%s)\n", server, batch, bytes, pin
    printf "%-14s %9s %8s %8s %10s %10s %10s %7s %9s\n", "--connections", "e-mails", "letters", "wall s", "e-mails/s", "peak MiB", "ceiling/s", "ratio", "vs max"
    for (i = 1; i <= k; i++)
      printf "%-14s %9d %8d %8.2f %10.0f %10.0f %10.0f %7.2f %9.2f\n", c[i] (c[i] == def ? " (default)" : ""), e[i], l[i], sw[i], rate[i], r["send_c" c[i]] / 1024, ceil[i], rate[i] / ceil[i], rate[i] / cmax
    printf "best: --connections %d, %.0f e-mails/s = %.2f of the ceiling (max %.0f/s); targets: >= 0.80 of ceiling %s, >= 2000/s %s\n",
      c[bi], best, best / cmax, cmax, (best / cmax >= 0.8 ? "met" : "NOT met"), (best >= 2000 ? "met" : "NOT met")
  }' "$WORK/times" "$WORK/delivery"
if [ "$BACKEND" = postgres ] && [ -z "${BENCH_KEEP:-}" ]; then
  dropdb -h 127.0.0.1 -U postgres --if-exists "${DB}_run"; dropdb -h 127.0.0.1 -U postgres "$DB"
fi
