#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and trying Mamori on PostgreSQL: Debian's server binaries, a
# temporary folder, a free port on 127.0.0.1, trust authentication for localhost only. PostgreSQL refuses to
# run as root, so as root the cluster runs as the `postgres` user.
#
#   bash scripts/postgres.sh start   # prints MAMORI_TEST_POSTGRES=postgres://… and MAMORI_PG_DIR=…
#   bash scripts/postgres.sh stop DIR      stops it and removes its folder
#   bash scripts/postgres.sh pause DIR     stops it, keeping its data (tests of a database that went away)
#   bash scripts/postgres.sh resume DIR    starts it again on the same port
#
# Installs Debian's `postgresql` package first when its binaries are missing.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

case "${1:-}" in
  start)
    if [ -z "$(bin_dir)" ] || [ ! -x "$(bin_dir)/initdb" ]; then
      echo "[postgres] installing Debian's postgresql" >&2
      as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql postgresql-client >/dev/null
    fi
    BIN=$(bin_dir)
    DIR=$(mktemp -d /tmp/mamori-pg.XXXXXX)
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    run "$BIN/initdb" -D "$DIR/data" -A trust -U mamori -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    # Enough connections for three instances and the tests beside them; fsync stays on (the crash tests
    # rely on it).
    echo "$PORT" > "$DIR/port"
    run "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o \
      "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2
    echo "MAMORI_TEST_POSTGRES=postgres://mamori@127.0.0.1:$PORT/postgres"
    echo "MAMORI_PG_DIR=$DIR"
    ;;
  stop)
    DIR="${2:?usage: postgres.sh stop DIR}"
    BIN=$(bin_dir)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true
    else "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true; fi
    rm -rf "$DIR"
    ;;
  pause)
    DIR="${2:?usage: postgres.sh pause DIR}"
    BIN=$(bin_dir)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >&2
    else "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >&2; fi
    ;;
  resume)
    DIR="${2:?usage: postgres.sh resume DIR}"
    BIN=$(bin_dir)
    PORT=$(cat "$DIR/port")
    run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    run "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o \
      "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2
    ;;
  *)
    echo "usage: postgres.sh start | stop DIR | pause DIR | resume DIR" >&2
    exit 2
    ;;
esac
