"""The deadline sweep: warn before a limit runs out, mark it overdue after, act on policy.

Run every YIMEN_SWEEP_INTERVAL_SECONDS by `yimen worker` (as `deadline_sweep_task`). Four passes:
  a) due-soon warnings  — open deadlines with warn_at <= now and no warned_at;
  b) overdue marking    — open deadlines with due_at <= now and no overdue_at (HANDLE also sets
                          Case.overdue, which the lists and the dashboard read);
  c) policy escalation  — overdue deadlines whose policy says escalate_when_overdue: the matter is
                          escalated (HANDLE) or its unit supervised (SIGN, UNIT_HANDLE) through
                          yimen.cases.transitions, never by writing a status here;
  d) follow-up limits   — resolved matters without an open FOLLOW_UP deadline (imports) get one, so
                          pass a) reminds the owning centre to follow up.

Set-based and safe on several workers at once. Passes a) and b) work in batches of BATCH rows, each
batch one transaction that
  1. reads candidate rows from the partial index made for it (no lock);
  2. locks their matters FOR UPDATE SKIP LOCKED — a matter a person is moving right now, or that
     another worker has claimed, is left for the next batch or sweep. Locking the matter first, then
     its deadlines, is the order the transitions use, so the sweep never deadlocks with them;
  3. locks those deadlines FOR UPDATE SKIP LOCKED, re-checking the condition, and claims them with a
     conditional UPDATE (`… WHERE warned_at IS NULL`);
  4. bulk-inserts the CaseEvents and outbox rows (each with a dedupe_key, so even a second write of
     the same message would be refused by the database).
On SQLite there are no row locks; its writers are serialised (BEGIN IMMEDIATE), which gives the same
result. A crash rolls the whole batch back: nothing is claimed without its events and messages.

Pass c) goes one deadline at a time (they are few): lock the matter, claim the deadline
(escalated_at), call the transition, commit — all in one transaction, so a crash cannot leave a
deadline claimed but not acted on.
"""

import logging
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.models import Membership, Role
from yimen.common.errors import DomainError
from yimen.notifications.outbox import outbox_enqueue_many, outbox_message

from . import deadlines
from .models import (
    Assignment,
    Case,
    CaseEvent,
    Deadline,
    DeadlineState,
    EventKind,
    Status,
    Step,
    SupervisionOrder,
    TimeLimitPolicy,
)

logger = logging.getLogger("yimen.sweep")

SYSTEM_LABEL = "系统"
BATCH = 2000
# Passes c) and d) call services row by row; bound them so one sweep stays short. The rest waits
# for the next sweep (the backlog only exists after a long outage or a large import).
ESCALATION_LIMIT = 100
FOLLOW_UP_LIMIT = 200
# Pass d) is a repair for imports, and finding what lacks a follow-up limit means an anti-join over
# every resolved matter (~0.4 s at a million matters): run it at most this often (per cache).
FOLLOW_UP_REPAIR_SECONDS = 3600
_FOLLOW_UP_GATE = "yimen:sweep:follow-up-repair"

# Steps whose limit belongs to a unit (the message goes to the unit), and the auto action for each
# step when its policy says escalate_when_overdue. Steps not listed are only marked.
_ESCALATE_STEPS = frozenset({Step.HANDLE, Step.PETITION_DECIDE, Step.PETITION_HANDLE})
_SUPERVISE_STEPS = frozenset({Step.SIGN, Step.UNIT_HANDLE})

_DEADLINE_FIELDS = ("id", "case_id", "step", "due_at", "provisional", "assignment_id", "supervision_id")
_CASE_FIELDS = ("id", "number", "title", "status", "owning_centre_id", "owning_code")


@dataclass
class SweepResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    supervised: int = 0
    auto_skipped: int = 0
    follow_ups_opened: int = 0
    messages: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class _LostRace(Exception):
    """A claim changed fewer rows than were locked: roll the batch back and read again."""


def deadline_sweep(*, now=None, follow_ups: bool | None = None) -> SweepResult:
    """Run the passes once. Idempotent: a second run at the same moment does nothing.

    `follow_ups`: run pass d) (True), skip it (False), or run it when it has not run for
    FOLLOW_UP_REPAIR_SECONDS (None). The gate is a `cache.add`, an atomic set-if-absent: with a
    shared cache (Redis) one worker in the cluster runs it per period, with the default local-memory
    cache each process does.
    """
    now = now or timezone.now()
    result = SweepResult()
    _batched_pass(_warn_candidates(now), {"warned_at": now}, _WarnWriter(now, result))
    _batched_pass(_overdue_candidates(now), {"overdue_at": now}, _OverdueWriter(now, result))
    _escalation_pass(now, result)
    if follow_ups or (follow_ups is None and cache.add(_FOLLOW_UP_GATE, now.isoformat(), FOLLOW_UP_REPAIR_SECONDS)):
        _follow_up_pass(now, result)
    logger.info("deadline sweep: %s", " ".join(f"{k}={v}" for k, v in result.as_dict().items()))
    return result


