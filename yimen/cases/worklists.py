"""What is waiting for whom: the home worklist, the unit inbox, the supervisor boards and the
follow-up queue. Reads only, scoped through yimen.accounts.scopes (never re-deciding scope here).

Cost on a million matters: every count and list reads through an index named beside it. Counts
whose scope can be large (a county's or a city's matters) are capped: COUNT over a LIMIT-ed subquery
(`capped_count`), shown as "99+", so a tile never walks a whole county. Counts over one unit's live
assignments are exact: they read a few thousand entries of the `assignment_inbox` index at most.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from yimen.accounts.scopes import (
    BOARD_ROLES,
    DISPATCH_ROLES,
    FOLLOW_UP_ROLES,
    LEADER_ROLES,
    REGISTER_ROLES,
    REPORTER_ROLES,
    UNIT_WORK_ROLES,
    exact_centre_codes,
    follow_up_scope_q,
    holds_role,
    owned_in_region_q,
    region_codes_for,
    region_prefix_q,
    sees_everything,
    unit_ids_for,
    visible_cases_q,
)
from yimen.common.errors import PermissionDenied
from yimen.regions.models import LEVEL_ORDER, Centre, Level, Stationing, Unit

from .deadlines import (
    assignment_due_soon_parts,
    assignment_due_soon_q,
    assignment_due_within_q,
    assignment_first_due,
    assignment_overdue_q,
    case_due_soon_q,
    case_overdue_q,
)
from .models import (
    LIVE_ASSIGNMENT_STATUSES,
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    Deadline,
    DeadlineState,
    Extension,
    ExtensionStatus,
    LimitUnit,
    Risk,
    Status,
    Step,
    SupervisionOrder,
    SupervisionStatus,
    Urgency,
)
from .selectors import assignment_inbox

COUNT_CAP = 100

# Who works which list: the role groups of yimen.accounts.scopes (the navigation shows the same).
QUEUE_STATUSES = (Status.REGISTERED, Status.PENDING_DISPATCH, Status.RETURNED)
LIVE = tuple(LIVE_ASSIGNMENT_STATUSES)


@dataclass(frozen=True)
class Tally:
    """A count that may have stopped at the cap: shown as "99+" then."""

    value: int
    cap: int | None = None

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.value >= self.cap

    def __str__(self) -> str:
        return f"{self.cap - 1}+" if self.capped else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


def capped_count(qs: QuerySet, cap: int | None = None) -> Tally:
    """SELECT COUNT(*) FROM (SELECT … LIMIT cap): stops reading after `cap` rows (COUNT_CAP, read at
    call time, unless given)."""
    cap = COUNT_CAP if cap is None else cap
    return Tally(qs.order_by().values("pk")[:cap].count(), cap)


def _actions_prefetch(prefix: str = "case__") -> tuple[Prefetch, ...]:
    """What transitions.allowed_actions reads about a row's matter — its assignments, extension
    requests and supervision orders — in three queries per page, none per row."""
    return (
        Prefetch(f"{prefix}assignments", queryset=Assignment.objects.only("id", "case_id", "unit_id", "status", "part")),
        Prefetch(f"{prefix}extensions", queryset=Extension.objects.only("id", "case_id", "status"), to_attr="all_extensions"),
        Prefetch(f"{prefix}supervision_orders", queryset=SupervisionOrder.objects.only("id", "case_id", "unit_id", "status"),
                 to_attr="all_supervision_orders"),
    )


def actions_for(user, case: Case) -> frozenset[str]:
    """transitions.allowed_actions from the prefetched assignments: no query (grants are cached
    on the user, the assignments prefetched by the list's selector)."""
    from .transitions import allowed_actions

    return frozenset(allowed_actions(user, case, list(case.assignments.all())))


@dataclass
class Row:
    """A list row with the actions the user may take on its matter now (buttons, not permissions)."""

    item: object
    case: Case
    actions: frozenset
    days_overdue: int | None = None  # whole days past the item's due_at (boards)


def with_actions(user, items, case_of=lambda item: item.case) -> list[Row]:
    rows = []
    for item in items:
        case = case_of(item)
        rows.append(Row(item=item, case=case, actions=actions_for(user, case)))
    return rows


def _open_orders(case_ref: str, unit_ref: str) -> Exists:
    return Exists(
        SupervisionOrder.objects.filter(
            case_id=OuterRef(case_ref), unit_id=OuterRef(unit_ref), status=SupervisionStatus.ISSUED
        )
    )


# ---------------------------------------------------------------------------------------------
# The unit inbox


class InboxTab:
    ALL = "all"
    TO_SIGN = "to_sign"
    IN_PROGRESS = "in_progress"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SUPERVISED = "supervised"

    LABELS = {
        ALL: _("全部在办"),
        TO_SIGN: _("待签收"),
        IN_PROGRESS: _("办理中"),
        DUE_SOON: _("即将到期"),
        OVERDUE: _("已超期"),
        SUPERVISED: _("督办待回复"),
    }


def inbox_list(*, user, tab: str, now: datetime) -> QuerySet:
    """The unit's live assignments for one tab, soonest limit first (selectors.assignment_inbox),
    each with `supervised` (an unanswered supervision order to this unit) and the matter's
    assignments prefetched. Index: assignment_inbox (unit, status, due_at)."""
    statuses = {InboxTab.TO_SIGN: (AssignmentStatus.PENDING,), InboxTab.IN_PROGRESS: (AssignmentStatus.ACCEPTED,)}
    qs = assignment_inbox(user=user, statuses=statuses.get(tab, LIVE))
    if tab == InboxTab.DUE_SOON:
        qs = qs.filter(assignment_due_soon_q(now))
    elif tab == InboxTab.OVERDUE:
        qs = qs.filter(assignment_overdue_q(now))
    qs = qs.annotate(supervised=_open_orders("case_id", "unit_id"))
    if tab == InboxTab.SUPERVISED:
        qs = qs.filter(supervised=True)
    return qs.defer("case__triage").prefetch_related(*_actions_prefetch())


@dataclass
class UnitCounts:
    to_sign: int = 0
    in_progress: int = 0
    due_soon: int = 0
    overdue: int = 0
    supervision: Tally = field(default_factory=lambda: Tally(0))


def unit_counts(*, user, now: datetime) -> UnitCounts:
    """Exact counts over the user's units' live assignments: one aggregate over the
    assignment_inbox index, and one capped count of unanswered supervision orders
    (index supervision_unit_status)."""
    units = unit_ids_for(user, UNIT_WORK_ROLES)
    if not units:
        return UnitCounts()
    totals = Assignment.objects.filter(unit_id__in=units, status__in=LIVE).aggregate(
        to_sign=Count("id", filter=Q(status=AssignmentStatus.PENDING)),
        in_progress=Count("id", filter=Q(status=AssignmentStatus.ACCEPTED)),
        due_soon=Count("id", filter=assignment_due_soon_q(now)),
        overdue=Count("id", filter=assignment_overdue_q(now)),
    )
    return UnitCounts(**totals, supervision=capped_count(orders_to_answer(user=user)))


def orders_to_answer(*, user) -> QuerySet:
    """Supervision orders to the user's units not answered yet, on matters still open, soonest answer first."""
    return (
        SupervisionOrder.objects.filter(
            unit_id__in=unit_ids_for(user, UNIT_WORK_ROLES), status=SupervisionStatus.ISSUED,
            case__status__in=OPEN_STATUSES,
        )
        .select_related("case", "unit")
        .defer("case__triage")
        .order_by(F("answer_due_at").asc(nulls_last=True), "id")
    )


# ---------------------------------------------------------------------------------------------
# Centre work: the dispatch queue, due and overdue matters, extensions, follow-ups


def centre_queue(*, user, statuses=QUEUE_STATUSES) -> QuerySet:
    """Matters waiting for the dispatcher's own centre (registered / pending dispatch / returned),
    red or urgent first (`_PRESSING`), then the longest waiting (since it entered its present status).
    Exact owning centre, not the region below it: a county dispatcher's queue is the county centre's. Index: case_owner_status
    (owning_code, status, …), then a top-N sort of the queue. Ordering by received_at instead made
    PostgreSQL walk case_recv through the centre's whole history (0.6 s on a million matters)."""
    codes = exact_centre_codes(user, DISPATCH_ROLES)
    if sees_everything(user):
        scope = Q()
    else:
        scope = Q(owning_code__in=codes) if codes else Q(pk__in=[])
    return (
        Case.objects.filter(scope, status__in=list(statuses))
        .select_related("category", "owning_centre")
        .defer("triage")
        .prefetch_related(*_actions_prefetch(""))
        .alias(pressing=ExpressionWrapper(_PRESSING, output_field=BooleanField()))
        .order_by(F("pressing").desc(), "status_changed_at", "received_at", "id")
    )


# Red or urgent first in the dispatcher's queue: as graded, or, before triage, as the engine proposes
# (a 34-worker wage matter threatening to block a road must not wait behind older noise complaints).
_PRESSING = (
    Q(risk=Risk.RED)
    | Q(urgency=Urgency.URGENT)
    | Q(status=Status.REGISTERED, suggested_risk=Risk.RED)
    | Q(status=Status.REGISTERED, suggested_urgency=Urgency.URGENT)
)


def _centre_cases(user, roles) -> QuerySet:
    return Case.objects.filter(owned_in_region_q(user, roles))


def centre_in_progress(*, user) -> QuerySet:
    return _centre_cases(user, BOARD_ROLES).filter(status__in=[Status.DISPATCHED, Status.IN_PROGRESS])


def centre_due_soon(*, user, now: datetime) -> QuerySet:
    """Open matters owned in the region whose limit runs out within 24 h. Index: case_open_due."""
    return _centre_cases(user, BOARD_ROLES).filter(case_due_soon_q(now), status__in=OPEN_STATUSES)


def centre_overdue(*, user) -> QuerySet:
    """Open matters owned in the region past their limit (the sweep sets `overdue`).
    Index: case_owner_status, filtered; capped by the caller."""
    return _centre_cases(user, BOARD_ROLES).filter(case_overdue_q(), status__in=OPEN_STATUSES)


def pending_extensions(*, user) -> QuerySet:
    """Extension requests awaiting a decision on matters owned in the region of the user's
    supervisor/director/dispatcher grants, oldest first. Pending rows are read through the partial
    unique index one_pending_extension (status = pending)."""
    return (
        Extension.objects.filter(
            owned_in_region_q(user, BOARD_ROLES, prefix="case__"),
            status=ExtensionStatus.PENDING,
            case__status__in=[Status.DISPATCHED, Status.IN_PROGRESS],
        )
        .select_related("case", "assignment__unit", "requested_by")
        .defer("case__triage")
        .prefetch_related(*_actions_prefetch())
        .order_by("requested_at", "id")
    )


def labelled_extensions(extensions) -> list[Extension]:
    """Materialise extension requests with `unit_label` (工作日/自然日/小时) for display."""
    items = list(extensions)
    for extension in items:
        extension.unit_label = LimitUnit(extension.unit).label if extension.unit in LimitUnit.values else extension.unit
    return items


def follow_up_queue(*, user) -> QuerySet:
    """Resolved matters awaiting a follow-up in the user's scope, the soonest follow-up limit first
    (then the longest resolved). Annotated `follow_up_due` / `follow_up_provisional` from the open
    FOLLOW_UP deadline (index deadline_case_state)."""
    limit = Deadline.objects.filter(case_id=OuterRef("pk"), step=Step.FOLLOW_UP, state=DeadlineState.OPEN).order_by("due_at")
    return (
        Case.objects.filter(follow_up_scope_q(user), status=Status.RESOLVED)
        .annotate(
            follow_up_due=Subquery(limit.values("due_at")[:1]),
            follow_up_provisional=Coalesce(Subquery(limit.values("provisional")[:1]), False),
        )
        .select_related("category", "owning_centre")
        .defer("triage")
        .prefetch_related(*_actions_prefetch(""))
        .order_by(F("follow_up_due").asc(nulls_last=True), F("resolved_at").asc(nulls_last=True), "id")
    )


def follow_up_result(*, user, number: str) -> Case | None:
    """A matter just followed up, read again to say what the service did (e.g. reopened it)."""
    return Case.objects.filter(visible_cases_q(user), number=number).only(
        "number", "title", "status", "satisfaction", "reopen_count"
    ).first()


def open_reports(*, user) -> QuerySet:
    """Open matters the user registered themselves (a grid worker's reports), the oldest first.
    Index: case_region_… by the visible scope (one grid), then registered_by on those few rows."""
    return (
        Case.objects.filter(visible_cases_q(user), registered_by=user, status__in=OPEN_STATUSES)
        .select_related("category")
        .defer("triage")
        .order_by("received_at", "id")
    )


def may_follow_up(user) -> bool:
    return holds_role(user, FOLLOW_UP_ROLES)


# ---------------------------------------------------------------------------------------------
# Home


@dataclass
class CentreCounts:
    queue: Tally | None = None
    returned: Tally | None = None
    in_progress: Tally | None = None
    due_soon: Tally | None = None  # matters (件)
    overdue: Tally | None = None  # matters (件)
    assignments: "BoardRow | None" = None  # due-soon and overdue assignments (个), as the board counts them
    extensions: Tally | None = None
    follow_ups: Tally | None = None


@dataclass
class HomeWork:
    """Everything the home page shows, per what the user holds. None: the user does not work that list."""

    may_register: bool = False
    unit: UnitCounts | None = None
    unit_soonest: list = field(default_factory=list)
    unit_orders: list = field(default_factory=list)
    centre: CentreCounts = field(default_factory=CentreCounts)
    queue: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)
    reports: Tally | None = None  # the user's own open reports (grid workers)
    report_list: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (
            self.unit is None and self.reports is None and all(count is None for count in vars(self.centre).values())
        )


