"""Tasks on Redis workers are one setting away: YIMEN_TASK_BACKEND=rq.

Runs the real thing in subprocesses (a fresh embedded database, the task enqueued to Redis, an RQ
worker draining the queue), because the task backend and its apps are chosen at settings load.
"""

import json
import os
import subprocess
import sys

import pytest


def _redis_or_explain(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {url}: the RQ task backend test needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_a_task_enqueued_on_redis_is_run_by_an_rq_worker(tmp_path):
    url = os.environ.get("YIMEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    _redis_or_explain(url)
    env = {
        **os.environ,
        "YIMEN_TASK_BACKEND": "rq",
        "YIMEN_REDIS_URL": url,
        "YIMEN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yimen.settings",
    }
    env.pop("YIMEN_DATABASE_URL", None)  # an embedded database of its own in tmp_path
    queue = "default"
    cli = [sys.executable, "-m", "yimen"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, timeout=300)
    enqueue = (
        "import json; from yimen.notifications.tasks import outbox_deliver_task; "
        "r = outbox_deliver_task.enqueue(); print(json.dumps({'id': r.id, 'status': str(r.status)}))"
    )
    out = subprocess.run([*cli, "shell", "-c", enqueue], env=env, check=True, timeout=120, capture_output=True, text=True)
    job = json.loads(out.stdout.strip().splitlines()[-1])
    assert job["status"].endswith("READY")
    subprocess.run(
        [*cli, "rqworker", "--burst", "--job-class", "django_tasks_rq.Job", queue],
        env=env, check=True, timeout=120, capture_output=True,
    )
    check = (
        "from django_tasks import default_task_backend as b; "
        f"r = b.get_result({job['id']!r}); print(r.status, r.return_value)"
    )
    out = subprocess.run([*cli, "shell", "-c", check], env=env, check=True, timeout=120, capture_output=True, text=True)
    status, return_value = out.stdout.strip().splitlines()[-1].split()
    assert status.endswith("SUCCESSFUL") and return_value == "0", out.stdout
