#!/usr/bin/env bash
# The web server and the background worker together, as `make run` (the demo) and `make serve` (a centre's
# own start) start them; Ctrl-C stops both. Configuration comes from the environment only.
#
#   YIMEN_HOST / YIMEN_PORT      where to listen (127.0.0.1:8000)
#   YIMEN_WEB_WORKERS            gunicorn worker processes (1 on SQLite, 2 otherwise)
#   YIMEN_WEB_THREADS            threads per worker (4)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
HOST=${YIMEN_HOST:-127.0.0.1}
PORT=${YIMEN_PORT:-8000}
case "${YIMEN_DATABASE_URL:-sqlite}" in
  sqlite*) default_workers=1 ;;  # one process, several threads: SQLite has one writer at a time anyway
  *) default_workers=2 ;;
esac
WORKERS=${YIMEN_WEB_WORKERS:-$default_workers}
THREADS=${YIMEN_WEB_THREADS:-4}

# Refuse an unsafe start before starting anything (outside demo mode: the default secret key, an
# account on the demo password, the SMS code on the page). The WSGI module checks again on load.
"$VENV/bin/yimen" check --deploy --tag yimen_safety --database default --fail-level ERROR >/dev/null || exit 3

# Job control puts each child in its own process group, so Ctrl-C reaches only this script, which
# then stops each child exactly once (the worker treats a second signal as "exit at once").
set -m
"$VENV/bin/gunicorn" yimen.wsgi:application --bind "$HOST:$PORT" --workers "$WORKERS" --threads "$THREADS" \
  --graceful-timeout 20 --access-logfile - --error-logfile - &
web=$!
"$VENV/bin/yimen" worker &
worker=$!

stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo "正在停止 (stopping web server and worker) …" >&2
  kill -TERM "$web" "$worker" 2>/dev/null || true
  wait "$web" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap 'stop; exit 0' INT  # Ctrl-C is how one stops it: not an error
trap 'stop; exit 143' TERM
trap 'stop' EXIT

# Say where it is once the server answers (and, in the demo, print the sign-in table for that address).
if [ "${YIMEN_DEMO:-false}" = "true" ]; then after_up=("$VENV/bin/yimen" demo table --base-url "http://$HOST:$PORT"); else after_up=(true); fi
"$VENV/bin/python" - "$HOST" "$PORT" <<'PY' && "${after_up[@]}" || true
import sys, time, urllib.request
url = f"http://{sys.argv[1]}:{sys.argv[2]}/admin/login/"
for _ in range(120):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                print(f"\n一门已启动 Yimen is up: http://{sys.argv[1]}:{sys.argv[2]}/  (Ctrl-C 停止 to stop)\n", flush=True)
                sys.exit(0)
    except Exception:
        time.sleep(0.5)
sys.exit(1)
PY

# Run until either process ends (or Ctrl-C); then stop the other.
while kill -0 "$web" 2>/dev/null && kill -0 "$worker" 2>/dev/null; do
  sleep 1
done
status=0
kill -0 "$web" 2>/dev/null || { wait "$web" || status=$?; echo "web server exited ($status)" >&2; }
kill -0 "$worker" 2>/dev/null || { wait "$worker" || status=$?; echo "worker exited ($status)" >&2; }
exit "$status"