SHORT = 6


def home_work(*, user, now: datetime) -> HomeWork:
    """The home worklist. A constant number of queries per role held (never per row)."""
    work = HomeWork(may_register=holds_role(user, REGISTER_ROLES))
    if unit_ids_for(user, UNIT_WORK_ROLES):
        work.unit = unit_counts(user=user, now=now)
        work.unit_soonest = list(inbox_list(user=user, tab=InboxTab.ALL, now=now)[:SHORT])
        work.unit_orders = list(orders_to_answer(user=user)[:SHORT]) if work.unit.supervision else []
    c = work.centre
    if holds_role(user, DISPATCH_ROLES):
        queue = centre_queue(user=user)
        c.queue = capped_count(queue.prefetch_related(None))
        c.returned = capped_count(queue.prefetch_related(None).filter(status=Status.RETURNED))
        work.queue = with_actions(user, queue[:10], case_of=lambda case: case) if c.queue else []
    if holds_role(user, BOARD_ROLES):
        c.in_progress = capped_count(centre_in_progress(user=user))
        c.due_soon = capped_count(centre_due_soon(user=user, now=now))
        c.overdue = capped_count(centre_overdue(user=user))
        c.assignments = board_totals(user=user, now=now)
    if holds_role(user, LEADER_ROLES):
        extensions = pending_extensions(user=user)
        c.extensions = capped_count(extensions)
        work.extensions = labelled_extensions(extensions.prefetch_related(None)[:SHORT]) if c.extensions else []
    if holds_role(user, FOLLOW_UP_ROLES):
        queue = follow_up_queue(user=user)
        c.follow_ups = capped_count(queue)
        work.follow_ups = list(queue.prefetch_related(None)[:SHORT]) if c.follow_ups else []
    if holds_role(user, REPORTER_ROLES):
        reports = open_reports(user=user)
        work.reports = capped_count(reports)
        work.report_list = list(reports[:SHORT]) if work.reports else []
    return work


