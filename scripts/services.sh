#!/usr/bin/env bash
# Makes sure the servers the tests talk to are running on loopback: PostgreSQL on 127.0.0.1:5432
# (trust auth, database `test`) and Redis on 127.0.0.1:6379, installing them from Debian's
# packages when missing, plus the services the scanner tests start themselves. Idempotent.
set -euo pipefail

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        $SUDO apt-get update -qq >/dev/null
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
    echo "services: installing PostgreSQL"
    apt_install postgresql
fi
if ! pg_up; then
    echo "services: starting PostgreSQL"
    for v in $(ls /etc/postgresql 2>/dev/null); do
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up; then
    # Trust auth on loopback and a `test` database, as the tests expect.
    if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
        hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | head -n 1)
        if [ -n "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
            $SUDO sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
            $SUDO -u postgres psql -q -c 'select pg_reload_conf()' >/dev/null 2>&1 || true
        fi
        psql -h 127.0.0.1 -U postgres -c 'create database test' >/dev/null 2>&1 || true
    fi
    echo "services: PostgreSQL ready on 127.0.0.1:5432"
else
    echo "services: WARNING: PostgreSQL is not reachable; PostgreSQL tests will say SKIPPED" >&2
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null || true
fi

command -v curl >/dev/null 2>&1 || apt_install curl
bash "$(dirname "$0")/test-services/install.sh"
