#!/usr/bin/env bash
# `make test`: the whole suite on SQLite, then on PostgreSQL. Both must pass.
#
#   YIMEN_TEST_DATABASE_URL   PostgreSQL server for the second run
#                             (default postgres://postgres@127.0.0.1:5432/yimen_test; pytest-django
#                             creates and drops test_<name> there)
#   CI=true                   an unreachable PostgreSQL is an error, not a skip
#   PYTEST_ARGS               extra pytest arguments, e.g. PYTEST_ARGS="-k demo -x"
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${VENV:-.venv}/bin/python
PG_URL=${YIMEN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/yimen_test}
read -r -a EXTRA <<< "${PYTEST_ARGS:-}"

run_suite() {  # run_suite LABEL [env assignments…]
  local label=$1; shift
  echo "== $label =="
  env "$@" "$PY" -m pytest ${EXTRA[@]+"${EXTRA[@]}"}
  local rc=$?
  # pytest exits 5 when it collected nothing: a broken path or filter, never a pass.
  if [ "$rc" -eq 5 ]; then
    echo "$label: no tests were collected (pytest exit 5) — counted as a failure" >&2
  elif [ "$rc" -ne 0 ]; then
    echo "$label: FAILED (pytest exit $rc)" >&2
  fi
  return "$rc"
}

failed=0
# The SQLite run must not pick up a developer's YIMEN_DATABASE_URL.
run_suite "SQLite" -u YIMEN_DATABASE_URL || failed=1

if reason=$("$PY" - "$PG_URL" <<'PY' 2>&1
import sys
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# Connect to the server's maintenance database: the test database need not exist yet.
params = conninfo_to_dict(sys.argv[1])
params["dbname"] = "postgres"
try:
    psycopg.connect(make_conninfo(**params), connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", and we say why
    print(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    sys.exit(1)
PY
); then
  run_suite "PostgreSQL ($PG_URL)" YIMEN_DATABASE_URL="$PG_URL" || failed=1
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL ($reason); CI=true requires the PostgreSQL run — FAILED" >&2
  failed=1
else
  echo "PostgreSQL not reachable at $PG_URL ($reason) — PostgreSQL run skipped (set YIMEN_TEST_DATABASE_URL; with CI=true this fails)."
fi

if [ "$failed" -ne 0 ]; then
  echo "make test: FAILED" >&2
  exit 1
fi
echo "make test: all runs passed"
