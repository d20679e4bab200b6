import datetime as dt
import io
import os
import signal
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yimen.cases.jobs import enqueue_sweep, prune_sweep_results
from yimen.cases.models import Deadline, DeadlineState, Step
from yimen.common.management.commands.worker import WorkerLoop
from yimen.notifications.models import OutboxMessage, OutboxStatus


def test_worker_once_runs_a_sweep_and_a_delivery_and_exits_cleanly(world):
    case = world.register()
    limit = Deadline.objects.get(case=case, step=Step.HANDLE, state=DeadlineState.OPEN)
    out = io.StringIO()

    with time_machine.travel(limit.warn_at, tick=False):
        call_command("worker", "--once", stdout=out)  # returning (no SystemExit) is exit status 0

    assert "warned=1" in out.getvalue() and "delivered=" in out.getvalue()
    assert OutboxMessage.objects.filter(kind="deadline_warned", status=OutboxStatus.SENT).count() == 1
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()


def test_the_yimen_entry_point_runs_worker_once(world):
    from yimen.cli import main

    # --skip-checks: this test is about the worker, not about every URL module importing cleanly.
    assert main(["worker", "--once", "--skip-checks"]) == 0


def test_a_sweep_is_not_queued_twice_while_one_waits(db):
    assert enqueue_sweep(interval=60) is True
    assert enqueue_sweep(interval=60) is False

    assert DBTaskResult.objects.filter(task_path="yimen.cases.tasks.deadline_sweep_task").count() == 1


def test_old_finished_sweep_rows_are_pruned(db):
    enqueue_sweep(interval=60)
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    DBTaskResult.objects.update(status="SUCCESSFUL", enqueued_at=two_days_ago, finished_at=two_days_ago)
    enqueue_sweep(interval=60)  # a fresh one (the old one is neither waiting nor recent), kept

    assert prune_sweep_results() == 1
    assert DBTaskResult.objects.count() == 1


# The db worker calls close_old_connections(), which closes a connection left inside a test's
# transaction: this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_a_queued_sweep_task_runs_on_the_database_worker(world):
    from django_tasks_db.management.commands.db_worker import Worker

    # Registered two months ago, so its limit has run out by now. (The worker itself runs on the real
    # clock: it closes connections it thinks are old, which a travelled clock would confuse.)
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        world.register()
    enqueue_sweep(interval=60)
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()

    task = DBTaskResult.objects.get()
    assert task.status == "SUCCESSFUL", task.traceback
    assert task.return_value["overdue"] == 1


# The test database on SQLite is in memory with a shared cache, where a second thread's write fails at
# once ("table is locked") instead of waiting as on the file database; there the task thread is left
# out and the queued task is checked instead.
RUN_TASKS = connection.vendor != "sqlite"


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_stops_cleanly_when_asked(world):
    loop = WorkerLoop(intervals={"sweep enqueue": 0.2, "outbox delivery": 0.1}, poll_interval=0.1,
                      queue_names=["default"], run_tasks=RUN_TASKS, worker_id="loop-test")
    threading.Timer(1.5, loop.request_stop).start()

    assert loop.run() == 0

    sweeps = DBTaskResult.objects.filter(task_path="yimen.cases.tasks.deadline_sweep_task")
    assert sweeps.exists()
    if RUN_TASKS:
        assert sweeps.filter(status="SUCCESSFUL").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not RUN_TASKS, reason="needs the database task backend")
def test_a_stop_that_lands_while_a_job_runs_is_not_taken_for_a_dead_task_thread(world):
    """The signal can arrive between the loop's test and its check of the task thread: the thread,
    told to stop, ends first. That is a clean stop (exit 0), not "the task thread died" (exit 1)."""
    from yimen.common.jobs import PeriodicJob

    loop = None

    def stop_and_let_the_thread_end(**kwargs):
        loop.request_stop()
        loop._task_thread.join(10)  # the task thread has ended before the loop looks at it

    loop = WorkerLoop(jobs=[PeriodicJob(name="stopper", run=stop_and_let_the_thread_end, every=0.1, start="now")],
                      poll_interval=0.1, queue_names=["default"], run_tasks=True, worker_id="race-test")
    assert loop.run() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not RUN_TASKS, reason="needs the database task backend")
def test_a_task_thread_that_dies_on_its_own_still_ends_the_worker_with_1(world, monkeypatch):
    from django_tasks_db.management.commands.db_worker import Worker

    def die(self):
        raise SystemExit(3)  # not an Exception: the thread's loop does not restart it

    monkeypatch.setattr(Worker, "run", die)
    loop = WorkerLoop(intervals={"outbox delivery": 0.1}, poll_interval=0.1, queue_names=["default"], run_tasks=True,
                      worker_id="dead-test")
    threading.Timer(5, loop.request_stop).start()  # a safety net: the death is seen long before
    assert loop.run() == 1


@pytest.mark.django_db(transaction=True)
def test_worker_exits_0_on_sigterm(world):
    # The command installs its handlers in the main thread; a timer delivers SIGTERM to us.
    threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
    before = signal.getsignal(signal.SIGTERM)

    options = ["--interval=0.3", "--delivery-interval=0.1", "--poll-interval=0.1"] + ([] if RUN_TASKS else ["--no-tasks"])
    call_command("worker", *options, stdout=io.StringIO())

    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_with_another_task_backend_the_worker_only_schedules(world):
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        case = world.register()

    assert enqueue_sweep(interval=60) is True  # the immediate backend runs it right here
    assert enqueue_sweep(interval=60) is True  # no shared table to check: enqueued again, harmlessly

    case.refresh_from_db()
    assert case.overdue is True
    assert not DBTaskResult.objects.exists()
    loop = WorkerLoop(intervals={"sweep enqueue": 60, "outbox delivery": 60}, poll_interval=1,
                      queue_names=["default"], run_tasks=True, worker_id="immediate")
    loop._start_task_thread()
    assert loop._task_thread is None


def test_each_app_registers_its_own_job_in_the_worker_round(settings):
    from yimen.common.jobs import HOURLY, periodic_jobs

    schedule = {job.name: (job.interval(), job.option, job.start) for job in periodic_jobs()}

    assert schedule == {
        "audit retention": (HOURLY, None, "later"),
        "sweep enqueue": (float(settings.YIMEN_SWEEP_INTERVAL_SECONDS), "--interval", "spread"),
        "pruning sweep results": (HOURLY, None, "later"),
        "pending triage": (float(settings.YIMEN_TRIAGE_WORKER_INTERVAL_SECONDS), None, "now"),
        "outbox delivery": (float(getattr(settings, "YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS", 5)), "--delivery-interval", "now"),
        "residents housekeeping": (HOURLY, None, "later"),
    }
    assert periodic_jobs()[-1].name == "outbox delivery"  # sends what the others queued in the same turn


def test_the_worker_options_set_the_sweep_and_delivery_intervals(monkeypatch, settings):
    from yimen.common.management.commands import worker

    settings.YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS = 3
    seen = {}
    monkeypatch.setattr(worker.WorkerLoop, "run", lambda loop: seen.update((j.name, s) for j, s in loop.schedule) or 0)

    call_command("worker", "--interval=7", "--no-tasks", stdout=io.StringIO())

    assert seen["sweep enqueue"] == 7 and seen["outbox delivery"] == 3
