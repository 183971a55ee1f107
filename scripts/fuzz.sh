#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (the parsers that take outside input) for a fixed number of
# inputs from a fixed seed, so a run is repeatable: the same code gets the same inputs. Run by
# scripts/test.sh under CI; longer runs by hand: `scripts/fuzz.sh 5000000`.
#
# cargo-fuzz needs nightly compiler flags (the sanitizers); RUSTC_BOOTSTRAP=1 lets the machine's
# stable toolchain accept them, so no second toolchain is needed. cargo-fuzz itself is
# installed from crates.io when missing.
#
# Usage: scripts/fuzz.sh [RUNS_PER_TARGET]   (default: $FUZZ_RUNS, else 300000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-${FUZZ_RUNS:-300000}}
if ! cargo fuzz --version > /dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/fuzz}
CORPUS=$(mktemp -d)
trap 'rm -rf "$CORPUS"' EXIT
cd "$ROOT/fuzz"
for target in $(cargo fuzz list); do
    mkdir -p "$CORPUS/$target"
    start=$(date +%s)
    # A crash, a panic or a failed assertion stops libFuzzer with a non-zero status (and leaves
    # the input under fuzz/artifacts/), which fails this script and the test command.
    cargo fuzz run -O "$target" "$CORPUS/$target" -- -seed=1 -runs="$RUNS" \
        > "$CORPUS/$target.log" 2>&1 || {
        tail -40 "$CORPUS/$target.log"
        echo "fuzz: $target FAILED (input under fuzz/artifacts/$target/)"
        exit 1
    }
    echo "fuzz: $target: $RUNS inputs from seed 1, clean ($(( $(date +%s) - start )) s)"
done
