#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and exports TELLER_TEST_POSTGRES (an admin URL; each
# test creates its own database). Sourced by .ci/test; installs Debian's postgresql if missing.
# The server is stopped and its directory removed when the sourcing shell exits.

if [ -n "${TELLER_TEST_POSTGRES:-}" ]; then
    echo "== PostgreSQL: using TELLER_TEST_POSTGRES as given"
    return 0
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "== PostgreSQL: installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

pg_port=${TELLER_TEST_POSTGRES_PORT:-55432}
pg_dir=$(mktemp -d /tmp/teller-pg.XXXXXX)
chmod 755 "$pg_dir"
as_postgres=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$pg_dir"
    as_postgres=(runuser -u postgres --)
fi
"${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync >/dev/null
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null

teller_stop_postgres() {
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap teller_stop_postgres EXIT

export TELLER_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $pg_port (throwaway, $pg_dir)"
