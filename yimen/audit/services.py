"""Writing the audit trail: `audit_record` (the only writer of rows) and `audit_prune` (the only deleter)."""

import datetime as dt
import logging

from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from yimen.common.words import in_default_language

from .guard import FLOOR_DAYS
from .models import AuditEvent

logger = logging.getLogger("yimen.audit")

DEFAULT_RETENTION_DAYS = FLOOR_DAYS


def _address(request) -> str:
    if request is None or not hasattr(request, "META"):
        return ""
    from yimen.web.residents import client_address

    address = client_address(request)
    return "" if address == "unknown" else address[:45]


def _clean(text: str, limit: int) -> str:
    # Audit text comes partly from outside (a username typed at sign-in): no control characters, bounded.
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in str(text or ""))[:limit]


def audit_record(*, kind: str, summary: str | Callable[[], str], actor=None, request=None, obj=None, object_type: str = "",
                 object_id: str = "", details: dict | None = None, actor_username: str = "") -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records, so both or neither stay.

    `actor` defaults to the request's signed-in user; `actor_username` names someone who is not (or not
    yet) signed in, e.g. the username tried at a failed sign-in. Never pass a password or a full ID number.
    `summary` is best a callable that composes the sentence: it is called in the site's language, since the
    trail is read by everyone and an English-reading actor's record must not be stored in English.
    """
    if callable(summary):
        with in_default_language():
            summary = summary()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if actor is not None and getattr(actor, "pk", None) is None:
        actor_username = actor_username or str(actor)
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_username=_clean(actor_username or (actor.get_username() if actor is not None else ""), 150),
        address=_address(request),
        object_type=object_type[:60],
        object_id=str(object_id)[:64],
        summary=_clean(summary, 300),
        details=details or {},
    )


def retention_days() -> int:
    """YIMEN_AUDIT_RETENTION_DAYS, never below the legal floor (the system check refuses a lower value)."""
    return max(FLOOR_DAYS, int(getattr(settings, "YIMEN_AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def audit_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the events older than the retention; returns how many. Run hourly by `yimen worker`."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    deleted = AuditEvent.objects.all()._prune_before(cutoff)
    if deleted:
        logger.info("audit trail: %d events older than %s removed", deleted, cutoff.date())
    return deleted
