"""Time limits: which policy applies, when a limit runs out, and keeping running deadlines current.

The one module that owns time limits. Policies are rows (TimeLimitPolicy); each running limit is a
Deadline row that keeps what it was computed from, with a copy of its due time on the matter
(HANDLE), the assignment (SIGN, UNIT_HANDLE) or the supervision order (SUPERVISION_ANSWER) so that
lists can sort and filter without a join.

How a limit is counted (民法典 第200–203条, applied to the units a policy can use):
- hours / minutes: exact elapsed time from the start;
- natural days: the start day is not counted; the period ends at 24:00 of the last day, and if that
  day is a rest day (法定休假日: a holiday or a weekend that is not a make-up workday) it ends at
  24:00 of the next working day (第203条);
- working days: the N-th working day after the start date, ending at 24:00.
"24:00" is stored as 23:59:59.999999 local time (settings.TIME_ZONE), so the stored date is the
last day itself; `due_label` shows it as 24:00.

A limit is *provisional* when a day its count depends on lies in a year whose official holiday
schedule is not known yet (see calendar.py); entering that year recomputes it.

Every function here runs inside the caller's transaction and never commits by itself.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.core import checks
from django.db import DatabaseError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yimen.common.errors import Conflict, InvalidInput
from yimen.common.refcache import RefCache

from . import copies
from .calendar import (
    clear_calendar_cache,
    is_working_day,
    nth_working_day_after,
    working_day_on_or_after,
    year_is_official,
)
from .models import (
    Assignment,
    AssignmentStatus,
    Case,
    CaseEvent,
    Category,
    CalendarDay,
    CalendarYear,
    Deadline,
    DeadlineState,
    EventKind,
    LimitUnit,
    Step,
    SupervisionOrder,
    TimeLimitPolicy,
)

__all__ = [
    "DEFAULT_POLICIES", "Due", "is_working_day", "compute_due", "policy_for", "open_deadline",
    "close_deadlines", "cancel_deadlines", "extend_deadline", "recompute_provisional", "calendar_recompute",
    "calendar_year_publish", "unknown_years_in_use", "known_years_pending_recompute", "calendar_warnings",
    "check_calendar", "describe_due", "due_label", "ASSIGNMENT_STEPS", "open_assignment_deadlines", "LimitPreview",
    "preview_deadline", "preview_assignment_deadlines", "unit_limit_note", "DUE_SOON", "case_overdue_q", "case_not_overdue_q", "extension_check", "was_overdue",
    "case_due_soon_q", "assignment_overdue_q", "assignment_due_soon_q", "assignment_due_within_q",
]

# Used when a deadline has no policy (an explicit amount/unit, or its policy was deleted).
DEFAULT_WARN_BEFORE_HOURS = 24
_RECOMPUTE_BATCH = 1000
_SYSTEM_LABEL = "系统"

# The defaults installed by migrations 0002_default_policies and 0009_urgent_unit_limit (each keeps its own literal copy, as a
# migration must not depend on code that changes). Day-counted limits end at 24:00, so a warning of
# 8 + 24·k hours lands at 16:00, inside office hours, k days before the last day.
DEFAULT_POLICIES: list[dict] = [
    {"name": "签收：1个工作日", "step": "sign", "urgency": "", "channel": "", "amount": 1, "unit": "working_days",
     "warn_before_hours": 8, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "派单后1个工作日内签收（工作规范）"},
    # Warned at once (the 1 hour reaches back past the start and is capped there): the whole
    # ten minutes is the warning period.
    {"name": "急难事签收响应：10分钟", "step": "sign", "urgency": "urgent", "channel": "", "amount": 10, "unit": "minutes",
     "warn_before_hours": 1, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”；党员专班10分钟内响应"},
    {"name": "急难事办理：1个工作日", "step": "handle", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”"},
    {"name": "揪心事办理：30个工作日", "step": "handle", "urgency": "grave", "channel": "", "amount": 30,
     "unit": "working_days", "warn_before_hours": 80, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“揪心事攻坚办”"},
    {"name": "烦心事办理：15个工作日", "step": "handle", "urgency": "annoying", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“烦心事协商办”"},
    {"name": "操心事办理：7个工作日", "step": "handle", "urgency": "worrying", "channel": "", "amount": 7,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“操心事抓紧办”"},
    {"name": "期盼事办理：30个工作日", "step": "handle", "urgency": "wish", "channel": "", "amount": 30,
     "unit": "working_days", "warn_before_hours": 80, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“期盼事全力办”"},
    {"name": "承办单位办理：15个工作日", "step": "unit_handle", "urgency": "", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照《劳动争议调解仲裁法》第十四条（调解组织15日内未达成协议的可申请仲裁）"},
    # An urgent matter's units answer as fast as the matter must (issue 12 B.2): without this, a unit
    # of a matter already past its own 1-day limit would get the general 15 days. Migration 0009.
    {"name": "急难事承办单位办理：1个工作日", "step": "unit_handle", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”"},
    # The provincial 12345 practice, keyed on the request type (issue 14; migration cases 0020): a
    # request is answered within its type's limit whatever its 五事 class, except an urgent one, held
    # to the urgent day by the "急难事·…" rows (request type and urgency both named: the most specific).
    # Disputes (纠纷) and matters whose type is not stated keep the 五事五办 limits above.
    {"name": "咨询类办理：2个工作日", "step": "handle", "request_type": "consult", "urgency": "", "channel": "", "amount": 2,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日"},
    {"name": "求助类办理：10个工作日", "step": "handle", "request_type": "help", "urgency": "", "channel": "", "amount": 10,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日"},
    {"name": "建议类办理：10个工作日", "step": "handle", "request_type": "suggestion", "urgency": "", "channel": "", "amount": 10,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日"},
    {"name": "投诉类办理：15个工作日", "step": "handle", "request_type": "complaint", "urgency": "", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日"},
    {"name": "举报类办理：15个工作日", "step": "handle", "request_type": "report", "urgency": "", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日"},
    {"name": "急难事·咨询类办理：1个工作日", "step": "handle", "request_type": "consult", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理"},
    {"name": "急难事·求助类办理：1个工作日", "step": "handle", "request_type": "help", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理"},
    {"name": "急难事·建议类办理：1个工作日", "step": "handle", "request_type": "suggestion", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理"},
    {"name": "急难事·投诉类办理：1个工作日", "step": "handle", "request_type": "complaint", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理"},
    {"name": "急难事·举报类办理：1个工作日", "step": "handle", "request_type": "report", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理"},
    {"name": "回访：办结后5个工作日", "step": "follow_up", "urgency": "", "channel": "", "amount": 5,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "办结后回访验单（工作规范）"},
    {"name": "督办回复：3个工作日", "step": "supervision_answer", "urgency": "", "channel": "", "amount": 3,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "督办单限期回复（工作规范）"},
    {"name": "信访受理告知：15日", "step": "petition_decide", "urgency": "", "channel": "petition", "amount": 15,
     "unit": "natural_days", "warn_before_hours": 80, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "《信访工作条例》第二十二条：收到信访事项后15日内处理并告知"},
    {"name": "信访办结：60日（可延长30日）", "step": "petition_handle", "urgency": "", "channel": "petition",
     "amount": 60, "unit": "natural_days", "warn_before_hours": 176, "escalate_when_overdue": False,
     "max_extension": 30,
     "legal_basis": "《信访工作条例》第三十四条：自受理之日起60日内办结；情况复杂的经批准可延长，延长不得超过30日"},
]


# ---------------------------------------------------------------------------------------------
# Overdue and due soon: the one definition every count, board, list, ledger and filter uses.
#
# A matter is overdue when its own limit (HANDLE) has run out: the sweep sets Case.overdue when the
# deadline crosses its due time, and an extension or a recomputation clears it. An assignment is
# overdue when the unit's limit that is running has run out: sign-in (签收) while it is not signed
# for, handling (办理) once it is. Boards and unit lists count assignments; home and ledgers say
# which one they count.

# "Due soon": the same window as the due badge's amber.
DUE_SOON = dt.timedelta(hours=24)


def case_overdue_q(prefix: str = "") -> Q:
    """Matters past their own limit (`prefix` e.g. "case__" from a related model)."""
    return Q(**{f"{prefix}overdue": True})


def case_not_overdue_q(prefix: str = "") -> Q:
    """The others, written positively (a negated filter across a join would become a subquery)."""
    return Q(**{f"{prefix}overdue": False})


def case_due_soon_q(now: dt.datetime, prefix: str = "") -> Q:
    """Matters not yet overdue whose limit runs out within DUE_SOON."""
    return Q(**{f"{prefix}overdue": False, f"{prefix}due_at__gte": now, f"{prefix}due_at__lt": now + DUE_SOON})


def was_overdue(case: Case) -> bool:
    """A matter's record (the ledger): past its limit now, or resolved after it ran out."""
    return bool(case.overdue) or case.resolved_within_limit is False


