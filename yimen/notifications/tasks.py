"""Background tasks of the notifications app (Django's task API; see docs/background.md)."""

from django_tasks import task

from .delivery import outbox_deliver


@task()
def outbox_deliver_task(batch: int = 100) -> int:
    """Deliver one batch of due outbox messages. `yimen worker` also runs delivery directly every few
    seconds; enqueue this to push a burst out sooner, or to deliver from task workers (Redis)."""
    return outbox_deliver(batch=batch)
