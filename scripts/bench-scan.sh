#!/usr/bin/env bash
# Secrets-scanner benchmark (issue #8, BENCHMARKS.md "Scanners"): Custodian's secrets pack
# against ripsecrets (crates.io) and detect-secrets (PyPI) in one run, on the same inputs:
# the labelled fixtures, a source tree and that tree's git history.
# Usage: scripts/bench-scan.sh [TREE_MIB]   (default 100)
# The source tree is the sources of this workspace's own dependencies (the .crate files cargo
# fetched for Cargo.lock), taken in name order until TREE_MIB; the history is a repository built
# from it in 12 commits (10 adding crates, 2 editing a tenth of the files) plus a planted
# credentials file added and then deleted. The tools go to $HOME/.cache/custodian/bench-tools.
set -euo pipefail
MIB=${1:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${BENCH_TOOLS:-$HOME/.cache/custodian/bench-tools}
WORK=${BENCH_DIR:-/tmp/bench-scan}
RIPSECRETS_VERSION=0.1.11
DETECT_SECRETS_VERSION=1.5.0

mkdir -p "$TOOLS"
if ! "$TOOLS/bin/ripsecrets" --version 2>/dev/null | grep -q "$RIPSECRETS_VERSION"; then
  cargo install --locked --quiet ripsecrets --version "$RIPSECRETS_VERSION" --root "$TOOLS"
fi
[ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv"
if ! "$TOOLS/venv/bin/detect-secrets" --version 2>/dev/null | grep -q "$DETECT_SECRETS_VERSION"; then
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "detect-secrets==$DETECT_SECRETS_VERSION"
fi

rm -rf "$WORK"; mkdir -p "$WORK/tree"
# The source tree: this workspace's dependencies, unpacked from cargo's download cache.
(cd "$ROOT" && cargo fetch --quiet)
CACHE=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/ | head -1)
limit=$((MIB * 1024 * 1024)); total=0
for crate in $(cd "$CACHE" && ls *.crate | sort); do
  tar -xzf "$CACHE/$crate" -C "$WORK/tree"
  total=$(du -sb "$WORK/tree" | cut -f1)
  [ "$total" -ge "$limit" ] && break
done
echo "source tree: $(find "$WORK/tree" -type f | wc -l) files, $((total / 1024 / 1024)) MiB"

# The history: the same crates committed in batches, then edits, then a planted secret that is
# deleted again (Custodian must report the commit that added it).
REPO=$WORK/repo; mkdir -p "$REPO"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid \
  GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
git -C "$REPO" init -q -b main
git -C "$REPO" config gc.auto 0
mapfile -t crates < <(ls "$WORK/tree" | sort)
n=${#crates[@]}; per=$(( (n + 9) / 10 ))
for ((i = 0; i < n; i += per)); do
  for c in "${crates[@]:i:per}"; do cp -r "$WORK/tree/$c" "$REPO/"; done
  git -C "$REPO" add -A && git -C "$REPO" commit -q -m "add crates $i.."
done
for round in 1 2; do
  find "$REPO" -path "$REPO/.git" -prune -o -name '*.rs' -print | sort | awk "NR % 10 == $round" |
    while read -r f; do echo "// edit $round" >> "$f"; done
  git -C "$REPO" commit -q -am "edit round $round"
done
mkdir -p "$REPO/deploy"
printf 'DATABASE_URL=postgres://billing:Xk29vLq8RmTz4Wp1@db.internal:5432/billing\nAWS_SECRET_ACCESS_KEY=kT9vW2xQ7mZ4pL8rN3sJ6yB1cF5hD0gE8aU2iO7e\n' > "$REPO/deploy/.env"
git -C "$REPO" add -A && git -C "$REPO" commit -q -m "deploy settings"
git -C "$REPO" rm -q deploy/.env && git -C "$REPO" commit -q -m "remove deploy settings"
git -C "$REPO" gc -q
echo "history: $(git -C "$REPO" rev-list --count HEAD) commits"

cd "$ROOT"
cargo run --release --quiet -p custodian-scan --example secrets_compare -- \
  --tree "$WORK/tree" --git "$REPO" \
  --fixtures crates/scan/testdata/scan-fixtures/secrets.jsonl \
  --ripsecrets "$TOOLS/bin/ripsecrets" --detect-secrets "$TOOLS/venv/bin/detect-secrets" \
  --work "$WORK" --runs "${BENCH_RUNS:-3}"
