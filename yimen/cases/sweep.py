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

Set-based and safe on several workers at once. Passes a) and b) work in batches of BATCH rows, at
most BATCH × MAX_BATCHES_PER_SWEEP rows in all (b first, a with what is left), each batch one
transaction that
  1. reads candidate rows from the partial index made for it (no lock);
  2. locks their matters FOR UPDATE SKIP LOCKED — a matter a person is moving right now, or that
     another worker has claimed, is left for the next batch or sweep. Locking the matter first, then
     its deadlines, is the order the transitions use, so the sweep never deadlocks with them;
  3. locks and claims those deadlines in one statement, `UPDATE … SET warned_at = now WHERE id IN
     (SELECT … FOR UPDATE SKIP LOCKED, re-checking the condition) RETURNING id`: only what it
     returns is told, so a row another writer holds or has just claimed is never told twice;
  4. writes the CaseEvents and outbox rows with one INSERT … SELECT each (see _Writer), every
     message with a dedupe_key, so even a second write of the same message would be refused by the
     database; flags the matters whose own limit ran out with one UPDATE; supervisors get one
     digest per batch.
A batch sends the same statements whatever its size (five, and two more for overdue flags and
digests; the ids go in as one parameter each, see _ids_in).
On SQLite there are no row locks; its writers are serialised (BEGIN IMMEDIATE), which gives the same
result. A crash rolls the whole batch back: nothing is claimed without its events and messages.

Pass c) goes one deadline at a time (they are few): lock the matter, claim the deadline
(escalated_at), call the transition, commit — all in one transaction, so a crash cannot leave a
deadline claimed but not acted on. It is capped per sweep (count and time); the rest, oldest first,
go in the next sweeps.

Measured with the bench (1,000,000 matters, 100,000 open, 219,000 open deadlines, PostgreSQL, load
average 1.5–1.9): a day's 5,200 warnings at 16:00 in 0.42–0.45 s (CPU 0.41–0.44 s, 1.2–1.3× a bare SQL
pass writing the same rows), a day's 5,000 overdue limits at midnight in 0.83–0.84 s (CPU 0.82 s, of
which the capped escalations 0.3 s; the rest 1.1–1.3× its bare pass), both at once after a 24-hour
outage in 1.4 s, 3 ms idle. At 10,000,000 matters (1,000,000 open, 2.2 M open deadlines) each heavy
sweep takes its 6,000 rows in 0.6–1.2 s, the one after an outage 1.2 s. See docs/performance.md.
"""

import json
import logging
import time
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.models import Membership, Role
from yimen.common.errors import DomainError
from yimen.notifications.models import OutboxMessage, OutboxStatus
from yimen.notifications.outbox import outbox_enqueue_many, outbox_message

from . import copies, deadlines
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
# At most this many batches' worth of rows per sweep, passes a) and b) together: a backlog (after an
# outage, or a night when a large import's limits all run out) is spread over the next minutes'
# sweeps, so one sweep stays near 1 s even on a busy machine instead of growing with the backlog. A
# budget per pass let the sweep after an outage do both passes' share: 12,000 rows, 2.8 s at 10 M.
MAX_BATCHES_PER_SWEEP = 3
# Passes c) and d) call services row by row; bound them so one sweep stays short. The rest waits
# for the next sweep (the backlog only exists after a long outage or a large import).
ESCALATION_LIMIT = 100
# …and at most this long on escalations (~7 ms each through the transitions), so that the sweep
# that marks a day's limits overdue at midnight stays within its 2 s. At least one always runs.
ESCALATION_BUDGET_SECONDS = 0.3
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


def deadline_sweep(*, now=None, follow_ups: bool | None = None) -> SweepResult:
    """Run the passes once. Idempotent: a second run at the same moment does nothing.

    `follow_ups`: run pass d) (True), skip it (False), or run it when it has not run for
    FOLLOW_UP_REPAIR_SECONDS (None). The gate is a `cache.add`, an atomic set-if-absent: with a
    shared cache (Redis) one worker in the cluster runs it per period, with the default local-memory
    cache each process does.
    """
    now = now or timezone.now()
    result = SweepResult()
    # Overdue first: when the budget is short (a backlog), marking what ran out matters more than
    # warning about what will; the warnings wait a minute. A warning found past due is claimed
    # silently by either order (_WarnWriter.should_tell).
    budget = BATCH * MAX_BATCHES_PER_SWEEP
    budget -= _batched_pass(_OverdueWriter(now, result), rows=budget)
    _batched_pass(_WarnWriter(now, result), rows=budget)
    _escalation_pass(now, result)
    if follow_ups or (follow_ups is None and cache.add(_FOLLOW_UP_GATE, now.isoformat(), FOLLOW_UP_REPAIR_SECONDS)):
        _follow_up_pass(now, result)
    logger.info("deadline sweep: %s", " ".join(f"{k}={v}" for k, v in result.as_dict().items()))
    return result


# ---------------------------------------------------------------------------------------------
# Passes a) and b): batched claims
#
# Every statement of a batch passes its ids as one parameter (an array on PostgreSQL, a JSON list
# read with json_each on SQLite), not one placeholder per row: with 2,000 rows a batch's statements
# had ~12,000 placeholders, and splitting and quoting them in Python (psycopg merges parameters on
# the client) was most of the sweep's Python time. The statements per batch are a constant.


def _ids_in(column: str) -> str:
    """SQL: `column` is one of the ids given as the single parameter `_ids(...)`."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _ids(ids) -> list[int] | str:
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))


