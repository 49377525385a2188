# Redis for tests and benches (the shared crawl frontier): `source scripts/redis.sh; redis_start;
# ...; redis_stop`. A free port on 127.0.0.1 (REDIS_PORT to choose one), a directory of its own,
# nothing saved to disk.
redis_install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "redis.sh: installing redis-server from Debian" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  command -v redis-server >/dev/null 2>&1
}

redis_start() {
  redis_install || { echo "redis.sh: redis-server is not available" >&2; return 1; }
  REDIS_PORT="${REDIS_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
  REDIS_DIR="$(mktemp -d /tmp/computewatch-redis.XXXXXX)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --save "" --appendonly no \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/log" >/dev/null
  local i
  for i in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 \
    || { echo "redis.sh: redis-server did not start (see $REDIS_DIR/log)" >&2; return 1; }
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "redis.sh: Redis on 127.0.0.1:$REDIS_PORT" >&2
}

# Stops only the server redis_start started (by the pid in its own directory).
redis_stop() {
  [ -n "${REDIS_DIR:-}" ] || return 0
  local pid=""; [ -f "$REDIS_DIR/redis.pid" ] && pid="$(cat "$REDIS_DIR/redis.pid")"
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    local i; for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$REDIS_DIR"
  return 0
}