# ---------------------------------------------------------------------------------------------
# Supervisor boards


def board_codes(user) -> list[str]:
    """Region codes of the user's board roles; PermissionDenied when they hold none."""
    if sees_everything(user):
        return [""]
    codes = region_codes_for(user, BOARD_ROLES)
    if not codes:
        raise PermissionDenied(_("只有督办员、中心领导和研判派单员可以查看督办看板。"))
    return codes


def board_units(*, user) -> list[Unit]:
    """Units attached to the centres within the user's region: seated in it or below, or stationed
    in one of its centres (a county bureau by rota in a township centre)."""
    q = Q(pk__in=[])
    for code in board_codes(user):
        stationed = Stationing.objects.filter(unit=OuterRef("pk"), centre__region__code__startswith=code)
        q |= Q(region__code__startswith=code) | Q(Exists(stationed))
    return list(Unit.objects.filter(q).select_related("region").order_by("region__code", "name"))


def _board_assignments(user, units, now) -> QuerySet:
    """Live assignments of `units` with a sign-in or handling limit due within 24 h or overdue
    (deadlines.assignment_due_within_q), on matters in the user's region (what the board roles see:
    visible_cases_q for centre roles is this same prefix test). The unit and the matter's place and
    owning centre are copied onto the assignment, so the counts never join the matters. Index:
    assignment_board covers the handling limit (due_at); the sign-in half of the OR (pending rows,
    sign_due_at) has no index of its own yet — add a partial one if the board slows."""
    qs = Assignment.objects.filter(assignment_due_within_q(now), unit_id__in=[u.pk for u in units], status__in=LIVE)
    if sees_everything(user):
        return qs
    return qs.filter(region_prefix_q("case_region_code", board_codes(user)))


