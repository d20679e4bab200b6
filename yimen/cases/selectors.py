"""Reads of matters. Every list or count of matters goes through here, scoped to the user."""

import base64
import binascii
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case as CaseWhen
from django.db.models import Exists, F, FilteredRelation, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from yimen.accounts.scopes import region_only_scope, region_prefix_q, unit_ids_for, unit_only_scope, visible_cases_q
from yimen.common.errors import NotFound
from yimen.common.refcache import RefCache

from .deadlines import case_not_overdue_q, case_overdue_q
from .models import (
    OPEN_STATUSES,
    Assignment,
    Risk,
    Status,
    Case,
    CaseEvent,
    Category,
    Deadline,
    DeadlineState,
    Extension,
    SupervisionOrder,
)
from .search import case_text_q


_ACTIVE_CATEGORIES = RefCache("active_categories", models=(Category,))


def category_active_by_code(code: str | None) -> Category | None:
    """The active category with this code, or None (cached per process: common.refcache)."""
    if not code:
        return None
    return _ACTIVE_CATEGORIES.get(code, lambda: Category.objects.filter(code=code, active=True).first())


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


def _unit_scope_qs(unit_ids) -> QuerySet:
    """The matters of these units, driven from their assignments (index assignment_unit_recv).

    The scope of unit roles written as `EXISTS (an assignment of my unit)` made the database walk
    every matter newest first (case_recv) and test each: a small unit's list with a filter that
    matched little read the whole table (5.3 s on a million matters). Here the database walks the
    unit's own assignments newest first by their copy of the matter's received_at, joins each to its
    matter and applies the filters there, so a list reads at most the unit's own volume.
    A matter the units were given more than once (returned, then dispatched again) is listed once,
    by its first assignment of these units (the NOT EXISTS). The list key (list_received, list_id)
    is the assignment's copy, equal to the matter's (received_at, id).
    """
    ids = sorted(unit_ids)
    # Referred to through an alias, so that every use is the same join (an OuterRef("unit_row__id")
    # would join the assignments a second time).
    earlier = Assignment.objects.filter(case_id=OuterRef("pk"), unit_id__in=ids, id__lt=OuterRef("unit_row_id"))
    return (
        Case.objects.annotate(unit_row=FilteredRelation("assignments", condition=Q(assignments__unit_id__in=ids)))
        .filter(unit_row__unit_id__in=ids)  # the join (inner); the aliases below reuse it
        .alias(unit_row_id=F("unit_row__id"), list_received=F("unit_row__case_received_at"), list_id=F("unit_row__case_id"))
        .filter(~Exists(earlier))
    )


def _overdue_scope_qs(places: tuple[str, ...]) -> QuerySet:
    """The overdue matters under these place prefixes, driven from their narrow table's index
    (cases/overdue.py: `OverdueMatter`, kept by triggers): newest first by its copy of received_at,
    the prefix tested on the index entry, and only then each matter joined by its key. The same
    matters, in the same order, as visible_cases_q with overdue=True (a test compares them)."""
    scope = Q(overdue_row__received_at__isnull=False)  # the join (inner)
    if "" not in places:
        scope &= region_prefix_q("overdue_row__region_code", places)  # the scope's prefix test, on the copy
    return Case.objects.filter(scope).alias(
        list_received=F("overdue_row__received_at"), list_id=F("overdue_row__case_id"), list_region_code=F("overdue_row__region_code")
    )


# The matter's fields the list filters on, each aliased list_<field>: the matter's own column, or in a
# unit's list its assignment's copy (an alias reuses the unit's join; a filter across it would not).
_LIST_FILTER_FIELDS = ("status", "category_id", "risk", "urgency", "channel", "region_code", "overdue")


