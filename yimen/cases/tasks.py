"""Background tasks of the cases app (Django's task API; see docs/background.md)."""

from django_tasks import task

from .sweep import deadline_sweep


@task()
def deadline_sweep_task() -> dict:
    """The periodic deadline sweep; `yimen worker` enqueues it every YIMEN_SWEEP_INTERVAL_SECONDS.
    Idempotent, so a duplicate enqueue costs one cheap run and changes nothing."""
    return deadline_sweep().as_dict()
