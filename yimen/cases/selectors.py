"""Reads of matters. Every list or count of matters goes through here, scoped to the user."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from yimen.accounts.scopes import unit_ids_for, visible_cases_q
from yimen.common.errors import NotFound

from .models import (
    OPEN_STATUSES,
    Assignment,
    Case,
    CaseEvent,
    Category,
    Deadline,
    DeadlineState,
    Extension,
    SupervisionOrder,
)


def case_visible_qs(user) -> QuerySet:
    return Case.objects.filter(visible_cases_q(user))


def case_get(*, user, number: str) -> Case:
    """One matter with its timeline, assignments and parties; 404 if outside the user's scope."""
    case = (
        case_visible_qs(user)
        .select_related("category", "region", "owning_centre", "registering_centre")
        .prefetch_related(
            "parties",
            "attachments",
            "tags",
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("dispatched_at", "id")),
            Prefetch("events", queryset=CaseEvent.objects.order_by("created_at", "id")),
            Prefetch("deadlines", queryset=Deadline.objects.filter(state=DeadlineState.OPEN).order_by("due_at", "id"),
                     to_attr="open_deadlines"),
            Prefetch("extensions", queryset=Extension.objects.order_by("requested_at", "id"), to_attr="all_extensions"),
            Prefetch("supervision_orders", queryset=SupervisionOrder.objects.select_related("unit").order_by("issued_at", "id"),
                     to_attr="all_supervision_orders"),
        )
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


@dataclass
class CaseFilters:
    status: list[str] | None = None
    category: str | None = None
    risk: str | None = None
    urgency: str | None = None
    channel: str | None = None
    region: str | None = None
    overdue: bool | None = None
    open: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None
    unit: int | None = None


def case_list_for_user(*, user, filters: CaseFilters) -> QuerySet:
    """The scoped, filtered list, newest first. The caller slices it (keyset or offset)."""
    qs = case_visible_qs(user)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.open is not None:
        qs = qs.filter(status__in=OPEN_STATUSES) if filters.open else qs.exclude(status__in=OPEN_STATUSES)
    if filters.category:
        # Resolve the code to ids first (a tiny table): a join in the filter made an unknown or rare
        # code walk the whole scope.
        ids = list(Category.objects.filter(Q(code=filters.category) | Q(parent__code=filters.category)).values_list("pk", flat=True))
        qs = qs.filter(category_id__in=ids) if ids else qs.none()
    if filters.risk:
        qs = qs.filter(risk=filters.risk)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.overdue is not None:
        qs = qs.filter(overdue=filters.overdue)
    if filters.received_from:
        qs = qs.filter(received_at__gte=filters.received_from)
    if filters.received_to:
        qs = qs.filter(received_at__lt=filters.received_to)
    if filters.text:
        qs = qs.filter(Q(title__icontains=filters.text) | Q(description__icontains=filters.text) | Q(number=filters.text))
    if filters.unit:
        qs = qs.filter(assignments__unit_id=filters.unit).distinct()
    # The stored triage suggestion (~2 KB) is for the detail page, not for lists.
    return qs.select_related("category", "owning_centre").defer("triage").order_by("-received_at", "-id")


def assignment_inbox(*, user, statuses=("pending", "accepted")) -> QuerySet:
    """A handler's worklist: live assignments of their units, soonest limit first."""
    return (
        Assignment.objects.filter(unit_id__in=unit_ids_for(user), status__in=statuses)
        .select_related("case", "case__category", "unit")
        .order_by("due_at", "id")
    )


def dispatch_candidates(*, case: Case) -> list[dict]:
    """Units the owning centre may dispatch `case` to, those named by the responsibility list
    (职责清单) for its category at the centre's level first, each with its part and duty."""
    from yimen.regions.selectors import dispatchable_units

    from .models import Responsibility

    centre = case.owning_centre
    duties = {}
    if case.category_id:
        for row in Responsibility.objects.filter(category_id__in=case.category.lineage_ids(), level=centre.region.level):
            duties.setdefault(row.unit_kind, row)
    candidates = []
    for unit in dispatchable_units(centre):
        duty = duties.get(unit.kind)
        candidates.append({"unit": unit, "part": duty.part if duty else "", "duty": duty.duty if duty else ""})
    candidates.sort(key=lambda c: (c["part"] != "lead", c["part"] != "assist"))
    return candidates


@contextmanager
def list_time_limit():
    """Bound a list query on PostgreSQL: a filter that reads a province's worth of rows answers
    with a clear request to narrow it instead of holding a worker (and a connection) for seconds."""
    from django.conf import settings
    from django.db import OperationalError, connection, transaction
    from django.utils.translation import gettext as _

    from yimen.common.errors import InvalidInput

    limit_ms = getattr(settings, "YIMEN_LIST_TIMEOUT_MS", 3000)
    if connection.vendor != "postgresql" or not limit_ms:
        yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{int(limit_ms)}ms"])
            yield
    except OperationalError as error:
        if "statement timeout" not in str(error):
            raise
        raise InvalidInput(_("查询范围过大，请缩小筛选范围（例如加上受理时间段、状态或类别）。"), code="query_too_broad") from None
