#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the tests and prints its URL on stdout.
# Usage: eval "$(scripts/pg-throwaway.sh start)"   -> exports TEST_POSTGRES_URL and PG_THROWAWAY_DIR
#        scripts/pg-throwaway.sh stop DIR
# initdb refuses to run as root, so as root the cluster belongs to the unprivileged 'postgres' user.
set -euo pipefail
cmd=${1:-start}
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir=$d; done
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case "$cmd" in
start)
    [ -x "$bindir/initdb" ] || { echo "echo 'PostgreSQL server binaries not found; PostgreSQL tests will be skipped' >&2"; exit 0; }
    port=${PG_THROWAWAY_PORT:-54329}
    dir=$(mktemp -d /tmp/wealthtech-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; chown postgres "$dir"; }
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    echo "export TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    echo "export PG_THROWAWAY_DIR=$dir"
    ;;
stop)
    dir=${2:?directory}
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
