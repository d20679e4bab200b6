"""`yimen worker`: the one background process of an installation.

It does these things:
  - runs queued tasks: django_tasks_db's own Worker loop, in a thread (when the task backend is the
    database; with another backend its own workers run them and this only schedules);
  - every YIMEN_SWEEP_INTERVAL_SECONDS enqueues `deadline_sweep_task`;
  - every few seconds delivers due outbox messages directly (no task row per tick: delivery is a
    cheap indexed poll, and a task row every 5 seconds would only fill the task table);
  - every hour prunes finished sweep rows and the residents' pages' leftovers (rate-limit counters,
    abandoned drafts with their files, old one-time codes), and audit events older than
    YIMEN_AUDIT_RETENTION_DAYS (never fewer than 180: yimen.audit).

Several workers may run at once (more throughput, no single point of failure). Each sweep claims its
rows by compare-and-set, so a duplicate sweep is harmless; still, to keep the queue from filling with
one sweep per worker per interval, the enqueue is skipped when a sweep is already queued or was
queued in the last half interval — checked and written in one transaction serialised across workers
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock). See docs/background.md.

SIGTERM/SIGINT: stop taking new work, finish the running task and delivery batch, exit 0. A second
signal exits at once (1); anything cut off then is picked up again by the next worker (claims expire).
"""

import logging
import random
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("yimen.worker")

# Any fixed 64-bit number, the same in every worker: the PostgreSQL advisory lock that serialises
# "is a sweep already queued? if not, queue one".
_SWEEP_BEAT_LOCK = 0x59494D454E5357  # "YIMENSW"
DELIVERY_BATCH = 100
PRUNE_INTERVAL = 3600.0


def deliver_due(*, stop: threading.Event | None = None, max_batches: int = 50) -> int:
    """Deliver due messages batch after batch until a batch comes back short (or `stop` is set)."""
    from yimen.notifications.delivery import outbox_deliver

    total = 0
    for _ in range(max_batches):
        sent = outbox_deliver(batch=DELIVERY_BATCH)
        total += sent
        if sent < DELIVERY_BATCH or (stop is not None and stop.is_set()):
            break
    return total


def enqueue_sweep(*, interval: float) -> bool:
    """Queue one deadline sweep unless one is queued already or was queued very recently."""
    from yimen.cases.tasks import deadline_sweep_task

    backend = deadline_sweep_task.get_backend()
    if not _is_database_backend(backend):
        # Redis/RQ or immediate: no shared table to look in. The sweep is idempotent, so an
        # occasional duplicate costs one cheap run.
        deadline_sweep_task.enqueue()
        return True
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SWEEP_BEAT_LOCK])
        recent = timezone.now() - timedelta(seconds=interval / 2)
        queued = DBTaskResult.objects.filter(
            task_path=deadline_sweep_task.module_path, backend_name=backend.alias
        ).filter(Q(status=TaskResultStatus.READY) | Q(enqueued_at__gte=recent))
        if queued.exists():
            return False
        deadline_sweep_task.enqueue()
    return True


def prune_sweep_results(*, keep: timedelta = timedelta(days=1)) -> int:
    """Delete finished sweep task rows older than `keep`: one a minute would otherwise pile up in the
    task table (other tasks are left to `yimen prune_db_task_results`)."""
    from yimen.cases.tasks import deadline_sweep_task

    if not _is_database_backend(deadline_sweep_task.get_backend()):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.filter(
        task_path=deadline_sweep_task.module_path, status=TaskResultStatus.SUCCESSFUL,
        finished_at__lt=timezone.now() - keep,
    ).delete()
    return deleted


def _residents_housekeeping() -> None:
    """Old rate-limit counters, abandoned drafts (and their files) and used phone codes: plain
    deletes by age, harmless when several workers run them at once."""
    from yimen.residents.housekeeping import residents_housekeeping

    removed = residents_housekeeping()
    if any(removed.values()):
        logger.info("residents housekeeping: %s", removed)


def _audit_prune() -> None:
    """Audit events past their retention: a delete by age the database trigger also allows."""
    from yimen.audit.services import audit_prune

    audit_prune()


def _is_database_backend(backend) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


