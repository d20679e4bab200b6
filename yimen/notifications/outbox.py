"""Writing to the outbox. Call inside the transaction of the change that causes the message.

Nothing is sent here: the worker's delivery pass polls the outbox every few seconds, which costs the
request no extra write and cannot be lost the way an in-memory "send after commit" can.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import OutboxMessage


def outbox_enqueue(
    *,
    kind: str,
    subject: str,
    body: str = "",
    case=None,
    recipient_user=None,
    recipient_unit=None,
    recipient_centre=None,
    recipient_address: str = "",
    payload: dict | None = None,
    dedupe_key: str | None = None,
    now=None,
) -> OutboxMessage | None:
    """Queue one message. With a dedupe_key, a second call for the same key queues nothing."""
    message = outbox_message(
        kind=kind, subject=subject, body=body, now=now or timezone.now(), payload=payload, dedupe_key=dedupe_key,
        recipient_address=recipient_address,
        case_id=_pk(case), recipient_user_id=_pk(recipient_user),
        recipient_unit_id=_pk(recipient_unit), recipient_centre_id=_pk(recipient_centre),
    )
    if dedupe_key:
        if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            return None
    else:
        message.save()
    return message


def outbox_message(
    *,
    kind: str,
    subject: str,
    now,
    body: str = "",
    case_id: int | None = None,
    recipient_user_id: int | None = None,
    recipient_unit_id: int | None = None,
    recipient_centre_id: int | None = None,
    recipient_address: str = "",
    payload: dict | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """An unsaved message for `outbox_enqueue_many` (writers that queue thousands at once: the sweep)."""
    return OutboxMessage(
        kind=kind,
        case_id=case_id,
        recipient_user_id=recipient_user_id,
        recipient_unit_id=recipient_unit_id,
        recipient_centre_id=recipient_centre_id,
        recipient_address=recipient_address,
        subject=str(subject)[:200],
        body=str(body),
        payload=payload or {},
        dedupe_key=dedupe_key,
        next_attempt_at=now,
        created_at=now,
    )


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def outbox_enqueue_many(messages: list[OutboxMessage]) -> None:
    """Queue many messages in a few INSERTs. A message whose dedupe_key is already queued is skipped
    by the database (ON CONFLICT DO NOTHING / INSERT OR IGNORE), so a writer that runs twice queues
    each message once."""
    if messages:
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True, batch_size=500)