def _assignment_running_before_q(moment: dt.datetime) -> Q:
    """A running limit of the assignment ends before `moment`: sign-in while unsigned, or handling."""
    return Q(due_at__lt=moment) | Q(status=AssignmentStatus.PENDING, sign_due_at__lt=moment)


def assignment_overdue_q(now: dt.datetime) -> Q:
    """Live assignments with a sign-in or handling limit already run out."""
    return _assignment_running_before_q(now)


def assignment_due_within_q(now: dt.datetime) -> Q:
    """Live assignments overdue or due soon (what a supervisor's board reads)."""
    return _assignment_running_before_q(now + DUE_SOON)


def assignment_due_soon_q(now: dt.datetime) -> Q:
    """Live assignments not overdue with a sign-in or handling limit running out within DUE_SOON."""
    return assignment_due_within_q(now) & ~assignment_overdue_q(now)


def assignment_due_soon_parts(now: dt.datetime) -> tuple[Q, Q]:
    """`assignment_due_soon_q` (live rows) as two disjoint parts, each a range on one index, so that
    a count of them reads only the rows due soon: (a) the handling limit runs out within DUE_SOON
    and the sign-in limit has not run out; (b) still unsigned, the sign-in limit runs out within
    DUE_SOON and the handling limit later (or none). The OR of the whole filter gave the planner no
    range: the home's capped count walked every overdue assignment of a city first (357 ms at 10 M
    matters). A test checks that the parts are the whole and do not overlap."""
    window = now + DUE_SOON
    sign_not_over = ~Q(status=AssignmentStatus.PENDING) | Q(sign_due_at__gte=now) | Q(sign_due_at__isnull=True)
    handling = Q(due_at__gte=now, due_at__lt=window) & sign_not_over
    signing = Q(status=AssignmentStatus.PENDING, sign_due_at__gte=now, sign_due_at__lt=window) & (
        Q(due_at__gte=window) | Q(due_at__isnull=True)
    )
    return handling, signing


