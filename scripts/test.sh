#!/usr/bin/env bash
# The test command: starts (or installs) what the tests need, then runs every test of the
# workspace on SQLite and PostgreSQL. Under CI (CI=true) a missing PostgreSQL fails the run
# instead of skipping its half of the tests, and every fuzz target then runs a fixed,
# repeatable number of inputs (scripts/fuzz.sh; FUZZ_RUNS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
if [ "${CI:-}" = "true" ]; then
    export CUSTODIAN_REQUIRE_PG=1
fi
cargo test --workspace --locked "$@"
if [ "${CI:-}" = "true" ] && [ "${FUZZ_RUNS:-}" != "0" ]; then
    bash scripts/fuzz.sh
fi