@dataclass
class BoardRow:
    due_soon: int = 0
    overdue: int = 0


@dataclass
class Board:
    all_units: list = field(default_factory=list)  # board_units(user)
    units: list = field(default_factory=list)  # (unit, BoardRow) with something due, most overdue first
    quiet_units: int = 0  # units in the region with nothing due or overdue
    centres: list = field(default_factory=list)  # (centre, BoardRow) by owning centre of the matters
    levels: dict = field(default_factory=dict)  # unit level -> BoardRow totals
    total: BoardRow = field(default_factory=BoardRow)

    @property
    def level_rows(self) -> list[tuple[str, str, BoardRow]]:
        """(level, its label, totals) from the city down."""
        return [(lvl, Level(lvl).label, self.levels[lvl]) for lvl in LEVEL_ORDER if lvl in self.levels]


def board(*, user, now: datetime) -> Board:
    """Due-soon and overdue live assignments per unit, per unit level, and per owning centre:
    one grouped query, plus the units and centres named in it."""
    units = board_units(user=user)
    by_id = {u.pk: u for u in units}
    grouped = (
        _board_assignments(user, units, now)
        .values("unit_id", "case_owning_code")
        .annotate(due_soon=Count("id", filter=assignment_due_soon_q(now)), overdue=Count("id", filter=assignment_overdue_q(now)))
        .order_by()
    )
    per_unit: dict[int, BoardRow] = {}
    per_centre: dict[str, BoardRow] = {}
    result = Board(all_units=units)
    for row in grouped:
        unit = by_id[row["unit_id"]]
        for bucket in (
            per_unit.setdefault(unit.pk, BoardRow()),
            per_centre.setdefault(row["case_owning_code"], BoardRow()),
            result.levels.setdefault(unit.region.level, BoardRow()),
            result.total,
        ):
            bucket.due_soon += row["due_soon"]
            bucket.overdue += row["overdue"]
    result.units = sorted(
        ((by_id[pk], counts) for pk, counts in per_unit.items()),
        key=lambda pair: (-pair[1].overdue, -pair[1].due_soon, pair[0].region.code, pair[0].name),
    )
    result.quiet_units = len(units) - len(per_unit)
    centres = Centre.objects.filter(region__code__in=list(per_centre)).select_related("region")
    result.centres = sorted(((c, per_centre[c.region.code]) for c in centres), key=lambda pair: pair[0].region.code)
    return result