def assignment_first_due(assignment: Assignment):
    """The soonest running limit of an assignment: sign-in while unsigned, else handling."""
    dues = [assignment.due_at]
    if assignment.status == AssignmentStatus.PENDING:
        dues.append(assignment.sign_due_at)
    return min((d for d in dues if d is not None), default=None)


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    provisional: bool


# ---------------------------------------------------------------------------------------------
# Counting


def _tz():
    return timezone.get_default_timezone()


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=_tz())


def compute_due(start: dt.datetime, amount: int, unit: LimitUnit | str) -> Due:
    """When a limit of `amount` `unit` started at `start` runs out (see the module docstring)."""
    if timezone.is_naive(start):
        raise ValueError("compute_due needs an aware datetime")
    unit = LimitUnit(unit)
    if unit == LimitUnit.HOURS:
        return Due(start + dt.timedelta(hours=amount), False)
    if unit == LimitUnit.MINUTES:
        return Due(start + dt.timedelta(minutes=amount), False)
    start_day = start.astimezone(_tz()).date()
    if unit == LimitUnit.WORKING_DAYS:
        day, provisional = nth_working_day_after(start_day, amount)
    else:
        day, provisional = working_day_on_or_after(start_day + dt.timedelta(days=amount))
    return Due(_end_of_day(day), provisional)


def _warn_at(starts_at: dt.datetime, due_at: dt.datetime, hours: int | None) -> dt.datetime:
    hours = DEFAULT_WARN_BEFORE_HOURS if hours is None else hours
    # Count back from 24:00 itself, so "8 hours before" is 16:00 and not 15:59:59.999999.
    if due_at.astimezone(_tz()).time() == dt.time.max:
        due_at += dt.timedelta(microseconds=1)
    return max(due_at - dt.timedelta(hours=hours), starts_at)


def _apply_due(deadline: Deadline, due: Due, warn_before_hours: int | None, now: dt.datetime) -> None:
    """Move `deadline` to `due`; a threshold that now lies ahead again will be crossed again."""
    deadline.due_at, deadline.provisional = due.at, due.provisional
    deadline.warn_at = _warn_at(deadline.starts_at, due.at, warn_before_hours)
    if deadline.warn_at > now:
        deadline.warned_at = None
    if deadline.due_at > now:
        deadline.overdue_at = None


# ---------------------------------------------------------------------------------------------
# Choosing a policy


def policy_for(
    *, step, region=None, category=None, urgency: str = "", channel: str = "", request_type: str = ""
) -> TimeLimitPolicy | None:
    """The most specific active policy for this step, or None.

    Candidates come from a per-process table of active policies (policies change rarely and are read
    on every registration and dispatch) and are ranked here, most important first: a policy naming a
    region beats one that does not and the nearer region (longer code) beats the farther; then a
    category (nearer in the tree first) beats none; then a matching request type; then a matching
    urgency, then a matching channel. Between two equally specific policies the newer one wins.

    Request type ranks above urgency because the 12345 practice keys a request's limit on its type
    (咨询 2 working days, 投诉 15 …) whatever its 五事 class; an urgent request is held to the urgent
    limit by a policy naming both (the seeded "急难事·…" rows, migration cases 0020).
    """
    tables = _policy_tables()
    lineage = _lineage(category.pk, tables.parents) if category is not None else []
    place = region.code if region is not None else ""
    candidates = [
        p
        for p in tables.by_step.get(step, ())
        if (not p.region_id or place.startswith(p.region.code))
        and (not p.category_id or p.category_id in lineage)
        and p.request_type in ("", request_type or "")
        and p.urgency in ("", urgency or "")
        and p.channel in ("", channel or "")
    ]
    return max(candidates, key=lambda p: _specificity(p, lineage), default=None)


@dataclass(frozen=True)
class _PolicyTables:
    by_step: dict
    parents: dict


# Active policies by step and the category tree, read once a minute per process; a save or delete
# of either in this process clears it at once.
_POLICY_TABLES = RefCache("policy_tables", models=(TimeLimitPolicy, Category))


def _policy_tables() -> _PolicyTables:
    return _POLICY_TABLES.get(None, _load_policy_tables)


def _load_policy_tables() -> _PolicyTables:
    by_step: dict = {}
    for policy in TimeLimitPolicy.objects.filter(active=True).select_related("region"):
        by_step.setdefault(policy.step, []).append(policy)
    return _PolicyTables(by_step, dict(Category.objects.values_list("pk", "parent_id")))


def _lineage(category_id: int, parents: dict) -> list[int]:
    """The category and its ancestors, nearest first, from the cached tree."""
    lineage, node = [], category_id
    while node is not None and node not in lineage:
        lineage.append(node)
        node = parents.get(node)
    return lineage


