"""More than one machine, on the loopback: a PostgreSQL primary and a streaming replica made here with
initdb and `pg_basebackup -R`, two gunicorn web processes and two `yimen worker` processes against them,
the cache and sessions in Redis (docs/operations.md, "More than one machine").

It shows that
  - the API's list reads the replica: with the replica's replay paused, a matter registered through
    web A is missing from another user's list through web B, and present once replay resumes;
  - the user who registered it sees it at once through web B (pinned to the primary after a write,
    the pin in the shared Redis cache: an API client keeps no cookie);
  - a replica further behind than YIMEN_REPLICA_MAX_LAG_SECONDS is not used;
  - every write lands on the primary (the replica refuses writes: any would have been a 500);
  - a worker killed with SIGKILL in the middle of delivering loses no outbox message: the other worker
    takes the claimed messages over when their lease runs out, and every one reaches the webhook.

Runs in the PostgreSQL run of `make test` (it needs PostgreSQL's server programs, not the test
database). Skipped with one line where initdb, pg_ctl or pg_basebackup is missing, or Redis does not
answer; under CI=true that is a failure.
"""

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
RED = "某工地包工头拖欠34名工人工资共计24万余元，包工头跑路了，工人扬言要去市政府拉横幅"
MAX_LAG = 8  # seconds (YIMEN_REPLICA_MAX_LAG_SECONDS in the web processes)
STICKY = 30  # seconds: long enough for the whole test; the pin's expiry is a unit test's matter

on_postgresql_run = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="the replica test runs in the PostgreSQL run of make test",
)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"replica test: {reason}; CI=true requires it")
    pytest.skip(f"replica test skipped: {reason}")


