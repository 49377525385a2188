#!/usr/bin/env bash
# Run a command with the services the tests need started on 127.0.0.1, and stopped afterwards.
# PostgreSQL: installed from Debian if missing, run as an unprivileged user (it refuses root),
# in a throw-away data directory. The URL is handed to the tests in COMPUTEWATCH_TEST_PG_URL.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/pg.sh"
pg_start
trap pg_stop EXIT
export COMPUTEWATCH_TEST_PG_URL="$PG_URL"
"$@"