def _pairs_source(pairs: list[tuple[int, int]]) -> tuple[str, list]:
    """SQL rows (deadline_id, idx) from the pairs, in one or two parameters."""
    if connection.vendor == "postgresql":
        return "SELECT * FROM unnest(%s::bigint[], %s::int[])", [[a for a, _b in pairs], [b for _a, b in pairs]]
    return "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(%s)", [json.dumps(pairs)]


def _batched_pass(writer, *, rows: int) -> int:
    """Batches of at most BATCH, reading at most `rows` rows in all; returns how many it read."""
    skipped: set[int] = set()  # rows whose matter (or the row itself) was busy: not read again in this sweep
    done = 0
    while done < rows:
        size = min(BATCH, rows - done)
        with transaction.atomic():
            read, claimed, cases = _claim_batch(writer, skipped, size)
            if claimed:
                writer.write(claimed, cases)
        done += read
        if read < size:
            break
    return done


_BATCH_FIELDS = ("id", "case_id", "step", "due_at", "provisional")


def _claim_batch(writer, skipped: set[int], size: int) -> tuple[int, list[dict], dict[int, tuple[str, str]]]:
    """Steps 1–3 of the module docstring. Returns (rows read, rows claimed, (number, owning code)
    of their matters by id)."""
    candidates = writer.candidates()
    unread = candidates.exclude(pk__in=skipped) if skipped else candidates
    rows = list(unread.values(*_BATCH_FIELDS)[:size])
    if not rows:
        return 0, [], {}
    qn = connection.ops.quote_name
    deadline, case = qn(Deadline._meta.db_table), qn(Case._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    claim, when = qn(writer.claim_column), qn(writer.time_column)
    now = connection.ops.adapt_datetimefield_value(writer.now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, number, owning_code FROM {case} WHERE {_ids_in('id')}{skip_locked}",
                       [_ids({r["case_id"] for r in rows})])
        cases = {case_id: (number, code) for case_id, number, code in cursor.fetchall()}
        wanted = [r["id"] for r in rows if r["case_id"] in cases]
        claimed_ids: set[int] = set()
        if wanted:
            # Lock and claim in one statement: the inner SELECT skips a row someone holds and
            # re-checks the condition on its latest version; the UPDATE claims what it locked and
            # says which rows those were, so what is told below is exactly what was claimed.
            cursor.execute(
                f"UPDATE {deadline} SET {claim} = %s WHERE {claim} IS NULL AND state = %s AND id IN ("
                f"SELECT id FROM {deadline} WHERE {_ids_in('id')} AND {claim} IS NULL AND state = %s AND {when} <= %s"
                f"{skip_locked}) RETURNING id",
                [now, DeadlineState.OPEN, _ids(wanted), DeadlineState.OPEN, now],
            )
            claimed_ids = {deadline_id for (deadline_id,) in cursor.fetchall()}
    claimed = [r for r in rows if r["id"] in claimed_ids]
    skipped.update(r["id"] for r in rows if r["id"] not in claimed_ids)
    return len(rows), claimed, cases


class _Writer:
    """Turns a batch of claimed deadlines into CaseEvents and outbox rows.

    Measured hot path (a day's warnings are ~5,000 rows in one sweep): the rows are built by the
    database with INSERT … SELECT over the claimed deadlines joined to their matters, so Python does
    no per-row work beyond one pair of ints. Only the wording is made here, once per distinct
    (step, due time, provisional) — day-counted limits share their 24:00 due time, so a batch of
    2,000 needs a handful of texts — and passed in as a small VALUES list. This is about four times
    faster than building model instances for bulk_create (whose PostgreSQL UNNEST path quotes every
    text array in Python).
    """

    event_kind: str
    message_kind: str
    key_prefix: str
    counter: str  # the SweepResult field this pass adds to
    claim_column: str  # the Deadline column the claim sets (NULL until then)
    time_column: str  # the Deadline column whose time has come

    def __init__(self, now, result: SweepResult):
        self.now = now
        self.result = result

    def candidates(self):
        # Served by the pass's partial index (state='open' AND <claim column> IS NULL). Ordered by
        # the indexed column so that, with the LIMIT, PostgreSQL walks the index and stops at `now`
        # whatever its (correlated, poor) row estimate; without it, it chose a scan of every deadline.
        return Deadline.objects.filter(**{
            "state": DeadlineState.OPEN, f"{self.claim_column}__isnull": True, f"{self.time_column}__lte": self.now,
        }).order_by(self.time_column)

    def write(self, rows: list[dict], cases: dict[int, tuple[str, str]]) -> None:
        keys: dict[tuple, int] = {}
        texts: list[tuple] = []  # (idx, reason, subject, payload after the deadline id, due epoch)
        told: list[tuple[int, int]] = []  # (deadline id, text idx)
        for row in rows:
            if not self.should_tell(row):
                continue
            key = (row["step"], row["due_at"], row["provisional"])
            if key not in keys:
                keys[key] = len(texts)
                texts.append(self._texts(len(texts), row))
            told.append((row["id"], keys[key]))
        if told:
            _insert_told(self, told, texts)
        setattr(self.result, self.counter, getattr(self.result, self.counter) + len(told))
        self.extra(rows, cases, {deadline_id for deadline_id, _idx in told})

    def _texts(self, idx: int, row: dict) -> tuple:
        payload = json.dumps({"step": row["step"], "due_at": row["due_at"].isoformat(),
                              "provisional": row["provisional"]}, ensure_ascii=False)
        return (idx, self.reason(row), self.subject(row), payload[1:], str(int(row["due_at"].timestamp())))

    def should_tell(self, row) -> bool:
        return True

    def extra(self, rows, cases, told_ids: set[int]) -> None:
        pass


def _insert_told(writer: _Writer, told: list[tuple[int, int]], texts: list[tuple]) -> None:
    """One INSERT … SELECT for the events and one for the messages (see _Writer)."""
    qn = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(writer.now)
    pairs, pair_params = _pairs_source(told)
    cte = (
        f"WITH r(deadline_id, idx) AS ({pairs}), "
        "t(idx, reason, subject, rest, stamp) AS (VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(texts)) + ") "
    )
    cte_params = pair_params + [v for text in texts for v in text]
    # The payload is JSON text: {"deadline": <id>, "step": …}; the event's also has "unit_id" (or null),
    # so the timeline can name whose limit it is. PostgreSQL's column is jsonb.
    unit = "COALESCE(a.unit_id, s.unit_id)"
    payload = "'{\"deadline\": ' || d.id || ', ' || t.rest"
    event_payload = (
        "'{\"deadline\": ' || d.id || ', \"unit_id\": ' || COALESCE(CAST(" + unit + " AS TEXT), 'null') || ', ' || t.rest"
    )
    if connection.vendor == "postgresql":
        payload, event_payload = f"CAST({payload} AS jsonb)", f"CAST({event_payload} AS jsonb)"
    joined = (
        f"FROM r JOIN {qn(Deadline._meta.db_table)} d ON d.id = r.deadline_id "
        f"JOIN {qn(Case._meta.db_table)} c ON c.id = d.case_id JOIN t ON t.idx = r.idx "
        f"LEFT JOIN {qn(Assignment._meta.db_table)} a ON a.id = d.assignment_id "
        f"LEFT JOIN {qn(SupervisionOrder._meta.db_table)} s ON s.id = d.supervision_id "
    )
    event_sql = (
        f"INSERT INTO {qn(CaseEvent._meta.db_table)} "
        "(case_id, kind, actor_id, actor_label, from_status, to_status, reason, payload, created_at) "
        f"{cte}SELECT d.case_id, %s, NULL, %s, c.status, c.status, t.reason, {event_payload}, %s {joined}"
    )
    # Messages go to the unit that owns a unit-level limit (assignment, supervision order), else the owning centre.
    message_sql = (
        # The WITH goes after INSERT INTO (…): Python's sqlite3 reports no rowcount for a statement
        # that starts with WITH.
        f"INSERT INTO {qn(OutboxMessage._meta.db_table)} "
        "(kind, case_id, recipient_user_id, recipient_unit_id, recipient_centre_id, recipient_address, subject, "
        "body, payload, dedupe_key, status, attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at) "
        f"{cte}SELECT %s, d.case_id, NULL, {unit}, CASE WHEN {unit} IS NULL THEN c.owning_centre_id END, '', "
        f"'[' || c.number || '] ' || t.subject, c.title || %s || t.reason, {payload}, "
        f"%s || ':' || d.id || ':' || t.stamp, %s, 0, %s, NULL, '', %s, NULL {joined}"
        # One message per deadline and due time: the same crossing is never told twice, while a
        # limit that was extended and runs out again is told again. (WHERE: SQLite's upsert
        # grammar needs one before ON CONFLICT.)
        "WHERE 1 = 1 ON CONFLICT (dedupe_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(event_sql, [*cte_params, writer.event_kind, SYSTEM_LABEL, now])
        cursor.execute(message_sql, [*cte_params, writer.message_kind, "\n", writer.key_prefix,
                                     OutboxStatus.PENDING, now, now])
        writer.result.messages += max(cursor.rowcount, 0)


def _step_label(step: str) -> str:
    return Step(step).label


class _WarnWriter(_Writer):
    event_kind = EventKind.DEADLINE_WARNED
    message_kind = "deadline_warned"
    key_prefix = "warn"
    counter = "warned"
    claim_column, time_column = "warned_at", "warn_at"  # the partial index deadline_to_warn

    def should_tell(self, row) -> bool:
        # Found already past due (the worker was down): the overdue pass tells it; a warning now
        # would only be noise. The row is still claimed so it is not read again.
        return row["due_at"] > self.now

    def reason(self, row) -> str:
        return _("%(step)s期限将于%(due)s到期（%(left)s）。") % {
            "step": _step_label(row["step"]), "due": deadlines.due_label(row["due_at"], row["provisional"]),
            "left": deadlines.describe_due(row["due_at"], self.now),
        }

    def subject(self, row) -> str:
        return _("%(step)s临期预警：%(left)s") % {
            "step": _step_label(row["step"]), "left": deadlines.describe_due(row["due_at"], self.now, row["provisional"]),
        }


class _OverdueWriter(_Writer):
    event_kind = EventKind.DEADLINE_OVERDUE
    message_kind = "deadline_overdue"
    key_prefix = "overdue"
    counter = "overdue"
    claim_column, time_column = "overdue_at", "due_at"  # the partial index deadline_to_overdue

    def __init__(self, now, result):
        super().__init__(now, result)
        self._supervisors = _Supervisors()

    def reason(self, row) -> str:
        return _("%(step)s期限已于%(due)s届满，现已超期。") % {
            "step": _step_label(row["step"]), "due": deadlines.due_label(row["due_at"], row["provisional"]),
        }

    def subject(self, row) -> str:
        return _("%(step)s已超期") % {"step": _step_label(row["step"])}

    def extra(self, rows, cases, told_ids) -> None:
        # The matter's own limit ran out: flag the matter (lists, dashboard, 按期办结率).
        handle_cases = {r["case_id"] for r in rows if r["step"] == Step.HANDLE}
        if handle_cases:
            # Rows already flagged are left alone: a rewrite that changes nothing still writes a
            # new version of a wide row (cases 0014 made the flag's own rewrite HOT where it fits).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {connection.ops.quote_name(Case._meta.db_table)} SET overdue = %s "
                    f"WHERE {_ids_in('id')} AND overdue = %s", [True, _ids(handle_cases), False],
                )
            copies.refresh_overdue(handle_cases)  # the copy the unit lists filter on
        self._tell_supervisors([r for r in rows if r["id"] in told_ids], cases)

    def _tell_supervisors(self, rows, cases) -> None:
        """One digest per supervisor per batch, not a copy of every overdue message: a day's limits
        run out together at midnight, and a supervisor should get one list, not thousands of texts."""
        numbers: dict[int, list[str]] = {}
        for row in rows:
            number, owning_code = cases[row["case_id"]]
            for user_id in self._supervisors.over(owning_code):
                numbers.setdefault(user_id, []).append(number)
        if not numbers:
            return
        batch = min(r["id"] for r in rows)  # each deadline is claimed once, so this names the batch
        messages = []
        for user_id, found in numbers.items():
            found = sorted(set(found))
            messages.append(outbox_message(
                kind="deadline_overdue_digest", recipient_user_id=user_id, now=self.now,
                subject=_("新增超期事项%(n)d件，请督办") % {"n": len(found)},
                body="、".join(found[:20]) + (_("等") if len(found) > 20 else ""),
                payload={"count": len(found), "cases": found[:200]},
                dedupe_key=f"overdue-digest:u{user_id}:{batch}",
            ))
        outbox_enqueue_many(messages)
        self.result.messages += len(messages)


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
    stop_at = time.monotonic() + ESCALATION_BUDGET_SECONDS
    for row in rows:
        _escalate_one(row, now, result)
        if time.monotonic() >= stop_at:
            break  # the rest (oldest first) in the next sweep


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
            key = (case.region_id, case.category_id, case.urgency, case.channel, case.request_type)
            if key not in policies:
                policies[key] = deadlines.policy_for(step=Step.FOLLOW_UP, region=case.region, category=case.category,
                                                     urgency=case.urgency, channel=case.channel,
                                                     request_type=case.request_type)
            if policies[key] is None:
                continue
            # The clock starts at the resolution: "follow up within N days of closure".
            starts_at = case.resolved_at or case.status_changed_at
            if deadlines.open_deadline(case=case, step=Step.FOLLOW_UP, starts_at=starts_at, policy=policies[key]):
                result.follow_ups_opened += 1