def _specificity(policy: TimeLimitPolicy, lineage: list[int]) -> tuple:
    region_rank = len(policy.region.code) if policy.region_id else 0
    category_rank = len(lineage) - lineage.index(policy.category_id) if policy.category_id else 0
    return (region_rank, category_rank, bool(policy.request_type), bool(policy.urgency), bool(policy.channel), policy.pk)


# ---------------------------------------------------------------------------------------------
# Opening, closing, extending


def open_deadline(
    *, case: Case, step, starts_at: dt.datetime, assignment: Assignment | None = None,
    supervision: SupervisionOrder | None = None, policy: TimeLimitPolicy | None = None,
    amount: int | None = None, unit: LimitUnit | str | None = None,
) -> Deadline | None:
    """Start the clock on `step`; None when no policy applies and no amount/unit is given.

    The due time is copied to the matter (HANDLE, which also clears `overdue`), the assignment
    (SIGN, UNIT_HANDLE) or the supervision order (SUPERVISION_ANSWER).
    """
    deadline = _planned(case, step, starts_at, assignment, supervision, policy, amount, unit)
    if deadline is None:
        return None
    deadline.save(force_insert=True)
    _copy_due(deadline, case=case, assignment=assignment, supervision=supervision, case_overdue=False)
    return deadline


def plan_handle_deadline(*, case: Case, starts_at: dt.datetime) -> Deadline | None:
    """The HANDLE limit of a matter not yet written (intake): the due time is set on `case`, so it
    goes in with the matter's INSERT, and the Deadline returned is saved once the matter has its id.
    The same limit `open_deadline(step=HANDLE)` opens, without the UPDATE of the matter."""
    deadline = _planned(case, Step.HANDLE, starts_at, None, None, None, None, None)
    if deadline is not None:
        _set_case_due(case, deadline, overdue=False)
    return deadline


def _planned(case, step, starts_at, assignment, supervision, policy, amount, unit) -> Deadline | None:
    policy, amount, unit = _limit_for(case, step, policy, amount, unit)
    if amount is None:
        return None
    due = compute_due(starts_at, amount, unit)
    return Deadline(
        case=case, assignment=assignment, supervision=supervision, step=step, policy=policy,
        starts_at=starts_at, amount=amount, unit=LimitUnit(unit), due_at=due.at, provisional=due.provisional,
        warn_at=_warn_at(starts_at, due.at, getattr(policy, "warn_before_hours", None)),
        escalate_when_overdue=bool(policy and policy.escalate_when_overdue),
    )


def _limit_for(case: Case, step, policy, amount, unit) -> tuple:
    """(policy, amount, unit) a deadline of `step` on `case` runs by; amount None when none applies."""
    if policy is None and (amount is None or unit is None):
        policy = policy_for(
            step=step, region=case.region, category=case.category, urgency=case.urgency, channel=case.channel,
            request_type=case.request_type,
        )
    amount = amount if amount is not None else getattr(policy, "amount", None)
    unit = unit or getattr(policy, "unit", None)
    if amount is None or unit is None:
        return policy, None, None
    return policy, amount, unit


# The limits every assignment gets when it is made (派单): sign for it, then handle it.
ASSIGNMENT_STEPS = (Step.SIGN, Step.UNIT_HANDLE)


def open_assignment_deadlines(
    *, case: Case, assignment: Assignment, starts_at: dt.datetime, limit_reason: str = ""
) -> list[Deadline]:
    """Start the clocks of a new assignment (transitions.grading._assign); `preview_assignment_deadlines`
    shows the same limits before the dispatcher confirms. The unit's handling limit ends no later
    than the matter's own (`_within_case_limit`) unless the dispatcher gives `limit_reason`."""
    opened = []
    for step in ASSIGNMENT_STEPS:
        policy, amount, unit = _limit_for(case, step, None, None, None)
        if amount is None:
            continue
        if step == Step.UNIT_HANDLE and not limit_reason.strip():
            amount, unit = _within_case_limit(case, starts_at, amount, unit)
        opened.append(
            open_deadline(case=case, step=step, starts_at=starts_at, assignment=assignment, policy=policy, amount=amount, unit=unit)
        )
    return opened