def case_list_for_user(*, user, filters: CaseFilters, sort: str = "-received") -> QuerySet:
    """The scoped, filtered list, newest first unless `sort` names another of CASE_SORTS. The caller
    slices it (keyset for KEYSET_SORTS on the list key `list_received`, `list_id`, bounded offset for
    the others: see case_page).

    A user whose scope is only unit roles (accounts.scopes.unit_only_scope) gets the same matters in
    the same order from their units' own index (_unit_scope_qs); anyone else — a handler who is also
    a clerk, say — gets the scope of visible_cases_q walked over the matters' indexes."""
    units = unit_only_scope(user)
    places = region_only_scope(user) if filters.overdue and not units else None
    if units:
        # A unit's list filters on its assignments' copies of the matter's fields (cases/copies.py),
        # which its index carries: the filter is tested on index entries, not by joining each matter.
        qs = _unit_scope_qs(units).alias(**{f"list_{f}": F(f"unit_row__case_{f}") for f in _LIST_FILTER_FIELDS})
    elif places:
        qs = _overdue_scope_qs(places).alias(**{f"list_{f}": F(f) for f in _LIST_FILTER_FIELDS if f != "region_code"})
    else:
        qs = case_visible_qs(user).alias(list_received=F("received_at"), list_id=F("id"),
                                         **{f"list_{f}": F(f) for f in _LIST_FILTER_FIELDS})
    on = "list_"  # the filters below read the aliases, so both paths share them
    if filters.status:
        qs = qs.filter(**{f"{on}status__in": filters.status})
    if filters.open is not None:
        # Both ways as an IN list: a negated filter across the unit's join would become a subquery.
        wanted = OPEN_STATUSES if filters.open else [s for s in Status.values if s not in OPEN_STATUSES]
        qs = qs.filter(**{f"{on}status__in": wanted})
    if filters.category:
        # Resolve the code to ids first (a tiny table): a join in the filter made an unknown or rare
        # code walk the whole scope.
        ids = list(Category.objects.filter(Q(code=filters.category) | Q(parent__code=filters.category)).values_list("pk", flat=True))
        qs = qs.filter(**{f"{on}category_id__in": ids}) if ids else qs.none()
    if filters.risk:
        qs = qs.filter(**{f"{on}risk": filters.risk})
    if filters.urgency:
        qs = qs.filter(**{f"{on}urgency": filters.urgency})
    if filters.channel:
        qs = qs.filter(**{f"{on}channel": filters.channel})
    if filters.region:
        qs = qs.filter(**{f"{on}region_code__startswith": filters.region})
    if filters.overdue is not None:
        qs = qs.filter(case_overdue_q(on) if filters.overdue else case_not_overdue_q(on))
    if filters.received_from:
        qs = qs.filter(list_received__gte=filters.received_from)  # on the key: the index walk starts there
    if filters.received_to:
        qs = qs.filter(list_received__lt=filters.received_to)
    if filters.text:
        qs = qs.filter(case_text_q(filters.text))  # indexed: see cases/search.py
    if filters.unit:
        # EXISTS rather than a join: a join needs DISTINCT, which stops the database from walking the
        # received_at index and reading only one page.
        qs = qs.filter(Exists(Assignment.objects.filter(case=OuterRef("pk"), unit_id=filters.unit)))
    # The stored triage suggestion (~2 KB) is for the detail page, not for lists.
    qs = qs.select_related("category", "owning_centre").defer("triage")
    return qs.order_by(*CASE_SORTS.get(sort, CASE_SORTS[DEFAULT_SORT]))


def _rank(field: str, values) -> CaseWhen:
    """Order by the position of `field`'s value in `values` (the choices' own order)."""
    return CaseWhen(*(When(**{field: v}, then=Value(i)) for i, v in enumerate(values)), default=Value(len(values)),
                 output_field=IntegerField())


DEFAULT_SORT = "-received"
# Each ordering ends in the key of the default one, so ties are stable and pages never repeat a row.
# The key (list_received, list_id) is an alias case_list_for_user gives every list: the matter's
# (received_at, id), or for a unit's list its assignments' copy of them (index assignment_unit_recv).
CASE_SORTS = {
    "-received": ("-list_received", "-list_id"),  # indexes case_recv, case_region_recv (walked backwards)
    "received": ("list_received", "list_id"),  # the same indexes walked forwards
    "due": (F("due_at").asc(nulls_last=True), "-list_received", "-list_id"),
    "risk": (_rank("risk", Risk.values).asc(), "-list_received", "-list_id"),
    "status": (_rank("status", Status.values).asc(), "-list_received", "-list_id"),
}
# Orderings an index serves: paged by keyset at any depth. The others have no index over an
# arbitrary scope, so they are applied only to a bounded result (at most LIST_COUNT_CAP matters).
KEYSET_SORTS = frozenset({"-received", "received"})
# Lists count their rows only up to this many ("1000+"): a LIMIT-ed count stays cheap on any scope.
LIST_COUNT_CAP = 1000


