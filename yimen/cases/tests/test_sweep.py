import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, connections

from yimen.cases import deadlines, sweep
from yimen.cases.models import (
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
from yimen.cases.selectors import CaseFilters, case_list_for_user
from yimen.cases.sweep import deadline_sweep
from yimen.common.querycount import count_queries
from yimen.notifications.models import OutboxMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday in a year whose holidays the calendar knows; nothing official falls in the next weeks.
MONDAY = dt.datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def at_monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the follow-up repair gate lives there


def _handle_limit(case) -> Deadline:
    return Deadline.objects.get(case=case, step=Step.HANDLE, state=DeadlineState.OPEN)


def _events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind))


# ---------------------------------------------------------------------------------------------
# a) warnings


def test_it_warns_when_the_warning_time_comes_and_only_once(world, at_monday):
    case = world.register()
    limit = _handle_limit(case)

    assert deadline_sweep(now=limit.warn_at - MINUTE).warned == 0
    first = deadline_sweep(now=limit.warn_at + MINUTE)
    second = deadline_sweep(now=limit.warn_at + 2 * MINUTE)

    assert (first.warned, second.warned) == (1, 0)
    messages = OutboxMessage.objects.filter(kind="deadline_warned")
    assert messages.count() == 1
    message = messages.get()
    assert message.recipient_centre == world.centre_township
    assert message.subject.startswith(f"[{case.number}] 办理(事项)临期预警")
    (event,) = _events(case, EventKind.DEADLINE_WARNED)
    assert event.actor is None and event.actor_label == "系统"
    assert event.payload["deadline"] == limit.pk
    limit.refresh_from_db()
    assert limit.warned_at == limit.warn_at + MINUTE


def test_a_unit_level_limit_warns_the_unit(world, at_monday):
    case = world.dispatched()
    sign = Deadline.objects.get(case=case, step=Step.SIGN, assignment__unit=world.hrss)

    deadline_sweep(now=sign.warn_at + MINUTE)

    assert OutboxMessage.objects.filter(kind="deadline_warned", recipient_unit=world.hrss).count() == 1
    # The event names whose limit it is, so the timeline can say so.
    warned = [e for e in _events(case, EventKind.DEADLINE_WARNED) if e.payload["deadline"] == sign.pk]
    assert [e.payload["unit_id"] for e in warned] == [world.hrss.pk]


def test_a_limit_found_already_past_due_is_told_overdue_not_warned(world, at_monday):
    case = world.register()
    limit = _handle_limit(case)

    result = deadline_sweep(now=limit.due_at + MINUTE)

    assert (result.warned, result.overdue) == (0, 1)
    assert not _events(case, EventKind.DEADLINE_WARNED)
    limit.refresh_from_db()
    assert limit.warned_at is not None  # claimed, so it is not read again


def test_an_extended_limit_warns_again_when_the_new_time_comes(world, at_monday):
    case = world.in_progress()
    limit = Deadline.objects.get(case=case, step=Step.UNIT_HANDLE, assignment__unit=world.hrss)
    deadline_sweep(now=limit.warn_at + MINUTE)

    with time_machine.travel(limit.warn_at + 2 * MINUTE, tick=False):
        extended = deadlines.extend_deadline(deadline=limit, amount=5)
    assert extended.warned_at is None
    deadline_sweep(now=extended.warn_at + MINUTE)

    assert OutboxMessage.objects.filter(kind="deadline_warned", recipient_unit=world.hrss).count() == 2


# ---------------------------------------------------------------------------------------------
# b) overdue