def _within_case_limit(case: Case, starts_at: dt.datetime, amount: int, unit) -> tuple[int, str]:
    """(amount, unit) shortened so that a limit started at `starts_at` ends by the matter's own due
    time: the largest count in the same unit that fits, else the minutes left. Unchanged when it
    fits already, when the matter has no limit, or when the matter is already past it (nothing can
    end in time then; unit_limit_note says so)."""
    case_due = case.due_at
    if case_due is None or case_due <= starts_at or compute_due(starts_at, amount, unit).at <= case_due:
        return amount, unit
    for shorter in range(amount - 1, 0, -1):
        if compute_due(starts_at, shorter, unit).at <= case_due:
            return shorter, unit
    return max(1, int((case_due - starts_at).total_seconds() // 60)), LimitUnit.MINUTES


def unit_limit_note(*, case: Case, starts_at: dt.datetime, limit_reason: str = "") -> str:
    """What the timeline and the dispatch page say about a unit's handling limit against the
    matter's: shortened to fit, kept longer for a reason, or nothing when the rule's limit fits."""
    _policy, amount, unit = _limit_for(case, Step.UNIT_HANDLE, None, None, None)
    if amount is None or case.due_at is None:
        return ""
    rule = _("%(amount)d%(unit)s") % {"amount": amount, "unit": LimitUnit(unit).label}
    policy_due = compute_due(starts_at, amount, unit).at
    if policy_due <= case.due_at:
        return ""
    if case.due_at <= starts_at:
        return _("事项已超过办理期限（%(due)s），承办单位按规则计时%(rule)s。") % {"due": due_label(case.due_at), "rule": rule}
    if limit_reason.strip():
        return _("承办期限按规则%(rule)s，晚于事项期限%(due)s，理由：%(reason)s") % {
            "rule": rule, "due": due_label(case.due_at), "reason": limit_reason.strip(),
        }
    fitted_amount, fitted_unit = _within_case_limit(case, starts_at, amount, unit)
    return _("承办期限按事项期限缩短为%(fitted)s，至%(due)s（规则为%(rule)s）。") % {
        "fitted": _("%(amount)d%(unit)s") % {"amount": fitted_amount, "unit": LimitUnit(fitted_unit).label},
        "due": due_label(compute_due(starts_at, fitted_amount, fitted_unit).at), "rule": rule,
    }


@dataclass(frozen=True)
class LimitPreview:
    """A limit as it would run if started now: what `open_deadline` would write, without writing."""

    step: str
    step_label: str
    amount: int
    unit: str
    unit_label: str
    due: Due
    policy_name: str
    legal_basis: str
    shortened_from: str = ""  # the rule's own length when cut to end by the matter's due time

    @property
    def due_label(self) -> str:
        return due_label(self.due.at, self.due.provisional)


def preview_deadline(*, case: Case, step, starts_at: dt.datetime) -> LimitPreview | None:
    """The limit `open_deadline(case=case, step=step, starts_at=starts_at)` would open, or None.
    Reads the cached policy table and calendar only: safe to call per unit on a page."""
    policy, amount, unit = _limit_for(case, step, None, None, None)
    if amount is None:
        return None
    rule_amount, rule_unit = amount, unit
    if step == Step.UNIT_HANDLE:
        amount, unit = _within_case_limit(case, starts_at, amount, unit)
    shortened_from = "" if (amount, unit) == (rule_amount, rule_unit) else (
        _("%(amount)d%(unit)s") % {"amount": rule_amount, "unit": LimitUnit(rule_unit).label}
    )
    return LimitPreview(
        step=str(step), step_label=str(Step(step).label), amount=amount, unit=str(unit), unit_label=str(LimitUnit(unit).label),
        due=compute_due(starts_at, amount, unit), policy_name=getattr(policy, "name", ""),
        legal_basis=getattr(policy, "legal_basis", ""), shortened_from=shortened_from,
    )


def preview_assignment_deadlines(*, case: Case, starts_at: dt.datetime) -> list[LimitPreview]:
    """The limits an assignment on `case` made at `starts_at` would get (the same steps as
    open_assignment_deadlines). Policies are chosen by the matter's place, category, urgency and
    channel, so today every unit, lead or assisting, gets the same limits; a per-unit policy would
    change this function and open_deadline together."""
    previews = [preview_deadline(case=case, step=step, starts_at=starts_at) for step in ASSIGNMENT_STEPS]
    return [p for p in previews if p is not None]


def _set_case_due(case: Case, deadline: Deadline, *, overdue: bool) -> None:
    case.due_at, case.due_provisional, case.overdue = deadline.due_at, deadline.provisional, overdue


def _copy_due(deadline: Deadline, *, case, assignment, supervision, case_overdue: bool) -> None:
    if deadline.step == Step.HANDLE:
        was_overdue = case.overdue
        _set_case_due(case, deadline, overdue=case_overdue)
        case.save(update_fields=["due_at", "due_provisional", "overdue"])
        if case.overdue != was_overdue:
            copies.refresh_overdue([case.pk])
    elif deadline.step == Step.SIGN and assignment is not None:
        assignment.sign_due_at = deadline.due_at
        assignment.save(update_fields=["sign_due_at"])
    elif deadline.step == Step.UNIT_HANDLE and assignment is not None:
        assignment.due_at, assignment.due_provisional = deadline.due_at, deadline.provisional
        assignment.save(update_fields=["due_at", "due_provisional"])
    elif deadline.step == Step.SUPERVISION_ANSWER and supervision is not None:
        supervision.answer_due_at = deadline.due_at
        supervision.save(update_fields=["answer_due_at"])


def _open_deadlines(case, steps, assignment, supervision):
    deadlines = Deadline.objects.filter(case=case, state=DeadlineState.OPEN)
    if steps is not None:
        deadlines = deadlines.filter(step__in=list(steps))
    if assignment is not None:
        deadlines = deadlines.filter(assignment=assignment)
    if supervision is not None:
        deadlines = deadlines.filter(supervision=supervision)
    return deadlines


def close_deadlines(*, case: Case, now: dt.datetime, steps=None, assignment=None, supervision=None) -> int:
    """The steps were done: mark their open deadlines met.

    Closing the matter's HANDLE limit records whether it was resolved within it (按期办结率).
    """
    deadlines = _open_deadlines(case, steps, assignment, supervision)
    handle_dues = list(deadlines.filter(step=Step.HANDLE).values_list("due_at", flat=True))
    if handle_dues:
        case.resolved_within_limit = all(now <= due_at for due_at in handle_dues)
        case.save(update_fields=["resolved_within_limit"])
    return deadlines.update(state=DeadlineState.MET, met_at=now)


def cancel_deadlines(*, case: Case, steps=None, assignment=None, supervision=None) -> int:
    """The steps will not be done here (returned, withdrawn, re-dispatched): stop their clocks."""
    return _open_deadlines(case, steps, assignment, supervision).update(state=DeadlineState.CANCELLED)


def extension_check(assignment: Assignment, amount: int) -> Deadline:
    """The unit's running handling limit that an extension of `amount` would move, if one may be
    asked for: Conflict when nothing is running, InvalidInput past the policy's cap
    (policy.max_extension, e.g. 信访工作条例 第34条: 30 days)."""
    limit = assignment.deadlines.filter(step=Step.UNIT_HANDLE, state=DeadlineState.OPEN).select_related("policy").first()
    if limit is None:
        raise Conflict(_("该派单没有正在计时的办理期限。"), code="no_deadline")
    if limit.policy and limit.policy.max_extension and limit.extension + amount > limit.policy.max_extension:
        raise InvalidInput(
            _("延期不得超过%(max)d%(unit)s（已延长%(used)d）。")
            % {"max": limit.policy.max_extension, "unit": limit.get_unit_display(), "used": limit.extension},
            field="amount",
        )
    return limit


def extend_deadline(*, deadline: Deadline, amount: int) -> Deadline:
    """延期: add `amount` (in the deadline's own unit) and move the due time and its copies.

    The cap (policy.max_extension, e.g. 信访工作条例 第34条: 30 days) is checked when the extension
    is requested; this only applies an approved one.
    """
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(_("延期时长必须是正整数。"), field="amount")
    # Locked so that two approvals at once add up instead of one overwriting the other.
    deadline = (
        Deadline.objects.select_for_update(of=("self",))
        .select_related("policy", "case", "assignment", "supervision")
        .get(pk=deadline.pk)
    )
    if deadline.state != DeadlineState.OPEN:
        raise Conflict(_("该期限已结束，不能延期。"), code="deadline_closed")
    deadline.extension += amount
    due = compute_due(deadline.starts_at, deadline.amount + deadline.extension, deadline.unit)
    _apply_due(deadline, due, getattr(deadline.policy, "warn_before_hours", None), timezone.now())
    deadline.save(update_fields=["extension", "due_at", "provisional", "warn_at", "warned_at", "overdue_at"])
    case_overdue = deadline.overdue_at is not None or (
        deadline.step == Step.HANDLE and _open_deadlines(deadline.case, [Step.HANDLE], None, None)
        .exclude(pk=deadline.pk).filter(overdue_at__isnull=False).exists()
    )
    _copy_due(
        deadline, case=deadline.case, assignment=deadline.assignment, supervision=deadline.supervision,
        case_overdue=case_overdue,
    )
    return deadline


# ---------------------------------------------------------------------------------------------
# Recomputing when the calendar changes


def recompute_provisional(*, years: list[int] | None = None, actor=None) -> int:
    """Recompute the open provisional deadlines (those touching `years`, or all); returns how many."""
    deadlines = Deadline.objects.filter(state=DeadlineState.OPEN, provisional=True)
    if years:
        deadlines = _touching(deadlines, years)
    return _recompute(deadlines, actor=actor)


def calendar_recompute(*, years: list[int], actor=None) -> int:
    """After an administrator changed the calendar of `years`: recompute every open day-counted
    deadline touching them, provisional or not (a correction can move a known year too)."""
    clear_calendar_cache()
    deadlines = Deadline.objects.filter(
        state=DeadlineState.OPEN, unit__in=[LimitUnit.WORKING_DAYS, LimitUnit.NATURAL_DAYS]
    )
    return _recompute(_touching(deadlines, years), actor=actor)


def calendar_year_publish(*, year: int, days: list[tuple[dt.date, bool, str]], actor=None) -> int:
    """Enter a year's official schedule (国务院办公厅 节假日安排通知) and recompute what it moves.

    1. Checks every entry lies in `year`, once.
    2. Replaces that year's CalendarDay rows with `days` (holidays, and make-up workdays 调休).
    3. Marks the year complete, so its other days follow the weekday rule, not a guess.
    4. Recomputes the open deadlines touching the year; returns how many.
    """
    dates = [day for day, _working, _note in days]
    if any(day.year != year for day in dates):
        raise InvalidInput(_("录入的日期必须都在%(year)d年内。") % {"year": year}, field="days")
    if len(set(dates)) != len(dates):
        raise InvalidInput(_("同一日期只能录入一次。"), field="days")
    with transaction.atomic():
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=day, is_workday=working, note=(note or "")[:60]) for day, working, note in days]
        )
        CalendarYear.objects.update_or_create(year=year, defaults={"complete": True})
        count = calendar_recompute(years=[year], actor=actor)
    # bulk_create sends no signals: make sure no process-local table of the old rows survives.
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)
    return count


