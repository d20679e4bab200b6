"""Reading the audit trail: only the audit administrator (accounts.scopes.may_read_audit)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.scopes import may_read_audit
from yimen.common.errors import NotFound

from .models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    kind: str = ""
    actor: str = ""  # username, exact
    address: str = ""  # client address, prefix ("10.2." finds a subnet)
    text: str = ""  # in the summary or the object id


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_event_list(*, user, filters: AuditFilters) -> QuerySet:
    """The events matching `filters`, newest first (index audit_event_recent / _kind / _actor). 404 for
    anyone but an audit administrator, so the page's existence tells nobody else anything."""
    if not may_read_audit(user):
        raise NotFound(_("页面不存在。"), code="not_found")
    qs = AuditEvent.objects.all()
    if filters.since:
        qs = qs.filter(at__gte=_day_start(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_day_start(filters.until + dt.timedelta(days=1)))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.actor:
        qs = qs.filter(actor_username=filters.actor)
    if filters.address:
        qs = qs.filter(address__startswith=filters.address)
    if filters.text:
        qs = qs.filter(Q(summary__icontains=filters.text) | Q(object_id=filters.text))
    return qs.order_by("-at", "-id")