def board_totals(*, user, now: datetime) -> BoardRow:
    """The board's totals (assignments due soon and overdue) for the home's tiles: the same rows as
    `board`, so the tiles and the board agree, but each counted only up to COUNT_CAP ("99+") like the
    home's other tiles — an exact count read every overdue assignment of a city (218 ms of the
    dispatcher's home at 10 M matters); the board itself gives the exact figures."""
    rows = _board_assignments(user, board_units(user=user), now)
    handling, signing = assignment_due_soon_parts(now)  # disjoint; each a range on its own index
    first = capped_count(rows.filter(handling))
    due_soon = first.value if first.value >= first.cap else first.value + capped_count(rows.filter(signing), first.cap - first.value).value
    return BoardRow(due_soon=Tally(due_soon, first.cap), overdue=capped_count(rows.filter(assignment_overdue_q(now))))


class BoardKind:
    BOTH = "all"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    LABELS = {BOTH: _("临期及超期"), DUE_SOON: _("24小时内到期"), OVERDUE: _("已超期")}


def board_drill(
    *, user, now: datetime, units: list[Unit], kind: str = BoardKind.BOTH, unit_id: int | None = None,
    centre_code: str = "", level: str = "",
) -> QuerySet:
    """The assignments behind a board count, most overdue first, with the matter's assignments
    prefetched for allowed_actions. `units` are board_units(user) (Board.all_units); an unknown
    unit, or one outside the region, gives no rows."""
    if unit_id is not None:
        units = [u for u in units if u.pk == unit_id]
    if level:
        units = [u for u in units if u.region.level == level]
    qs = _board_assignments(user, units, now)
    if kind == BoardKind.DUE_SOON:
        qs = qs.filter(assignment_due_soon_q(now))
    elif kind == BoardKind.OVERDUE:
        qs = qs.filter(assignment_overdue_q(now))
    if centre_code:
        qs = qs.filter(case_owning_code=centre_code)
    return (
        qs.annotate(supervised=_open_orders("case_id", "unit_id"))
        .select_related("case", "case__category", "case__owning_centre", "unit")
        .defer("case__triage")
        .prefetch_related(*_actions_prefetch())
        .order_by("due_at", "id")
    )


def board_rows(user, items, now: datetime) -> list[Row]:
    """Drill-down rows with their actions and whole days overdue (0 on the first day), counted from
    the limit that ran out first (sign-in while unsigned, else handling)."""
    rows = with_actions(user, items)
    for row in rows:
        due = assignment_first_due(row.item)
        row.days_overdue = (now - due).days if due is not None and due < now else None
    return rows
