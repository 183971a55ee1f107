#!/usr/bin/env bash
# The test command: starts (or installs) what the tests need, then runs every test of the
# workspace on SQLite and PostgreSQL. Under CI (CI=true) a missing PostgreSQL fails the run
# instead of skipping its half of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
if [ "${CI:-}" = "true" ]; then
    export CUSTODIAN_REQUIRE_PG=1
fi
exec cargo test --workspace --locked "$@"
