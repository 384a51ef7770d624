#!/usr/bin/env bash
# Prints the path of a PgBouncer >= 1.21 (named prepared statements in transaction mode),
# building it first when missing: from Debian 13's source package (1.24), configured
# without c-ares, into target/pgbouncer. Needs root for apt (as CI and this machine have).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/target/pgbouncer"
bin="$prefix/bin/pgbouncer"
if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi
{
    missing=()
    for pkg in build-essential dpkg-dev pkgconf libevent-dev libssl-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    sources=/etc/apt/sources.list.d/helpdesk-trixie-src.sources
    if [ ! -f "$sources" ]; then
        cat > "$sources" <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
        apt-get update -qq
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    apt-get source --download-only pgbouncer
    dpkg-source -x pgbouncer_*.dsc src >/dev/null
    cd src
    ./configure --prefix="$prefix" --without-cares >/dev/null
    make -j2 >/dev/null
    make install >/dev/null
} >&2
echo "$bin"