# ---------------------------------------------------------------------------------------------
# Passes a) and b): batched claims


def _warn_candidates(now):
    # Served by the partial index deadline_to_warn (state='open' AND warned_at IS NULL). Ordered by
    # the indexed column so that, with the LIMIT, PostgreSQL walks the index and stops at `now`
    # whatever its (correlated, poor) row estimate; without it, it chose a scan of every deadline.
    return Deadline.objects.filter(state=DeadlineState.OPEN, warned_at__isnull=True, warn_at__lte=now).order_by("warn_at")


def _overdue_candidates(now):
    # Served by the partial index deadline_to_overdue (state='open' AND overdue_at IS NULL).
    return Deadline.objects.filter(state=DeadlineState.OPEN, overdue_at__isnull=True, due_at__lte=now).order_by("due_at")


def _batched_pass(candidates, mark: dict, writer) -> None:
    skipped: set[int] = set()  # rows whose matter was busy: not read again in this sweep
    races = 0
    while True:
        try:
            with transaction.atomic():
                read, claimed, cases = _claim_batch(candidates, mark, skipped)
                if claimed:
                    writer.write(claimed, cases)
        except _LostRace:
            # Cannot happen with row locks (PostgreSQL) or serialised writers (SQLite in IMMEDIATE
            # mode); if the database gives neither, give up for this sweep rather than spin.
            races += 1
            logger.warning("deadline sweep: a claim raced with another writer (%d); batch rolled back", races)
            if races >= 3:
                return
            continue
        if read < BATCH:
            return


def _claim_batch(candidates, mark: dict, skipped: set[int]) -> tuple[int, list[dict], dict[int, dict]]:
    """Steps 1–3 of the module docstring. Returns (rows read, rows claimed, their matters by id)."""
    unread = candidates.exclude(pk__in=skipped) if skipped else candidates
    rows = list(unread.values(*_DEADLINE_FIELDS)[:BATCH])
    if not rows:
        return 0, [], {}
    cases = {
        c["id"]: c
        for c in Case.objects.filter(pk__in={r["case_id"] for r in rows})
        .select_for_update(skip_locked=True)
        .values(*_CASE_FIELDS)
    }
    wanted = [r["id"] for r in rows if r["case_id"] in cases]
    locked = set(
        candidates.filter(pk__in=wanted).select_for_update(skip_locked=True).values_list("id", flat=True)
    ) if wanted else set()
    claimed = [r for r in rows if r["id"] in locked]
    skipped.update(r["id"] for r in rows if r["id"] not in locked)
    if claimed and candidates.filter(pk__in=locked).update(**mark) != len(claimed):
        raise _LostRace()
    return len(rows), claimed, cases