def _program(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return shutil.which(name) or (found[-1] if found else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, test, seconds: float = 30.0, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = test()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"{what}: not within {seconds:g} s")


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run as the current user (as `postgres` for root:
    initdb refuses root)."""

    def __init__(self, base: Path, name: str, as_user: list[str]):
        self.dir, self.port, self.as_user = base / name, _free_port(), as_user
        self.log = base / f"{name}.log"

    def run(self, *argv: str):
        done = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(argv)}: {done.stdout}{done.stderr}"

    def configure(self, **values):
        with open(self.dir / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in values.items())

    def start(self, pg_ctl: str):
        self.run(pg_ctl, "-D", str(self.dir), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, pg_ctl: str):
        subprocess.run([*self.as_user, pg_ctl, "-D", str(self.dir), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)

    def url(self, db: str = "yimen") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, query: str, params=(), db: str = "yimen"):
        import psycopg

        with psycopg.connect(self.url(db), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def clusters():
    programs = {name: _program(name) for name in ("initdb", "pg_ctl", "pg_basebackup")}
    missing = [name for name, path in programs.items() if not path]
    if missing:
        _unavailable(f"{', '.join(missing)} not found (PostgreSQL's server package)")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="yimen-replica-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run initdb as")
        as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        os.chown(base, owner.pw_uid, owner.pw_gid)
    primary, replica = Cluster(base, "primary", as_user), Cluster(base, "replica", as_user)
    pg_ctl = programs["pg_ctl"]
    try:
        primary.run(programs["initdb"], "-D", str(primary.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync")
        common = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{base}'", "fsync": "off",
                  "full_page_writes": "off", "shared_buffers": "'32MB'", "max_connections": "60"}
        primary.configure(**common, port=primary.port, wal_level="replica", max_wal_senders="4")
        primary.start(pg_ctl)
        primary.sql("CREATE DATABASE yimen TEMPLATE template0 ENCODING 'UTF8'", db="postgres")
        replica.run(programs["pg_basebackup"], "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(replica.dir), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        replica.configure(port=replica.port, hot_standby="on", wal_receiver_status_interval="'1s'")
        replica.start(pg_ctl)
        assert replica.sql("SELECT pg_is_in_recovery()") == [(True,)]
        yield primary, replica
    finally:
        replica.stop(pg_ctl)
        primary.stop(pg_ctl)
        shutil.rmtree(base, ignore_errors=True)


class Webhook:
    """The outside world's receiver: answers each POST after a short pause, records the message ids."""

    def __init__(self):
        self.ids: list[int] = []
        received = self.ids

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(0.25)  # slow enough for a worker to be killed in the middle of a batch
                received.append(json.loads(body)["id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _redis_url() -> str:
    url = os.environ.get("YIMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not there", and we say which
        _unavailable(f"Redis does not answer at {url} ({exc.__class__.__name__})")
    return url


def _environment(primary: Cluster, replica: Cluster, webhook: Webhook, var: Path, redis_url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")},
        "DJANGO_SETTINGS_MODULE": "yimen.settings",
        "YIMEN_SECRET_KEY": uuid.uuid4().hex * 2,
        "YIMEN_VAR_DIR": str(var),
        "YIMEN_DATABASE_URL": primary.url(),
        "YIMEN_REPLICA_DATABASE_URL": replica.url(),
        "YIMEN_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
        "YIMEN_REPLICA_STICKY_SECONDS": str(STICKY),
        "YIMEN_REPLICA_LAG_CHECK_SECONDS": "0",  # every request asks: the test moves the lag by the second
        "YIMEN_REDIS_URL": redis_url,
        "YIMEN_REDIS_CACHE": "true",
        "YIMEN_CACHE_PREFIX": f"yimen-replica-test-{uuid.uuid4().hex[:8]}",
        "YIMEN_NOTIFICATION_SENDERS": "yimen.notifications.senders.WebhookSender",
        "YIMEN_WEBHOOK_URL": webhook.url,
        "YIMEN_WEBHOOK_TIMEOUT_SECONDS": "2",
        "YIMEN_OUTBOX_LEASE_SECONDS": "6",
        "YIMEN_OUTBOX_BACKOFF_SECONDS": "1",
        "YIMEN_LOG_LEVEL": "WARNING",
        # A connection per request: its backend's statistics reach pg_stat_database as it closes.
        "YIMEN_DB_CONN_MAX_AGE": "0",
    }


def _yimen(env: dict, *argv: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "yimen", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"yimen {' '.join(argv)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


_SEED = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from yimen.accounts.models import ApiToken
from yimen.testing import make_world
w = make_world()
sessions = {}
for name in ("dispatcher", "supervisor"):  # signed in through the real session engine (Redis, cached_db)
    browser = Client()
    browser.force_login(getattr(w, name))
    sessions[name] = browser.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps({"clerk": ApiToken.issue(w.clerk, "t")[1], "dispatcher": ApiToken.issue(w.dispatcher, "t")[1],
                  "grid": w.grid.code, "sessions": sessions}))
"""


class Web:
    def __init__(self, env: dict, log: Path):
        self.port = _free_port()
        self.log = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "yimen.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4", "--worker-class", "gthread", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def call(self, method: str, path: str, token: str, body: dict | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1{path}", method=method,
            data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read()[:500]

    def page(self, path: str, session: str) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"Cookie": f"sessionid={session}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # a redirect (to sign in) would show in the URL
            assert response.url.endswith(path), response.url
            return response.status, response.read()

    def listed(self, token: str) -> set[str]:
        status, page = self.call("GET", "/cases?limit=100", token)
        assert status == 200, page
        return {item["number"] for item in page["items"]}

    def answers(self, token: str) -> bool:
        try:
            return self.call("GET", "/cases?limit=1", token)[0] == 200
        except OSError:
            return False


def _register(web: Web, token: str, grid: str, title: str) -> str:
    body = {"channel": "walk_in", "region_code": grid, "title": title, "description": RED,
            "request": "请求结清工资", "category": "labour", "urgency": "worrying",
            "parties": [{"name": "张三", "phone": "13800138000", "headcount": 34}]}
    status, created = web.call("POST", "/cases", token, body)
    assert status == 201, created
    return created["number"]


def _replayed_up_to_now(primary: Cluster, replica: Cluster) -> None:
    """A fresh commit on the primary, waited for on the replica: its replay timestamp is now."""
    primary.sql("SELECT txid_current()")
    target = primary.sql("SELECT pg_current_wal_lsn()::text")[0][0]
    _wait("the replica replays the primary", lambda: replica.sql(
        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0][0])


@on_postgresql_run
def test_lists_read_the_replica_writes_reach_the_primary_and_a_killed_worker_loses_nothing(clusters, tmp_path):
    primary, replica = clusters
    redis_url = _redis_url()
    webhook = Webhook()
    env = _environment(primary, replica, webhook, tmp_path / "var", redis_url)
    _yimen(env, "migrate", "--noinput", "-v", "0")
    seeded = subprocess.run([sys.executable, "-c", _SEED], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    people = json.loads(seeded.stdout.strip().splitlines()[-1])
    clerk, dispatcher, grid = people["clerk"], people["dispatcher"], people["grid"]

    web_a, web_b = Web(env, tmp_path / "web_a.log"), Web(env, tmp_path / "web_b.log")
    workers: list[subprocess.Popen] = []
    try:
        for web in (web_a, web_b):
            _wait("gunicorn answers", lambda web=web: web.answers(clerk), seconds=60)
        warm = _register(web_a, clerk, grid, "预热登记")  # each process loads its triage engine once
        _register(web_b, clerk, grid, "预热登记")  # the clerk's: the dispatcher has written nothing yet
        _wait("the warm-up matter reaches the replica", lambda: warm in web_b.listed(dispatcher))

        # 1. Replay paused: the replica stops at this moment; the primary goes on.
        _replayed_up_to_now(primary, replica)
        replica.sql("SELECT pg_wal_replay_pause()")
        paused = time.monotonic()
        number = _register(web_a, clerk, grid, "主库登记")
        assert primary.sql("SELECT count(*) FROM cases_case WHERE number = %s", (number,)) == [(1,)]
        assert replica.sql("SELECT count(*) FROM cases_case WHERE number = %s", (number,)) == [(0,)]
        # The clerk just wrote: their list, through the other web process, reads the primary.
        assert number in web_b.listed(clerk)
        # The dispatcher did not: their list reads the (paused) replica, which has not got the matter.
        missing = number not in web_b.listed(dispatcher)
        assert time.monotonic() - paused < MAX_LAG, "too slow to tell: the replica's lag passed the limit"
        assert missing, "the dispatcher's list did not read the replica"

        # 2. Paused longer than YIMEN_REPLICA_MAX_LAG_SECONDS: the replica is not used any more.
        time.sleep(max(0.0, MAX_LAG + 1 - (time.monotonic() - paused)))
        assert number in web_b.listed(dispatcher)

        # 3. Replay resumed: the replica has the matter, and serves it.
        replica.sql("SELECT pg_wal_replay_resume()")
        _replayed_up_to_now(primary, replica)
        assert replica.sql("SELECT count(*) FROM cases_case WHERE number = %s", (number,)) == [(1,)]
        assert number in web_b.listed(dispatcher)

        # 4. The supervisor's board and the dispatcher's Excel ledger read the replica too; the browser
        #    sessions, made by another process, are in Redis and valid on both web nodes.
        def replica_transactions() -> int:
            time.sleep(0.3)  # the backends of the request just answered close and report
            return replica.sql("SELECT xact_commit FROM pg_stat_database WHERE datname = 'yimen'")[0][0]

        sessions = people["sessions"]
        for web, path, session in [(web_a, "/supervise/", sessions["supervisor"]),
                                   (web_b, "/cases/export.xlsx", sessions["dispatcher"])]:
            idle_start = replica_transactions()
            before = replica_transactions()  # idle: only this test's own statistics queries count
            idle = before - idle_start
            status, content = web.page(path, session)
            assert status == 200
            assert replica_transactions() - before > idle + 2, f"{path} sent no query to the replica"
        assert content[:2] == b"PK"  # the .xlsx (a zip)
        keys = redis.Redis.from_url(redis_url).keys(f"{env['YIMEN_CACHE_PREFIX']}:*{sessions['dispatcher']}")
        assert keys, "the session is not in Redis"

        # 5. Two workers deliver the outbox; one is killed with SIGKILL in the middle of a batch.
        numbers = [_register(web, token, grid, f"欠薪扬言拉横幅 {i}")
                   for i, (web, token) in enumerate([(web_a, clerk), (web_b, dispatcher)] * 5)]
        expected = {row[0] for row in primary.sql("SELECT id FROM notifications_outboxmessage")}
        assert len(expected) >= len(numbers), "each red registration tells the centre's leaders"
        def worker(n: int) -> subprocess.Popen:
            return subprocess.Popen(
                [sys.executable, "-m", "yimen", "worker", "--no-tasks", "--worker-id", f"w{n}"],
                cwd=ROOT, env=env, stdout=open(tmp_path / f"worker{n}.log", "wb"), stderr=subprocess.STDOUT,
            )

        workers.append(worker(0))
        _wait("a first message reaches the webhook", lambda: webhook.ids, seconds=60, every=0.05)
        workers.append(worker(1))
        workers[0].send_signal(signal.SIGKILL)  # in the middle of its batch: the rest stay claimed by it
        workers[0].wait(10)
        unsent = primary.sql("SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'sent'")[0][0]
        _wait("every outbox message is sent", lambda: primary.sql(
            "SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'sent'")[0][0] == 0, seconds=60)
        assert expected <= set(webhook.ids), f"never delivered: {sorted(expected - set(webhook.ids))}"
        assert unsent > 0, "the killed worker had nothing left to hand over: the kill showed nothing"
        assert workers[1].poll() is None, "the surviving worker died"
    finally:
        for process in [*workers, web_a.process, web_b.process]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*workers, web_a.process, web_b.process]:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        webhook.server.shutdown()


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_server_programs_skip_with_one_line_and_fail_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="pg_basebackup not found"):
        _unavailable("pg_basebackup not found (PostgreSQL's server package)")
