"""`yimen worker`: the one background process of an installation.

It does two things:
  - runs queued tasks: django_tasks_db's own Worker loop, in a thread (when the task backend is the
    database; with another backend its own workers run them and this only schedules);
  - runs the periodic jobs the apps register (yimen.common.jobs), each at its interval: the deadline
    sweep's enqueue and pruning (cases/jobs.py), outbox delivery (notifications/jobs.py), the
    residents' housekeeping (residents/jobs.py), the audit trail's retention (audit/jobs.py).
A job's interval comes from the worker's option for it, else its setting, else its default; `--once`
runs each job's one-off pass (where it has one) and exits.

Several workers may run at once (more throughput, no single point of failure): every job is harmless
twice. See docs/background.md.

SIGTERM/SIGINT: stop taking new work, finish the running task and job, exit 0. A second signal exits
at once (1); anything cut off then is picked up again by the next worker (claims expire).
"""

import logging
import random
import signal
import threading
import time
from collections.abc import Mapping

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string

from yimen.common.jobs import SPREAD_SECONDS, PeriodicJob, is_database_backend, periodic_jobs

logger = logging.getLogger("yimen.worker")
IDLE_WAIT = 5.0  # with no job registered, how often the loop still looks at the task thread


class WorkerLoop:
    """The scheduler loop, with the task worker in a thread. `request_stop()` ends it cleanly."""

    def __init__(self, *, poll_interval: float, queue_names: list[str], run_tasks: bool, worker_id: str,
                 intervals: Mapping[str, float] | None = None, jobs: list[PeriodicJob] | None = None):
        """`jobs`: the registered ones by default; `intervals`: seconds by job name, overriding a job's
        setting and default (the command's options)."""
        jobs = periodic_jobs() if jobs is None else jobs
        intervals = dict(intervals or {})
        unknown = set(intervals) - {job.name for job in jobs}
        if unknown:
            raise ValueError(f"no periodic job named {', '.join(sorted(unknown))}")
        self.schedule = [(job, job.interval(intervals.get(job.name))) for job in jobs]
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
        due = [_first_run(job, every) for job, every in self.schedule]
        logger.info("worker %s started: %s; tasks %s", self.worker_id,
                    ", ".join(f"{job.name} every {every:g}s" for job, every in self.schedule) or "no periodic jobs",
                    "in this process" if self._task_thread else "elsewhere")
        while not self.stopping.is_set():
            close_old_connections()
            for index, (job, every) in enumerate(self.schedule):
                if time.monotonic() >= due[index]:
                    self._guarded(job.name, job.run, every=every, stop=self.stopping)
                    due[index] = time.monotonic() + every
            # A thread that ended because a signal asked us to stop (between the loop's test and
            # here) has not died: it did what it was told. Under load that race was won by the signal.
            if self._task_thread is not None and not self._task_thread.is_alive() and not self.stopping.is_set():
                logger.error("worker %s: the task thread died (%r); exiting so a supervisor restarts us",
                             self.worker_id, self._task_error)
                self.request_stop()
                return 1
            self.stopping.wait(max(0.0, min(due, default=time.monotonic() + IDLE_WAIT) - time.monotonic()))
        if self._task_thread is not None:
            self._task_thread.join()
        connections.close_all()
        if self._task_error is not None:  # it died on its own while we were stopping anyway
            logger.error("worker %s: the task thread died (%r) while stopping", self.worker_id, self._task_error)
            return 1
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
        if not self.run_tasks or not is_database_backend(backend):
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


def _first_run(job: PeriodicJob, every: float) -> float:
    """The monotonic time of a job's first run (PeriodicJob.start)."""
    now = time.monotonic()
    if job.start == "now":
        return now
    if job.start == "spread":
        return now + random.uniform(0, min(SPREAD_SECONDS, every))  # jitter, not crypto
    return now + every


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
        for job in periodic_jobs():  # the option a job may name for its interval
            if job.option:
                parser.add_argument(job.option, type=_positive, default=None, help=job.option_help)
        parser.add_argument("--poll-interval", type=_positive, default=1.0, help="任务队列空闲时的轮询间隔秒数")
        parser.add_argument("--queue-name", default="default", help="处理的任务队列，逗号分隔；* 为全部")
        parser.add_argument("--no-tasks", action="store_true",
                            help="不在本进程执行任务队列（任务由其他进程或 Redis 工作进程执行）")
        parser.add_argument("--worker-id", default=None, help="工作进程标识（默认随机生成）")

    def handle(self, *args, **options):
        if options["once"]:
            return self._once()
        loop = WorkerLoop(
            intervals={job.name: options[_dest(job.option)] for job in periodic_jobs()
                       if job.option and options.get(_dest(job.option))},
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
        # In the jobs' order, so delivery (last) sends what the sweep queued.
        self.stdout.write("; ".join(job.once() for job in periodic_jobs() if job.once is not None))


def _dest(option: str) -> str:
    """argparse's name for an option's value: --delivery-interval → delivery_interval."""
    return option.lstrip("-").replace("-", "_")