class _Writer:
    """Turns a batch of claimed deadlines into CaseEvents and outbox rows, in bulk."""

    event_kind: str
    message_kind: str
    counter: str  # the SweepResult field this pass adds to

    def __init__(self, now, result: SweepResult):
        self.now = now
        self.result = result

    def write(self, rows: list[dict], cases: dict[int, dict]) -> None:
        units = self._units(rows)
        events, messages = [], []
        for row in rows:
            case = cases[row["case_id"]]
            if not self.should_tell(row):
                continue
            reason = self.reason(row)
            events.append(CaseEvent(
                case_id=case["id"], kind=self.event_kind, actor=None, actor_label=SYSTEM_LABEL,
                from_status=case["status"], to_status=case["status"], reason=reason,
                payload={"deadline": row["id"], "step": row["step"], "due_at": row["due_at"].isoformat(),
                         "provisional": row["provisional"]},
                created_at=self.now,
            ))
            messages.extend(self.messages(row, case, units, reason))
        setattr(self.result, self.counter, getattr(self.result, self.counter) + len(events))
        self.extra(rows, cases)
        CaseEvent.objects.bulk_create(events)
        outbox_enqueue_many(messages)
        self.result.messages += len(messages)

    def should_tell(self, row) -> bool:
        return True

    def extra(self, rows, cases) -> None:
        pass

    def _units(self, rows) -> dict[tuple[str, int], int]:
        """The unit each unit-level limit belongs to: ("a", assignment id) / ("s", order id) -> unit id."""
        assignment_ids = {r["assignment_id"] for r in rows if r["assignment_id"]}
        order_ids = {r["supervision_id"] for r in rows if r["supervision_id"]}
        units = {}
        if assignment_ids:
            units.update((("a", pk), unit) for pk, unit in
                         Assignment.objects.filter(pk__in=assignment_ids).values_list("id", "unit_id"))
        if order_ids:
            units.update((("s", pk), unit) for pk, unit in
                         SupervisionOrder.objects.filter(pk__in=order_ids).values_list("id", "unit_id"))
        return units

    def _message(self, row, case, reason, *, key, subject, unit_id=None, centre_id=None, user_id=None):
        return outbox_message(
            kind=self.message_kind, subject=f"[{case['number']}] {subject}", body=f"{case['title']}\n{reason}",
            case_id=case["id"], recipient_unit_id=unit_id, recipient_centre_id=centre_id, recipient_user_id=user_id,
            payload={"case": case["number"], "deadline": row["id"], "step": row["step"],
                     "due_at": row["due_at"].isoformat()},
            # One message per deadline and due time: the same crossing is never told twice, while a
            # limit that was extended and runs out again is told again.
            dedupe_key=key, now=self.now,
        )

    def _primary(self, row, case, units, reason, *, prefix, subject):
        """To the unit that owns a unit-level limit, else to the centre that owns the matter."""
        key = f"{prefix}:{row['id']}:{int(row['due_at'].timestamp())}"
        unit_id = units.get(("a", row["assignment_id"])) or units.get(("s", row["supervision_id"]))
        if unit_id:
            return self._message(row, case, reason, key=key, subject=subject, unit_id=unit_id)
        return self._message(row, case, reason, key=key, subject=subject, centre_id=case["owning_centre_id"])


def _step_label(step: str) -> str:
    return Step(step).label


class _WarnWriter(_Writer):
    event_kind = EventKind.DEADLINE_WARNED
    message_kind = "deadline_warned"
    counter = "warned"

    def should_tell(self, row) -> bool:
        # Found already past due (the worker was down): the overdue pass tells it; a warning now
        # would only be noise. The row is still claimed so it is not read again.
        return row["due_at"] > self.now

    def reason(self, row) -> str:
        return _("%(step)s期限将于%(due)s到期（%(left)s）。") % {
            "step": _step_label(row["step"]), "due": deadlines.due_label(row["due_at"], row["provisional"]),
            "left": deadlines.describe_due(row["due_at"], self.now),
        }

    def messages(self, row, case, units, reason):
        subject = _("%(step)s临期预警：%(left)s") % {
            "step": _step_label(row["step"]), "left": deadlines.describe_due(row["due_at"], self.now, row["provisional"]),
        }
        return [self._primary(row, case, units, reason, prefix="warn", subject=subject)]


class _OverdueWriter(_Writer):
    event_kind = EventKind.DEADLINE_OVERDUE
    message_kind = "deadline_overdue"
    counter = "overdue"

    def __init__(self, now, result):
        super().__init__(now, result)
        self._supervisors = _Supervisors()

    def reason(self, row) -> str:
        return _("%(step)s期限已于%(due)s届满，现已超期。") % {
            "step": _step_label(row["step"]), "due": deadlines.due_label(row["due_at"], row["provisional"]),
        }

    def messages(self, row, case, units, reason):
        subject = _("%(step)s已超期") % {"step": _step_label(row["step"])}
        out = [self._primary(row, case, units, reason, prefix="overdue", subject=subject)]
        stamp = int(row["due_at"].timestamp())
        for user_id in self._supervisors.over(case["owning_code"]):
            out.append(self._message(row, case, reason, key=f"overdue:{row['id']}:{stamp}:u{user_id}",
                                     subject=subject, user_id=user_id))
        return out

    def extra(self, rows, cases) -> None:
        # The matter's own limit ran out: flag the matter (lists, dashboard, 按期办结率).
        handle_cases = {r["case_id"] for r in rows if r["step"] == Step.HANDLE}
        if handle_cases:
            Case.objects.filter(pk__in=handle_cases).update(overdue=True)


class _Supervisors:
    """The supervisors (督办员) nearest above a centre: those whose region is the centre's own, or
    failing that the nearest ancestor region that has any. Read once per sweep."""

    def __init__(self):
        self._memberships = None
        self._by_code: dict[str, list[int]] = {}

    def over(self, owning_code: str) -> list[int]:
        if owning_code not in self._by_code:
            if self._memberships is None:
                self._memberships = list(
                    Membership.objects.filter(role=Role.SUPERVISOR, user__is_active=True)
                    .values_list("region__code", "user_id")
                )
            above = [(code, user) for code, user in self._memberships if owning_code.startswith(code)]
            nearest = max((len(code) for code, _user in above), default=0)
            self._by_code[owning_code] = sorted({user for code, user in above if len(code) == nearest})
        return self._by_code[owning_code]


