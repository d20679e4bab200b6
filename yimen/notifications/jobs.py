"""The notifications app's periodic job in `yimen worker` (registered from NotificationsConfig.ready()).

Every YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS (5 by default; `yimen worker --delivery-interval`), from
the worker's start, due outbox messages are delivered directly — no task row per turn: delivery is a
cheap indexed poll, and a task row every 5 seconds would only fill the task table. It runs after the
other jobs of a turn, and last in `yimen worker --once`, so it sends what they queued.
"""

import threading

from yimen.common.jobs import register_periodic

DELIVERY_BATCH = 100


def deliver_due(*, stop: threading.Event | None = None, max_batches: int = 50) -> int:
    """Deliver due messages batch after batch until a batch comes back short (or `stop` is set)."""
    from .delivery import outbox_deliver

    total = 0
    for _ in range(max_batches):
        sent = outbox_deliver(batch=DELIVERY_BATCH)
        total += sent
        if sent < DELIVERY_BATCH or (stop is not None and stop.is_set()):
            break
    return total


register_periodic(
    "outbox delivery", run=lambda *, every, stop: deliver_due(stop=stop),
    every=5.0, setting="YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS",
    option="--delivery-interval", option_help="通知投递间隔秒数（默认 YIMEN_OUTBOX_DELIVERY_INTERVAL_SECONDS 或 5）",
    start="now", once=lambda: f"delivered={deliver_due()}", last=True,
)
