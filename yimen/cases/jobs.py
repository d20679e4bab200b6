"""The cases app's periodic jobs in `yimen worker` (registered from CasesConfig.ready(); docs/background.md).

- every YIMEN_SWEEP_INTERVAL_SECONDS (`yimen worker --interval`): enqueue `deadline_sweep_task`; the
  first one of each worker at a random moment within 5 s, so workers started together do not sweep
  together. `yimen worker --once` runs one `deadline_sweep()` right here instead.
- every hour: delete finished sweep task rows older than a day.
- every YIMEN_TRIAGE_WORKER_INTERVAL_SECONDS (2 s): the triage proposals of matters registered with
  YIMEN_TRIAGE_IN_WORKER on (`intake.case_suggest_pending`), batch after batch until none is left.
  It runs whatever that setting says now, so matters left pending when it was switched off are done.

Several workers may run at once. Each sweep claims its rows by compare-and-set, so a duplicate sweep
is harmless; still, to keep the queue from filling with one sweep per worker per interval, the enqueue
is skipped when a sweep is already queued or was queued in the last half interval — checked and
written in one transaction serialised across workers (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory transaction lock).

The task and sweep modules are imported when a job runs, not here: this module is imported by every
process at start-up.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from yimen.common.jobs import HOURLY, is_database_backend, register_periodic

# Any fixed 64-bit number, the same in every worker: the PostgreSQL advisory lock that serialises
# "is a sweep already queued? if not, queue one".
_SWEEP_BEAT_LOCK = 0x59494D454E5357  # "YIMENSW"


def enqueue_sweep(*, interval: float) -> bool:
    """Queue one deadline sweep unless one is queued already or was queued very recently."""
    from .tasks import deadline_sweep_task

    backend = deadline_sweep_task.get_backend()
    if not is_database_backend(backend):
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
    from .tasks import deadline_sweep_task

    if not is_database_backend(deadline_sweep_task.get_backend()):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.filter(
        task_path=deadline_sweep_task.module_path, status=TaskResultStatus.SUCCESSFUL,
        finished_at__lt=timezone.now() - keep,
    ).delete()
    return deleted


def _sweep_now() -> str:
    from .sweep import deadline_sweep

    result = deadline_sweep()
    return "sweep: " + " ".join(f"{k}={v}" for k, v in result.as_dict().items())


register_periodic(
    "sweep enqueue", run=lambda *, every, stop: enqueue_sweep(interval=every),
    every=60.0, setting="YIMEN_SWEEP_INTERVAL_SECONDS",
    option="--interval", option_help="期限巡检间隔秒数（默认 YIMEN_SWEEP_INTERVAL_SECONDS）",
    start="spread", once=_sweep_now,
)
register_periodic("pruning sweep results", run=lambda **_: prune_sweep_results(), every=HOURLY)


def suggest_pending(*, stop=None) -> int:
    """Every pending proposal, batch after batch, until none is left or the worker is asked to stop."""
    from .intake import SUGGEST_BATCH, case_suggest_pending

    made = 0
    while stop is None or not stop.is_set():
        batch = case_suggest_pending(limit=SUGGEST_BATCH)
        made += batch
        if batch < SUGGEST_BATCH:
            break
    return made


register_periodic(
    "pending triage", run=lambda *, every, stop: suggest_pending(stop=stop),
    every=2.0, setting="YIMEN_TRIAGE_WORKER_INTERVAL_SECONDS", start="now",
    once=lambda: f"triage: {suggest_pending()} proposals made",
)
