#!/usr/bin/env bash
# Installs the real validators the Trust Center tests (crates/trust/tests/) drive:
# PyPI's sectxt (security.txt) and feedparser (Atom) into the shared test virtualenv
# ${CUSTODIAN_TEST_VENV:-$HOME/.cache/custodian/test-venv}, npm's @secvisogram/csaf-validator-lib
# into ${CUSTODIAN_TEST_NODE:-$HOME/.cache/custodian/test-node}, and Debian's chromium and
# chromium-driver for the headless-browser test (apt-get, through sudo when not root).
# Idempotent: installs only what is missing. The tests fail loudly under CI=true
# when a tool is missing and print SKIPPED otherwise.
set -euo pipefail

venv="${CUSTODIAN_TEST_VENV:-$HOME/.cache/custodian/test-venv}"
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sectxt, feedparser' 2>/dev/null; }; then
    mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check sectxt feedparser
fi
echo "test-services: sectxt and feedparser present ($venv)"

node_dir="${CUSTODIAN_TEST_NODE:-$HOME/.cache/custodian/test-node}"
if [ ! -d "$node_dir/node_modules/@secvisogram/csaf-validator-lib" ]; then
    mkdir -p "$node_dir"
    (cd "$node_dir" && { [ -f package.json ] || echo '{"private":true,"type":"module"}' > package.json; } \
        && npm install --silent --no-audit --no-fund @secvisogram/csaf-validator-lib)
fi
echo "test-services: csaf-validator-lib present ($node_dir)"

# Debian's Chromium and its chromedriver for the headless-browser test (tests/trust/browser.rs),
# and GnuPG for the signed security.txt test (tests/trust/validators.rs).
browser_packages=(chromium chromium-driver gnupg)
browser_missing=()
for p in "${browser_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        browser_missing+=("$p")
    fi
done
if [ "${#browser_missing[@]}" -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "test-services: installing ${browser_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${browser_missing[@]}" >/dev/null
fi
echo "test-services: chromium, chromium-driver and gnupg present ($(command -v chromium) $(command -v chromedriver) $(command -v gpg))"
