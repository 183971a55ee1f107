#!/usr/bin/env bash
# Installs the Debian packages that the network scanner's integration tests start their own
# instances of (crates/scan/tests/net_*.rs): sshd on a high port, snmpd on a high UDP port, the
# openssl CLI for a throwaway HTTPS certificate, and nmap for the speed comparison in
# crates/scan/examples/net_speed.rs. Idempotent and quiet: it only installs what is missing and
# never starts or enables a system service (the tests run their own instances on loopback).
set -euo pipefail

# The notification campaign tests' SMTP server (Python's aiosmtpd, in its own virtualenv).
"$(dirname "$0")/aiosmtpd.sh"

# The Trust Center tests' validators (sectxt, feedparser, csaf-validator-lib) and Chromium.
"$(dirname "$0")/trust.sh"

packages=(openssh-server snmpd nmap openssl)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "test-services: all present (${packages[*]})"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "test-services: installing ${missing[*]}"
# policy-rc.d exit 101 keeps Debian's maintainer scripts from starting the system daemons:
# the tests start their own instances on loopback high ports and must not race system ones.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
fi
cleanup() {
    if [ "$created_policy" -eq 1 ]; then
        $SUDO rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test-services: done"