class WorkerLoop:
    """The scheduler loop, with the task worker in a thread. `request_stop()` ends it cleanly."""

    def __init__(self, *, sweep_interval: float, delivery_interval: float, poll_interval: float,
                 queue_names: list[str], run_tasks: bool, worker_id: str):
        self.sweep_interval = sweep_interval
        self.delivery_interval = delivery_interval
        self.poll_interval = poll_interval
        self.queue_names = queue_names
        self.run_tasks = run_tasks
        self.worker_id = worker_id
        self.stopping = threading.Event()
        self._task_worker = None
        self._task_thread = None
        self._task_error: BaseException | None = None

    def request_stop(self) -> None:
        self.stopping.set()
        if self._task_worker is not None:
            # The db worker checks this flag between tasks: the running task finishes first.
            self._task_worker.running = False

    def run(self) -> int:
        self._start_task_thread()
        # Workers started together should not beat together: spread the first sweep a little.
        next_sweep = time.monotonic() + random.uniform(0, min(5.0, self.sweep_interval))  # jitter, not crypto
        next_delivery = time.monotonic()
        next_prune = time.monotonic() + PRUNE_INTERVAL
        logger.info("worker %s started: sweep every %ss, delivery every %ss, tasks %s", self.worker_id,
                    self.sweep_interval, self.delivery_interval, "in this process" if self._task_thread else "elsewhere")
        while not self.stopping.is_set():
            close_old_connections()
            if time.monotonic() >= next_sweep:
                self._guarded("sweep enqueue", enqueue_sweep, interval=self.sweep_interval)
                next_sweep = time.monotonic() + self.sweep_interval
            if time.monotonic() >= next_delivery:
                self._guarded("outbox delivery", deliver_due, stop=self.stopping)
                next_delivery = time.monotonic() + self.delivery_interval
            if time.monotonic() >= next_prune:
                self._guarded("pruning sweep results", prune_sweep_results)
                self._guarded("residents housekeeping", _residents_housekeeping)
                self._guarded("audit retention", _audit_prune)
                next_prune = time.monotonic() + PRUNE_INTERVAL
            if self._task_thread is not None and not self._task_thread.is_alive():
                logger.error("worker %s: the task thread died (%r); exiting so a supervisor restarts us",
                             self.worker_id, self._task_error)
                self.request_stop()
                return 1
            self.stopping.wait(max(0.0, min(next_sweep, next_delivery) - time.monotonic()))
        if self._task_thread is not None:
            self._task_thread.join()
        connections.close_all()
        logger.info("worker %s stopped", self.worker_id)
        return 0

    def _guarded(self, what: str, func, **kwargs) -> None:
        # A database hiccup must not kill the scheduler: log it and try again at the next tick.
        try:
            func(**kwargs)
        except Exception:  # logged; the next tick tries again
            logger.exception("worker %s: %s failed", self.worker_id, what)
            connections.close_all()

    def _start_task_thread(self) -> None:
        from django_tasks import task_backends
        from django_tasks_db.management.commands.db_worker import Worker

        backend = task_backends["default"]
        if not self.run_tasks or not _is_database_backend(backend):
            return
        self._task_worker = Worker(
            queue_names=self.queue_names, interval=self.poll_interval, batch=False, backend_name=backend.alias,
            startup_delay=True, max_tasks=None, worker_id=self.worker_id, excluded_queue_names=[],
        )

        def target():
            try:
                while not self.stopping.is_set():
                    try:
                        self._task_worker.run()  # returns once request_stop() clears `running`
                    except Exception:  # a lost connection must not end the worker
                        logger.exception("worker %s: the task loop failed; restarting it in 5 s", self.worker_id)
                        connections.close_all()
                        self.stopping.wait(5)
            except BaseException as exc:  # noqa: BLE001 - reported by the scheduler loop
                self._task_error = exc
            finally:
                connections.close_all()

        # A daemon thread, so a forced exit (second signal) is not held up by a running task.
        self._task_thread = threading.Thread(target=target, name="yimen-task-worker", daemon=True)
        self._task_thread.start()


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "后台工作进程：执行任务队列，定时运行期限巡检，投递通知。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="运行一次期限巡检和一轮通知投递后退出（适用于 cron 与测试）")
        parser.add_argument("--interval", type=_positive, default=None,
                            help="期限巡检间隔秒数（默认 YIMEN_SWEEP_INTERVAL_SECONDS）")
        parser.add_argument("--delivery-interval", type=_positive, default=None,
                            help="通知投递间隔秒数（默认 YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS 或 5）")
        parser.add_argument("--poll-interval", type=_positive, default=1.0, help="任务队列空闲时的轮询间隔秒数")
        parser.add_argument("--queue-name", default="default", help="处理的任务队列，逗号分隔；* 为全部")
        parser.add_argument("--no-tasks", action="store_true",
                            help="不在本进程执行任务队列（任务由其他进程或 Redis 工作进程执行）")
        parser.add_argument("--worker-id", default=None, help="工作进程标识（默认随机生成）")

    def handle(self, *args, **options):
        if options["once"]:
            return self._once()
        loop = WorkerLoop(
            sweep_interval=options["interval"] or float(getattr(settings, "YIMEN_SWEEP_INTERVAL_SECONDS", 60)),
            delivery_interval=options["delivery_interval"]
            or float(getattr(settings, "YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS", 5)),
            poll_interval=options["poll_interval"],
            queue_names=options["queue_name"].split(","),
            run_tasks=not options["no_tasks"],
            worker_id=options["worker_id"] or get_random_string(32),
        )

        def on_signal(signum, frame):
            if loop.stopping.is_set():
                logger.warning("received %s again: exiting now", signal.Signals(signum).name)
                raise SystemExit(1)
            logger.warning("received %s: finishing the current work, then exiting", signal.Signals(signum).name)
            loop.request_stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            code = loop.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if code:
            raise CommandError("worker stopped on an error (see the log)", returncode=code)

    def _once(self):
        from yimen.cases.sweep import deadline_sweep

        result = deadline_sweep()
        sent = deliver_due()
        counts = " ".join(f"{k}={v}" for k, v in result.as_dict().items())
        self.stdout.write(f"sweep: {counts}; delivered={sent}")