# ---------------------------------------------------------------------------------------------
# Pass c): policy escalation, one by one through the transitions


def _escalation_pass(now, result: SweepResult) -> None:
    candidates = Deadline.objects.filter(
        # Served by the partial index deadline_to_escalate.
        state=DeadlineState.OPEN, escalate_when_overdue=True, escalated_at__isnull=True, due_at__lte=now,
        overdue_at__isnull=False,  # told "overdue" first (pass b), then acted on
    )
    rows = list(candidates.order_by("due_at", "id").values(*_DEADLINE_FIELDS)[:ESCALATION_LIMIT])
    for row in rows:
        _escalate_one(row, now, result)


def _escalate_one(row: dict, now, result: SweepResult) -> None:
    from . import transitions

    with transaction.atomic():
        # The matter first, then the deadline: the transitions' lock order (no deadlock). Busy
        # matters are left for the next sweep.
        case = Case.objects.select_for_update(skip_locked=True).filter(pk=row["case_id"]).first()
        if case is None:
            return
        if not Deadline.objects.filter(pk=row["id"], state=DeadlineState.OPEN, escalated_at__isnull=True).update(escalated_at=now):
            return  # another worker took it, or it was met or cancelled meanwhile
        step = row["step"]
        try:
            # A savepoint: a refused move undoes only itself; the claim and the note below stay.
            with transaction.atomic():
                if step in _ESCALATE_STEPS:
                    transitions.case_escalate(actor=None, case=case, reason=_("超期未办结，按规则自动提级"))
                    result.escalated += 1
                elif step in _SUPERVISE_STEPS:
                    transitions.supervision_issue(actor=None, case=case, unit=_unit_of(row), content=_supervision_text(step))
                    result.supervised += 1
        except DomainError as exc:
            result.auto_skipped += 1
            logger.info("deadline sweep: auto action on case %s (deadline %s) refused: %s", case.number, row["id"], exc)
            CaseEvent.objects.create(
                case=case, kind=EventKind.DEADLINE_OVERDUE, actor=None, actor_label=SYSTEM_LABEL,
                from_status=case.status, to_status=case.status,
                reason=_("按规则应自动%(action)s，未能执行：%(why)s") % {
                    "action": _("提级") if step in _ESCALATE_STEPS else _("督办"), "why": exc},
                payload={"deadline": row["id"], "step": step, "auto_action": "skipped", "code": exc.code},
                created_at=now,
            )


def _unit_of(row: dict):
    from yimen.regions.models import Unit

    if row["assignment_id"]:
        return Unit.objects.get(assignments__pk=row["assignment_id"])
    return None


def _supervision_text(step: str) -> str:
    if step == Step.SIGN:
        return _("超期未签收，自动督办")
    return _("超期未办结，自动督办")


# ---------------------------------------------------------------------------------------------
# Pass d): follow-up limits for resolved matters that lack one


def _follow_up_pass(now, result: SweepResult) -> None:
    if not TimeLimitPolicy.objects.filter(step=Step.FOLLOW_UP, active=True).exists():
        return  # no follow-up policy: nothing to open, and no point looking every minute
    open_follow_up = Deadline.objects.filter(case=OuterRef("pk"), step=Step.FOLLOW_UP, state=DeadlineState.OPEN)
    missing = list(
        Case.objects.filter(status=Status.RESOLVED).filter(~Exists(open_follow_up))
        .order_by().values_list("id", flat=True)[:FOLLOW_UP_LIMIT]
    )
    policies: dict[tuple, object] = {}
    for case_id in missing:
        with transaction.atomic():
            case = (Case.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("region", "category").filter(pk=case_id, status=Status.RESOLVED).first())
            if case is None or Deadline.objects.filter(case=case, step=Step.FOLLOW_UP, state=DeadlineState.OPEN).exists():
                continue  # busy, moved on, or another worker opened it
            key = (case.region_id, case.category_id, case.urgency, case.channel)
            if key not in policies:
                policies[key] = deadlines.policy_for(step=Step.FOLLOW_UP, region=case.region, category=case.category,
                                                     urgency=case.urgency, channel=case.channel)
            if policies[key] is None:
                continue
            # The clock starts at the resolution: "follow up within N days of closure".
            starts_at = case.resolved_at or case.status_changed_at
            if deadlines.open_deadline(case=case, step=Step.FOLLOW_UP, starts_at=starts_at, policy=policies[key]):
                result.follow_ups_opened += 1