def test_overdue_marks_the_matter_lists_it_and_tells_the_centre_and_supervisors(world, at_monday):
    case = world.register()
    limit = _handle_limit(case)

    result = deadline_sweep(now=limit.due_at + MINUTE)
    again = deadline_sweep(now=limit.due_at + 2 * MINUTE)

    assert (result.overdue, again.overdue) == (1, 0)
    case.refresh_from_db()
    assert case.overdue is True
    listed = case_list_for_user(user=world.dispatcher, filters=CaseFilters(overdue=True))
    assert list(listed.values_list("pk", flat=True)) == [case.pk]
    (event,) = _events(case, EventKind.DEADLINE_OVERDUE)
    assert event.actor is None and event.actor_label == "系统"
    (message,) = OutboxMessage.objects.filter(kind="deadline_overdue")
    assert message.recipient_centre == world.centre_township
    assert message.subject == f"[{case.number}] 办理(事项)已超期"
    assert message.payload == {"deadline": limit.pk, "step": "handle", "due_at": limit.due_at.isoformat(),
                               "provisional": False}
    assert message.dedupe_key == f"overdue:{limit.pk}:{int(limit.due_at.timestamp())}"
    # The county supervisor (the nearest above the township centre) gets one list per batch.
    (digest,) = OutboxMessage.objects.filter(kind="deadline_overdue_digest")
    assert digest.recipient_user == world.supervisor
    assert digest.subject == "新增超期事项1件，请督办"
    assert digest.payload == {"count": 1, "cases": [case.number]}


def test_supervisors_get_one_digest_per_batch_not_a_copy_of_each_message(world, at_monday):
    cases = [world.register() for _ in range(3)]
    due = max(_handle_limit(c).due_at for c in cases)

    result = deadline_sweep(now=due + MINUTE)

    assert result.messages == 4  # three to the centre, one to the supervisor
    (digest,) = OutboxMessage.objects.filter(kind="deadline_overdue_digest", recipient_user=world.supervisor)
    assert digest.payload["cases"] == sorted(c.number for c in cases)


def test_an_overdue_sign_limit_does_not_flag_the_matter(world, at_monday):
    case = world.dispatched()
    sign = Deadline.objects.get(case=case, step=Step.SIGN, assignment__unit=world.hrss)

    deadline_sweep(now=sign.due_at + MINUTE)

    case.refresh_from_db()
    assert case.overdue is False
    assert OutboxMessage.objects.filter(kind="deadline_overdue", recipient_unit=world.hrss).count() == 1