def _touching(deadlines, years: list[int]):
    """Deadlines whose counting period (start, due] reaches into one of `years`."""
    tz = _tz()
    first = dt.datetime(min(years), 1, 1, tzinfo=tz)
    after_last = dt.datetime(max(years) + 1, 1, 1, tzinfo=tz)
    return deadlines.filter(starts_at__lt=after_last, due_at__gte=first)


_RECOMPUTE_FIELDS = (
    "pk", "case_id", "assignment_id", "supervision_id", "policy_id", "step", "starts_at", "amount", "unit",
    "extension", "due_at", "provisional", "warn_at", "warned_at", "overdue_at",
)


def _recompute(deadlines, *, actor) -> int:
    """Recompute in batches by primary key; returns how many were looked at."""
    now = timezone.now()
    warn_hours = dict(TimeLimitPolicy.objects.values_list("pk", "warn_before_hours"))
    count, last_pk = 0, 0
    while batch := list(deadlines.filter(pk__gt=last_pk).order_by("pk").values(*_RECOMPUTE_FIELDS)[:_RECOMPUTE_BATCH]):
        last_pk = batch[-1]["pk"]
        count += len(batch)
        _recompute_batch(batch, warn_hours, now, actor)
    return count


def _recompute_batch(batch: list[dict], warn_hours: dict[int, int], now: dt.datetime, actor) -> None:
    """Write the rows that changed, one UPDATE per distinct result.

    Deadlines opened the same day under the same policy come out the same, so a batch needs a few
    UPDATEs where bulk_update would build one CASE per row. Each UPDATE is a compare-and-set on the
    extension it was computed from and on the row still being open: a deadline extended or closed
    meanwhile (extend_deadline locks it) keeps what that transition wrote.
    """
    groups: dict[tuple, list[int]] = {}
    changed, events = [], []
    for row in batch:
        deadline = Deadline(**{("id" if k == "pk" else k): v for k, v in row.items()})
        due = compute_due(deadline.starts_at, deadline.amount + deadline.extension, deadline.unit)
        _apply_due(deadline, due, warn_hours.get(deadline.policy_id), now)
        after = (deadline.due_at, deadline.provisional, deadline.warn_at)
        cleared = (
            row["warned_at"] is not None and deadline.warned_at is None,
            row["overdue_at"] is not None and deadline.overdue_at is None,
        )
        if after == (row["due_at"], row["provisional"], row["warn_at"]) and not any(cleared):
            continue
        groups.setdefault((*after, *cleared, deadline.extension), []).append(deadline.pk)
        changed.append(deadline)
        events.append(_recomputed_event(deadline, row["due_at"], row["provisional"], actor, now))
    for (due_at, provisional, warn_at, clear_warned, clear_overdue, extension), pks in groups.items():
        values = {"due_at": due_at, "provisional": provisional, "warn_at": warn_at}
        values.update({"warned_at": None} if clear_warned else {}, **({"overdue_at": None} if clear_overdue else {}))
        Deadline.objects.filter(pk__in=pks, extension=extension, state=DeadlineState.OPEN).update(**values)
    _refresh_copies(changed)
    CaseEvent.objects.bulk_create([e for e in events if e is not None], batch_size=500)


