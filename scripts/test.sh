#!/usr/bin/env bash
# The whole test suite: every test on SQLite, then the database tests again on
# PostgreSQL when a server answers on 127.0.0.1:5432. With
# MINEWATCH_REQUIRE_SERVICES=1 (CI) a missing PostgreSQL, MQTT broker or
# browser is a failure, not a skip. pytest's "no tests ran" (exit 5) fails too.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PG_URL=${MINEWATCH_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/minewatch}

# Two workers: the suite is mostly database and subprocess work, and CI has 2 cores.
WORKERS=${MINEWATCH_TEST_WORKERS:-2}

run_pytest() {
  "$PY" -m pytest -n "$WORKERS" "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing" >&2; return 1; fi
  return "$rc"
}

echo "== tests on SQLite =="
run_pytest -q
sqlite_rc=$?

pg_host_port=$(echo "$PG_URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^/:]+):?([0-9]*)/.*#\2 \3#')
read -r pg_host pg_port <<<"$pg_host_port"
pg_port=${pg_port:-5432}
if "$PY" -c "import socket,sys; socket.create_connection(('$pg_host', $pg_port), 2)" 2>/dev/null; then
  echo "== database tests on PostgreSQL ($pg_host:$pg_port) =="
  MINEWATCH_DATABASE_URL="$PG_URL" MINEWATCH_TEST_DB_ONLY=1 run_pytest -q -p no:cacheprovider
  pg_rc=$?
elif [ "${MINEWATCH_REQUIRE_SERVICES:-0}" = "1" ]; then
  echo "PostgreSQL is not answering on $pg_host:$pg_port and MINEWATCH_REQUIRE_SERVICES=1: failing" >&2
  pg_rc=1
else
  echo "== PostgreSQL not answering on $pg_host:$pg_port: PostgreSQL pass skipped (start it to run it) =="
  pg_rc=0
fi

[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