def case_count_capped(qs: QuerySet, *, cap: int | None = None) -> int | None:
    """How many rows `qs` has, counting at most cap + 1 (more than `cap` reads as "1000+").

    The count is ordered like the default list (whatever order the page uses), so the database walks
    the received_at index and stops after cap + 1 matches instead of sorting every match first. A filter that matches rarely over a large scope could still read for long,
    so on PostgreSQL the count gets its own short budget (YIMEN_LIST_COUNT_TIMEOUT_MS, default 30 ms):
    past it the answer is None ("not counted"), and the page says only what it knows.
    """
    from django.conf import settings

    from yimen.common.dbbudget import within_statement_budget

    cap = LIST_COUNT_CAP if cap is None else cap
    counted = qs.order_by(*CASE_SORTS[DEFAULT_SORT]).values("pk")[: cap + 1]
    return within_statement_budget(getattr(settings, "YIMEN_LIST_COUNT_TIMEOUT_MS", 30), counted.count)


@dataclass
class CasePage:
    items: list
    sort: str  # the ordering applied (the default when the asked one would cost too much)
    sort_refused: bool = False
    total: int | None = None  # None: not known (more than LIST_COUNT_CAP, or too costly to count)
    total_over_cap: bool = False  # counted, and more than LIST_COUNT_CAP
    next_cursor: str | None = None  # keyset sorts
    prev_cursor: str | None = None
    page: int = 1  # bounded sorts
    pages: int = 1