def _recomputed_event(deadline: Deadline, old_due: dt.datetime, old_provisional: bool, actor, now) -> CaseEvent | None:
    if (old_due, old_provisional) == (deadline.due_at, deadline.provisional):
        return None  # only the warning time moved: nothing a person would read
    return CaseEvent(
        case_id=deadline.case_id, kind=EventKind.DEADLINES_RECOMPUTED, actor=actor,
        actor_label=str(actor) if actor is not None else _SYSTEM_LABEL,
        reason=_("节假日安排已更新，%(step)s期限由%(old)s改为%(new)s。") % {
            "step": deadline.get_step_display(), "old": due_label(old_due, old_provisional),
            "new": due_label(deadline.due_at, deadline.provisional),
        },
        payload={
            "deadline": deadline.pk, "step": deadline.step, "old_due_at": old_due.isoformat(),
            "new_due_at": deadline.due_at.isoformat(), "provisional": deadline.provisional,
        },
        created_at=now,
    )


def _latest_open(step, **match):
    return Deadline.objects.filter(step=step, state=DeadlineState.OPEN, **match).order_by("-pk")


def _refresh_copies(changed: list[Deadline]) -> None:
    """Re-derive the due-time copies from the open deadlines, one UPDATE per kind of copy."""
    ids = {step: set() for step in (Step.HANDLE, Step.SIGN, Step.UNIT_HANDLE, Step.SUPERVISION_ANSWER)}
    for d in changed:
        owner = {Step.HANDLE: d.case_id, Step.SUPERVISION_ANSWER: d.supervision_id}.get(d.step, d.assignment_id)
        if d.step in ids and owner is not None:
            ids[d.step].add(owner)
    if ids[Step.HANDLE]:
        handle = _latest_open(Step.HANDLE, case=OuterRef("pk"))
        Case.objects.filter(pk__in=ids[Step.HANDLE]).filter(Exists(handle)).update(
            due_at=Subquery(handle.values("due_at")[:1]),
            due_provisional=Subquery(handle.values("provisional")[:1]),
            overdue=Exists(handle.filter(overdue_at__isnull=False)),
        )
        copies.refresh_overdue(ids[Step.HANDLE])
    if ids[Step.SIGN]:
        sign = _latest_open(Step.SIGN, assignment=OuterRef("pk"))
        Assignment.objects.filter(pk__in=ids[Step.SIGN]).filter(Exists(sign)).update(
            sign_due_at=Subquery(sign.values("due_at")[:1])
        )
    if ids[Step.UNIT_HANDLE]:
        unit_handle = _latest_open(Step.UNIT_HANDLE, assignment=OuterRef("pk"))
        Assignment.objects.filter(pk__in=ids[Step.UNIT_HANDLE]).filter(Exists(unit_handle)).update(
            due_at=Subquery(unit_handle.values("due_at")[:1]),
            due_provisional=Subquery(unit_handle.values("provisional")[:1]),
        )
    if ids[Step.SUPERVISION_ANSWER]:
        answer = _latest_open(Step.SUPERVISION_ANSWER, supervision=OuterRef("pk"))
        SupervisionOrder.objects.filter(pk__in=ids[Step.SUPERVISION_ANSWER]).filter(Exists(answer)).update(
            answer_due_at=Subquery(answer.values("due_at")[:1])
        )


