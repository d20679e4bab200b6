"""Delivering the outbox: claim, send, record — with retries and exponential backoff.

`outbox_deliver` runs every few seconds in `yimen worker` (and as `outbox_deliver_task`):
  1. In one short transaction, pick due rows (PostgreSQL: FOR UPDATE SKIP LOCKED, so two workers
     pick different rows; SQLite: writers are serialised) and claim each by compare-and-set:
     `UPDATE … SET status='sending', claimed_until=now+lease WHERE id=… AND (pending OR lease expired)`.
     A row is ours only if that UPDATE changed it.
  2. Outside any transaction (no locks held across the network), offer each message to every
     configured sender (senders.py).
  3. Record the outcome, again by compare-and-set on our claim (`status='sending' AND
     claimed_until=<ours>`): sent; or back to pending with a later next_attempt_at; or failed after
     YIMEN_OUTBOX_MAX_ATTEMPTS. A worker that stalled past its lease finds its claim gone and writes
     nothing, so it cannot overwrite the newer claim's result.

The guarantee, stated honestly (see docs/background.md): a message is never lost, and two workers
never send it at once. It is *at least once*, not exactly once, at one boundary: a crash (or a
stall past the lease) after a sender succeeded and before step 3 commits repeats that message.
Webhooks carry `Idempotency-Key: <message id>` so a receiver can drop that repeat.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage, OutboxStatus
from .senders import load_senders

logger = logging.getLogger("yimen.notifications")


def _setting(name: str, default):
    return getattr(settings, name, default)


def backoff_seconds(attempts: int) -> int:
    """Delay before try number `attempts + 1`: base·2^(attempts-1), capped (30 s, 1 min, 2 min … 1 h)."""
    base = _setting("YIMEN_OUTBOX_BACKOFF_SECONDS", 30)
    cap = _setting("YIMEN_OUTBOX_BACKOFF_MAX_SECONDS", 3600)
    return int(min(base * 2 ** max(attempts - 1, 0), cap))


def _due(now) -> Q:
    # Pending rows, and rows whose worker died or stalled: their lease ran out.
    return Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING, claimed_until__lt=now)


def _claim(batch: int, now, until) -> list[OutboxMessage]:
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.filter(_due(now), status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
                                         next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)  # a no-op on SQLite, where writers queue instead
            .values_list("id", flat=True)[:batch]
        )
        mine = [
            pk for pk in ids
            if OutboxMessage.objects.filter(_due(now), pk=pk).update(status=OutboxStatus.SENDING, claimed_until=until)
        ]
    return list(
        OutboxMessage.objects.filter(pk__in=mine)
        .select_related("case", "recipient_user", "recipient_unit", "recipient_centre__region")
        .order_by("next_attempt_at", "id")
    )


def _ours(message: OutboxMessage, until):
    """The row, if our claim still holds. Every write after the send goes through this filter."""
    return OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING, claimed_until=until)


def outbox_deliver(*, batch: int = 100, now=None) -> int:
    """Deliver up to `batch` due messages; return how many were sent.

    `now` fixes the clock (tests); by default each step reads the real time.
    """
    clock = (lambda: now) if now is not None else timezone.now
    lease = timedelta(seconds=_setting("YIMEN_OUTBOX_LEASE_SECONDS", 300))
    started = clock()
    until = started + lease
    messages = _claim(batch, started, until)
    if not messages:
        return 0
    senders = load_senders()
    # Stop early rather than send on a lease about to run out: another worker may claim it then.
    margin = min(lease / 2, timedelta(seconds=_setting("YIMEN_WEBHOOK_TIMEOUT_SECONDS", 10) * 2))
    sent = 0
    for index, message in enumerate(messages):
        if clock() >= until - margin:
            _release(messages[index:], until)
            logger.warning("outbox: lease nearly over, released %d unsent messages", len(messages) - index)
            break
        sent += _deliver_one(message, senders, until, clock)
    return sent


def _deliver_one(message: OutboxMessage, senders, until, clock) -> int:
    # Senders that already took this message on an earlier try (fan-out to several senders): a
    # retry must not repeat them. Recorded only with a failure, which is when a retry follows.
    done = list((message.payload or {}).get("_delivered_by", []))
    offered = False
    try:
        for path, sender in senders:
            if path in done or not sender.accepts(message):
                continue
            offered = True
            sender.send(message)
            done.append(path)
    except Exception as exc:  # noqa: BLE001 - any sender failure means "try again later"
        _record_failure(message, until, exc, clock(), done)
        return 0
    if not offered and not done:
        # No configured sender carries this kind of message (e.g. SMS only, and nobody has a phone).
        # Nothing will change on a retry, so it is closed as sent; the log says so.
        logger.info("outbox: message id=%s kind=%s: no configured sender accepts it", message.pk, message.kind)
    changed = _ours(message, until).update(
        status=OutboxStatus.SENT, sent_at=clock(), claimed_until=None, attempts=F("attempts") + 1, last_error=""
    )
    if not changed:
        # Our lease ran out while sending and another worker may have claimed (and sent) it too.
        logger.warning("outbox: message id=%s sent after its claim expired; it may be delivered twice", message.pk)
    return 1


def _record_failure(message: OutboxMessage, until, exc: Exception, now, done: list[str]) -> None:
    attempts = message.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    payload = dict(message.payload or {})
    if done:
        payload["_delivered_by"] = done
    fields = {"attempts": attempts, "last_error": error, "claimed_until": None, "payload": payload}
    max_attempts = _setting("YIMEN_OUTBOX_MAX_ATTEMPTS", 8)
    if attempts >= max_attempts:
        fields["status"] = OutboxStatus.FAILED
    else:
        fields["status"] = OutboxStatus.PENDING
        fields["next_attempt_at"] = now + timedelta(seconds=backoff_seconds(attempts))
    if not _ours(message, until).update(**fields):
        return
    if attempts >= max_attempts:
        logger.error("outbox: message id=%s kind=%s failed after %d attempts, giving up: %s",
                     message.pk, message.kind, attempts, error)
    else:
        logger.warning("outbox: message id=%s attempt %d failed, retry at %s: %s",
                       message.pk, attempts, fields["next_attempt_at"].isoformat(), error)


def _release(messages: list[OutboxMessage], until) -> None:
    """Give claims back without counting an attempt (shutting down, or the lease is nearly over)."""
    for message in messages:
        _ours(message, until).update(status=OutboxStatus.PENDING, claimed_until=None)


def outbox_retry(*, ids) -> int:
    """Put failed messages back in the queue (an operator's action after fixing the cause)."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
    )