def case_page(*, user, filters: CaseFilters, sort: str = DEFAULT_SORT, after: str | None = None,
              before: str | None = None, page: int = 1, limit: int = 50) -> CasePage:
    """One page of the scoped list, cheap at any depth on any scope (a million matters).

    1. An indexed ordering pages by keyset: `after`/`before` are the cursors of the last/first row
       of the neighbouring page; the total is counted only up to LIST_COUNT_CAP.
    2. Any other ordering is applied only when the filtered list has at most LIST_COUNT_CAP
       matters (then it pages by offset); otherwise the default ordering is used and
       `sort_refused` says so, so the page can ask the user to narrow the filter.
    Run it inside list_time_limit().
    """
    sort = sort if sort in CASE_SORTS else DEFAULT_SORT
    qs = case_list_for_user(user=user, filters=filters, sort=sort).select_related("region")
    if sort not in KEYSET_SORTS:
        total = case_count_capped(qs)
        if total is not None and total <= LIST_COUNT_CAP:
            pages = max(1, -(-total // limit))
            page = min(max(1, page), pages)
            items = list(qs[(page - 1) * limit: page * limit])
            return CasePage(items, sort, total=total, page=page, pages=pages)
        return _keyset_page(qs.order_by(*CASE_SORTS[DEFAULT_SORT]), DEFAULT_SORT, None, None, limit,
                            sort_refused=True, counted=total)
    return _keyset_page(qs, sort, after, before, limit)


def case_list_bounded(*, user, filters: CaseFilters, sort: str = DEFAULT_SORT) -> QuerySet:
    """The whole filtered list (for an export) in `sort`'s order when that ordering is affordable
    (an indexed one, or a list of at most LIST_COUNT_CAP matters), else in the default order."""
    sort = sort if sort in CASE_SORTS else DEFAULT_SORT
    if sort not in KEYSET_SORTS:
        total = case_count_capped(case_list_for_user(user=user, filters=filters))
        if total is None or total > LIST_COUNT_CAP:
            sort = DEFAULT_SORT
    return case_list_for_user(user=user, filters=filters, sort=sort)


_UNCOUNTED = object()


def _keyset_page(qs, sort, after, before, limit, *, sort_refused=False, counted=_UNCOUNTED) -> CasePage:
    """A page after (or before) a cursor on (received_at, id), in `sort`'s direction: the database
    walks the received_at index from the cursor, so page 10,000 costs what page 1 costs."""
    newest_first = sort.startswith("-")
    backwards = bool(before) and not after
    cursor = after or before
    page_qs = qs
    if cursor:
        received_at, pk = decode_case_cursor(cursor)
        page_qs = qs.filter(keyset_q(received_at, pk, older=newest_first != backwards))
    if backwards:
        page_qs = page_qs.reverse()
    rows = list(page_qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    result = CasePage(rows, sort, sort_refused=sort_refused)
    if rows:
        has_next, has_prev = (True, more) if backwards else (more, bool(cursor))
        result.next_cursor = encode_case_cursor(rows[-1].received_at, rows[-1].pk) if has_next else None
        result.prev_cursor = encode_case_cursor(rows[0].received_at, rows[0].pk) if has_prev else None
    if not cursor and not more:
        result.total = len(rows)  # the whole list is on this page: counted for free
    else:
        total = case_count_capped(qs) if counted is _UNCOUNTED else counted
        result.total = total if total is not None and total <= LIST_COUNT_CAP else None
        result.total_over_cap = total is not None and total > LIST_COUNT_CAP
    return result


def keyset_q(received_at: datetime, pk: int, *, older: bool = True) -> Q:
    """The rows after a cursor on the list key of case_list_for_user: older than (received_at, pk),
    or newer. Written on the key, so the database starts its index walk at the cursor."""
    if older:
        return Q(list_received__lte=received_at) & (Q(list_received__lt=received_at) | Q(list_id__lt=pk))
    return Q(list_received__gte=received_at) & (Q(list_received__gt=received_at) | Q(list_id__gt=pk))


def encode_case_cursor(received_at: datetime, pk: int) -> str:
    """The same opaque cursor as the API's (base64 of [received_at, id])."""
    raw = json.dumps([received_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_case_cursor(cursor: str) -> tuple[datetime, int]:
    from django.utils.translation import gettext as _

    from yimen.common.errors import InvalidInput

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        received_at = datetime.fromisoformat(stamp)
        if received_at.tzinfo is None or not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, binascii.Error):
        raise InvalidInput(_("分页位置无效，请从第一页重新浏览。"), field="cursor") from None
    return received_at, pk


def case_filter_units(user) -> QuerySet:
    """The units a user may narrow a list by: their own units, and those the centres in their
    regions work with (units in the region and below, and units stationed in its centres)."""
    from yimen.accounts.scopes import grants_for, sees_everything
    from yimen.regions.models import Stationing, Unit

    units = Unit.objects.filter(active=True).select_related("region").order_by("region__code", "name")
    if sees_everything(user):
        return units
    q = Q(pk__in=unit_ids_for(user))
    for grant in grants_for(user):
        if grant.region_code and not grant.unit_id:
            stationed = Stationing.objects.filter(unit=OuterRef("pk"), centre__region__code__startswith=grant.region_code)
            q |= Q(region__code__startswith=grant.region_code) | Q(Exists(stationed))
    return units.filter(q)


# Regions offered in the list's region picker: down to townships (a village is typed by its code).
FILTER_REGION_LEVELS = ("city", "county", "township")


def case_filter_regions(user) -> QuerySet:
    """Regions a user may pick to narrow a list by place: those in their grants' regions."""
    from yimen.accounts.scopes import region_codes_for, region_prefix_q, sees_everything
    from yimen.regions.models import Region

    regions = Region.objects.filter(level__in=FILTER_REGION_LEVELS).order_by("code")
    if sees_everything(user):
        return regions
    return regions.filter(region_prefix_q("code", region_codes_for(user)))


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
def list_time_limit(user=None):
    """Bound a list query on PostgreSQL: a filter that reads a province's worth of rows answers
    with a clear request to narrow it instead of holding a worker (and a connection) for seconds.

    Not for a `user` whose scope is only their units' (unit_only_scope): their lists walk the units'
    own index and read at most the units' volume, so they always answer."""
    from django.conf import settings
    from django.db import OperationalError, connection, transaction
    from django.utils.translation import gettext as _

    from yimen.common.errors import InvalidInput

    limit_ms = getattr(settings, "YIMEN_LIST_TIMEOUT_MS", 3000)
    if connection.vendor != "postgresql" or not limit_ms or (user is not None and unit_only_scope(user)):
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
