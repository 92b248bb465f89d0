#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: a fresh data directory in /tmp, listening on
# 127.0.0.1 (and a unix socket in the same directory), with DATABASE_URL pointing at it. The server
# is stopped and its directory removed when the command ends, whatever happens.
#   scripts/with-postgres.sh npx vitest run
# Needs Debian's postgresql package (apt-get install -y postgresql) or initdb/pg_ctl on PATH.
# As root, the server runs as the unprivileged `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-postgres: initdb not found; install PostgreSQL (Debian: apt-get install -y postgresql)" >&2
  exit 127
fi

dir=$(mktemp -d /tmp/poick-pg.XXXXXX)
port=${PGPORT_TEST:-$((20000 + RANDOM % 20000))}
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$dir"
  as_pg() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
fi

stop() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway test server; these make it much faster.
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
