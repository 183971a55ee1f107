#!/usr/bin/env bash
# Installs Python's aiosmtpd (the loopback SMTP server the notification campaign tests start on
# an ephemeral port, crates/notify/tests/) into a virtual environment of its own, outside the
# repository: ${CUSTODIAN_TEST_VENV:-$HOME/.cache/custodian/test-venv}. Idempotent: does nothing
# when aiosmtpd already imports there. The tests find the interpreter at the same path (or
# through CUSTODIAN_TEST_PYTHON).
set -euo pipefail

venv="${CUSTODIAN_TEST_VENV:-$HOME/.cache/custodian/test-venv}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    echo "test-services: aiosmtpd present ($venv)"
    exit 0
fi
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'aiosmtpd>=1.4,<2'
"$venv/bin/python" -c 'import aiosmtpd' 
echo "test-services: aiosmtpd installed ($venv)"
