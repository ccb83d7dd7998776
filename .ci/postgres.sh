#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the shared-storage tests, and print its URL.
# Usage: eval "$(bash .ci/postgres.sh start)"  ...  bash .ci/postgres.sh stop DATADIR
set -euo pipefail
case "${1:-start}" in
start)
  # a free loopback port, so a server left running elsewhere on the machine cannot collide with this one
  port=${DSE_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  data=$(mktemp -d /tmp/dse-pg.XXXXXX)
  chown postgres "$data"
  su postgres -s /bin/sh -c "$bin/initdb -D $data -A trust -U postgres" >/dev/null
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -w -l $data/server.log -o '-c listen_addresses=127.0.0.1 -p $port -k $data' start" >&2
  su postgres -s /bin/sh -c "$bin/createdb -h 127.0.0.1 -p $port -U postgres dse_test"
  echo "export DSE_TEST_POSTGRES=postgresql+psycopg2://postgres@127.0.0.1:$port/dse_test"
  echo "export DSE_PG_DATA=$data"
  ;;
stop)
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  su postgres -s /bin/sh -c "$bin/pg_ctl -D ${2:?data dir} -m fast stop" >&2 || true
  rm -rf "${2}"
  ;;
esac
