# PostgreSQL for tests and benches: `source scripts/pg.sh; pg_start; ...; pg_stop`.
# Each run takes a free port (PG_PORT to choose one) and a data directory of its own (PG_DIR),
# so two `make test` on one machine do not stop each other's server.
PG_USER_OS="${PG_USER_OS:-cwpg}"

# A TCP port free on 127.0.0.1 right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

pg_install() {
  pg_bindir >/dev/null && return 0
  echo "pg.sh: installing PostgreSQL from Debian" >&2
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_bindir >/dev/null
}

# run a command as the unprivileged owner of the cluster (PostgreSQL refuses to run as root)
pg_as() {
  if [ "$(id -u)" = 0 ]; then
    su -s /bin/bash "$PG_USER_OS" -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

pg_start() {
  pg_install || { echo "pg.sh: PostgreSQL is not available" >&2; return 1; }
  local bin; bin="$(pg_bindir)"
  if [ "$(id -u)" = 0 ] && ! id "$PG_USER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_OS"
  fi
  PG_PORT="${PG_PORT:-$(free_port)}"
  PG_DIR="${PG_DIR:-$(mktemp -d /tmp/computewatch-pg.XXXXXX)}"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown "$PG_USER_OS" "$PG_DIR"
  pg_as "$bin/initdb" -D "$PG_DIR/data" -U computewatch --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null
  pg_as "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U computewatch computewatch_test
  export PG_URL="postgresql+psycopg://computewatch@127.0.0.1:$PG_PORT/computewatch_test"
  echo "pg.sh: PostgreSQL on 127.0.0.1:$PG_PORT" >&2
}

# Stops only the server pg_start started (its own data directory).
pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  local bin; bin="$(pg_bindir)" || return 0
  [ -d "$PG_DIR/data" ] && pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
  return 0
}