def test_the_sweep_works_through_several_batches(world, at_monday, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH", 3)
    cases = [world.register() for _ in range(7)]
    due = max(_handle_limit(c).due_at for c in cases)

    result = deadline_sweep(now=due + MINUTE)

    assert result.overdue == 7
    assert Case.objects.filter(overdue=True).count() == 7
    assert CaseEvent.objects.filter(kind=EventKind.DEADLINE_OVERDUE).count() == 7


def test_a_backlog_is_spread_over_the_next_sweeps_so_each_stays_short(world, at_monday, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH", 2)
    monkeypatch.setattr(sweep, "MAX_BATCHES_PER_SWEEP", 2)
    cases = [world.register() for _ in range(5)]
    due = max(_handle_limit(c).due_at for c in cases)

    assert deadline_sweep(now=due + MINUTE).overdue == 4
    assert deadline_sweep(now=due + 2 * MINUTE).overdue == 1
    assert deadline_sweep(now=due + 3 * MINUTE).overdue == 0
    assert Case.objects.filter(overdue=True).count() == 5


def test_after_an_outage_one_sweep_marks_what_ran_out_first_and_leaves_warnings_for_the_next(world, at_monday, monkeypatch):
    # A backlog of both kinds shares one budget: the sweep after an outage stays as short as a day's.
    monkeypatch.setattr(sweep, "BATCH", 2)
    monkeypatch.setattr(sweep, "MAX_BATCHES_PER_SWEEP", 2)
    late = [world.register() for _ in range(3)]
    due = max(_handle_limit(c).due_at for c in late)
    soon = [world.register(received_at=due - dt.timedelta(days=2)) for _ in range(3)]
    warn_by = max(_handle_limit(c).warn_at for c in soon)
    moment = max(due, warn_by) + MINUTE
    assert all(_handle_limit(c).due_at > moment for c in soon)

    first = deadline_sweep(now=moment)
    # Four rows in all: the three that ran out, then one warning row — a late matter's, already past due,
    # claimed without a word (oldest first). The matters due soon are not warned in this sweep.
    assert (first.overdue, first.warned) == (3, 0)
    # The next sweeps warn (the late matters' own warnings, past due, are claimed without a word).
    later = [deadline_sweep(now=moment + k * MINUTE) for k in range(1, 5)]
    assert sum(r.warned for r in later) == 3 and sum(r.overdue for r in later) == 0
    assert CaseEvent.objects.filter(kind=EventKind.DEADLINE_WARNED, case__in=soon).count() == 3
    assert not CaseEvent.objects.filter(kind=EventKind.DEADLINE_WARNED, case__in=late).exists()


def test_a_batch_sends_the_same_statements_for_thirty_crossings_as_for_three(world, at_monday):
    few_cases = [world.register() for _ in range(3)]
    due = max(_handle_limit(c).due_at for c in few_cases)
    with count_queries() as few:
        first = deadline_sweep(now=due + MINUTE, follow_ups=False)
    many_cases = [world.register() for _ in range(30)]  # the same due time: the next crossing
    with count_queries() as many:
        second = deadline_sweep(now=due + 2 * MINUTE, follow_ups=False)

    assert (first.overdue, second.overdue) == (3, 30)
    assert Case.objects.filter(pk__in=[c.pk for c in many_cases], overdue=True).count() == 30
    assert many == few


# ---------------------------------------------------------------------------------------------
# c) policy escalation


def test_policy_escalation_moves_the_matter_to_the_parent_centre_through_the_transitions(world, at_monday):
    case = world.register(urgency="urgent")  # 急难事: 1 working day, escalate when overdue
    limit = _handle_limit(case)
    assert limit.escalate_when_overdue

    with time_machine.travel(limit.due_at + MINUTE, tick=False):
        result = deadline_sweep()
        again = deadline_sweep()

    assert (result.escalated, again.escalated) == (1, 0)
    case.refresh_from_db()
    assert case.owning_centre == world.centre_county
    assert case.status == Status.PENDING_DISPATCH
    assert case.escalation_count == 1
    (event,) = _events(case, EventKind.ESCALATED)
    assert event.actor is None and event.actor_label == "系统"
    assert event.reason == "超期未办结，按规则自动提级"
    assert OutboxMessage.objects.filter(kind="case_escalated", recipient_centre=world.centre_county).exists()


def test_escalation_at_the_top_level_is_skipped_with_a_note(world, at_monday):
    case = world.register(urgency="urgent", centre=world.centre_city)
    limit = _handle_limit(case)

    with time_machine.travel(limit.due_at + MINUTE, tick=False):
        result = deadline_sweep()
        again = deadline_sweep()

    assert (result.escalated, result.auto_skipped, again.auto_skipped) == (0, 1, 0)
    case.refresh_from_db()
    assert case.owning_centre == world.centre_city
    notes = [e for e in _events(case, EventKind.DEADLINE_OVERDUE) if e.payload.get("auto_action") == "skipped"]
    assert len(notes) == 1 and "最高层级" in notes[0].reason
    limit.refresh_from_db()
    assert limit.escalated_at is not None


def test_an_overdue_sign_is_supervised_automatically_when_the_policy_says_so(world, at_monday):
    TimeLimitPolicy.objects.filter(step=Step.SIGN).update(escalate_when_overdue=True)
    case = world.dispatched()
    sign = Deadline.objects.get(case=case, step=Step.SIGN, assignment__unit=world.hrss)

    with time_machine.travel(sign.due_at + MINUTE, tick=False):
        result = deadline_sweep()
        again = deadline_sweep()

    # Both the lead (人社局) and the assisting unit (司法所) let their sign limit run out.
    assert (result.supervised, again.supervised) == (2, 0)
    orders = SupervisionOrder.objects.filter(case=case)
    assert {o.unit_id for o in orders} == {world.hrss.pk, world.justice_office.pk}
    assert all(o.issued_by is None and o.content == "超期未签收，自动督办" for o in orders)
    events = _events(case, EventKind.SUPERVISED)
    assert len(events) == 2 and all(e.actor is None for e in events)
    assert Deadline.objects.filter(case=case, step=Step.SUPERVISION_ANSWER, state=DeadlineState.OPEN).count() == 2


def test_a_met_limit_is_neither_marked_nor_escalated(world, at_monday):
    case = world.in_progress(urgency="urgent")
    limit = _handle_limit(case)
    from yimen.cases import transitions

    transitions.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付工资")

    result = deadline_sweep(now=limit.due_at + MINUTE)

    assert (result.overdue, result.escalated) == (0, 0)


# ---------------------------------------------------------------------------------------------
# d) follow-up limits


def test_a_resolved_matter_without_a_follow_up_limit_gets_one(world, at_monday):
    case = world.register()
    # As an import leaves it: resolved, without the follow-up limit the transitions would open.
    deadlines.close_deadlines(case=case, now=MONDAY, steps=[Step.HANDLE])
    Case.objects.filter(pk=case.pk).update(status=Status.RESOLVED, resolved_at=MONDAY)

    result = deadline_sweep(now=MONDAY + MINUTE, follow_ups=True)
    again = deadline_sweep(now=MONDAY + 2 * MINUTE, follow_ups=True)

    assert (result.follow_ups_opened, again.follow_ups_opened) == (1, 0)
    follow_up = Deadline.objects.get(case=case, step=Step.FOLLOW_UP, state=DeadlineState.OPEN)
    assert follow_up.starts_at == MONDAY
    deadline_sweep(now=follow_up.warn_at + MINUTE)
    assert OutboxMessage.objects.filter(
        kind="deadline_warned", recipient_centre=world.centre_township, payload__step=Step.FOLLOW_UP
    ).count() == 1


def test_the_follow_up_repair_runs_once_per_period_unless_asked(world, at_monday):
    case = world.register()
    deadlines.close_deadlines(case=case, now=MONDAY, steps=[Step.HANDLE])

    deadline_sweep(now=MONDAY)  # runs the repair (nothing to do yet) and closes the gate
    Case.objects.filter(pk=case.pk).update(status=Status.RESOLVED, resolved_at=MONDAY)
    assert deadline_sweep(now=MONDAY + MINUTE).follow_ups_opened == 0
    cache.clear()  # the period is over
    assert deadline_sweep(now=MONDAY + 2 * MINUTE).follow_ups_opened == 1


def test_a_resolved_matter_with_a_follow_up_limit_is_left_alone(world, at_monday):
    from yimen.cases import transitions

    case = world.in_progress()
    transitions.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付工资")

    assert deadline_sweep(now=MONDAY + MINUTE, follow_ups=True).follow_ups_opened == 0
    assert Deadline.objects.filter(case=case, step=Step.FOLLOW_UP).count() == 1


# ---------------------------------------------------------------------------------------------
# Several workers at once (PostgreSQL: real row locks; SQLite serialises writers instead)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_each_limit_once(world, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH", 7)  # many small batches, so the two sweeps interleave
    monkeypatch.setattr(sweep, "MAX_BATCHES_PER_SWEEP", 100)  # both sweeps run until nothing is left
    with time_machine.travel(MONDAY, tick=False):
        cases = [world.register() for _ in range(40)]
    due = max(_handle_limit(c).due_at for c in cases)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(deadline_sweep(now=due + MINUTE))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sum(r.overdue for r in results) == 40
    assert CaseEvent.objects.filter(kind=EventKind.DEADLINE_OVERDUE).count() == 40
    assert OutboxMessage.objects.filter(kind="deadline_overdue", recipient_centre__isnull=False).count() == 40
    assert Case.objects.filter(overdue=True).count() == 40


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_a_matter_someone_is_changing_is_left_for_the_next_sweep(world):
    with time_machine.travel(MONDAY, tick=False):
        busy, free = world.register(), world.register()
    due = _handle_limit(busy).due_at
    locked, release = threading.Event(), threading.Event()

    def person_working_on_it():
        from django.db import transaction

        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=busy.pk)  # as a transition does
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    person = threading.Thread(target=person_working_on_it)
    person.start()
    locked.wait(10)
    try:
        first = deadline_sweep(now=due + MINUTE)  # must not wait for the person
    finally:
        release.set()
        person.join()
    second = deadline_sweep(now=due + 2 * MINUTE)

    assert (first.overdue, second.overdue) == (1, 1)
    assert _events(free, EventKind.DEADLINE_OVERDUE) and _events(busy, EventKind.DEADLINE_OVERDUE)


def test_the_database_refuses_a_second_copy_of_the_same_message(world, at_monday):
    case = world.register()
    limit = _handle_limit(case)
    deadline_sweep(now=limit.warn_at + MINUTE)
    Deadline.objects.filter(pk=limit.pk).update(warned_at=None)  # as if the claim were lost

    result = deadline_sweep(now=limit.warn_at + 2 * MINUTE)

    assert (result.warned, result.messages) == (1, 0)
    assert OutboxMessage.objects.filter(kind="deadline_warned").count() == 1