# ---------------------------------------------------------------------------------------------
# Warnings for administrators


def _provisional_years() -> dict[int, int]:
    """Open provisional deadlines per year (local) of their due date. Served by deadline_provisional."""
    rows = (
        Deadline.objects.filter(state=DeadlineState.OPEN, provisional=True)
        .annotate(year=ExtractYear("due_at", tzinfo=_tz()))
        .values("year")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["year"]: row["n"] for row in rows}


def unknown_years_in_use() -> list[int]:
    """Years without official data that open deadlines run into."""
    return sorted(year for year in _provisional_years() if not year_is_official(year))


def known_years_pending_recompute() -> list[int]:
    """Years that have become known (entered, or a newer chinese-calendar release) while deadlines
    counted in them are still marked provisional: pass them to recompute_provisional(years=…)."""
    return sorted(year for year in _provisional_years() if year_is_official(year))


def calendar_warnings(*, today: dt.date | None = None) -> list[str]:
    """What an administrator must do about the calendar, in Chinese; empty when all is well."""
    today = today or timezone.localdate(timezone=_tz())
    counts = _provisional_years()
    warnings = []
    if not year_is_official(today.year):
        warnings.append(_("本年度（%(year)d年）的法定节假日安排尚未录入，所有期限均按周末推算。请在“节假日年度”中录入。") % {"year": today.year})
    for year in sorted(counts):
        if year != today.year and not year_is_official(year):
            warnings.append(
                _("%(year)d年的法定节假日安排尚未录入：%(count)d条计时中的期限暂按周末推算，标为“暂定”。"
                  "请在“节假日年度”中录入该年安排，录入后期限自动重算。") % {"year": year, "count": counts[year]}
            )
        elif year_is_official(year):
            warnings.append(
                _("%(year)d年的节假日安排已可用，但仍有%(count)d条期限标为“暂定”，尚待重算。") % {"year": year, "count": counts[year]}
            )
    return warnings


def check_calendar(app_configs=None, **kwargs) -> list[checks.Warning]:
    """System check: the calendar warnings, so `yimen check` and server start show them too."""
    try:
        messages = calendar_warnings()
    except DatabaseError:
        return []  # before migrate: no tables yet, nothing to warn about
    return [checks.Warning(message, id="yimen.W001") for message in messages]


# ---------------------------------------------------------------------------------------------
# Showing a limit


def describe_due(due_at: dt.datetime, now: dt.datetime, provisional: bool = False) -> str:
    """"剩余2天3小时", "剩余45分钟", "已超期1天2小时", with "（暂定）" when provisional."""
    seconds = (due_at - now).total_seconds()
    if seconds > 0:
        text = _("剩余%(span)s") % {"span": _span(math.ceil(seconds / 60))}
    elif (minutes := math.floor(-seconds / 60)) > 0:
        text = _("已超期%(span)s") % {"span": _span(minutes)}
    else:
        text = _("已到期")
    return text + (_("（暂定）") if provisional else "")


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    # Whole phrases, not pieces glued together: English needs a space where Chinese has none.
    if days and hours:
        return _("%(days)d天%(hours)d小时") % {"days": days, "hours": hours}
    if days:
        return _("%(n)d天") % {"n": days}
    if hours and minutes:
        return _("%(hours)d小时%(minutes)d分钟") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(n)d小时") % {"n": hours}
    return _("%(n)d分钟") % {"n": minutes}


def due_label(due_at: dt.datetime, provisional: bool = False) -> str:
    """"2025年10月13日 24:00" for a day-counted limit, "2025年10月13日 10:10" otherwise."""
    local = due_at.astimezone(_tz())
    clock = "24:00" if local.time() == dt.time.max else local.strftime("%H:%M")
    text = f"{date_format(local.date(), 'DATE_FORMAT')} {clock}"  # 2025年10月13日; Oct. 13, 2025 in English
    return text + (_("（暂定）") if provisional else "")
