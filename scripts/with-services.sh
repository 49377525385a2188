#!/usr/bin/env bash
# Run a command with the services the tests need started on 127.0.0.1, and stopped afterwards.
# PostgreSQL: installed from Debian if missing, run as an unprivileged user (it refuses root),
# in a throw-away data directory; its URL is handed to the tests in COMPUTEWATCH_TEST_PG_URL.
# Redis (the shared crawl frontier): likewise, in COMPUTEWATCH_TEST_REDIS_URL. Each on a free
# port, so two runs side by side do not meet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/pg.sh"
source "$here/redis.sh"
trap 'pg_stop; redis_stop' EXIT
pg_start
redis_start
export COMPUTEWATCH_TEST_PG_URL="$PG_URL"
export COMPUTEWATCH_TEST_REDIS_URL="$REDIS_URL"
"$@"
