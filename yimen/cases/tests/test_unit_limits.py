"""B.2: a unit's handling limit follows the matter's: it never ends after the matter's own unless
the dispatcher records why, and the dispatch page and the timeline say so."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from yimen.cases import deadlines
from yimen.cases import transitions as t
from yimen.cases.models import Assignment, CaseEvent, Deadline, Step
from yimen.cases.presenting import event_details

# A Monday morning in a year whose holidays are known.
MONDAY = dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


def _tight(world):
    """A matter whose own limit (操心事: 7 working days) is shorter than the general unit rule (15)."""
    case = world.register()
    return t.case_triage(actor=world.dispatcher, case=case, risk="red", urgency="worrying", risk_reason="34人欠薪，扬言堵路")


def _dispatched_event(case):
    return CaseEvent.objects.filter(case=case, kind="dispatched").latest("id")


def test_the_units_of_a_matter_are_due_no_later_than_the_matter(world, frozen):
    case = _tight(world)
    case = t.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss, assist_units=[world.justice_office])
    units = Assignment.objects.filter(case=case)
    assert units.count() == 2
    for assignment in units:
        assert assignment.due_at <= case.due_at
        limit = Deadline.objects.get(assignment=assignment, step=Step.UNIT_HANDLE)
        assert limit.due_at == assignment.due_at and limit.policy is not None  # still the rule's warning and escalation
    details = dict(event_details("dispatched", _dispatched_event(case).payload))
    assert "按事项期限缩短" in details["承办期限"] and "15工作日" in details["承办期限"]


def test_a_recorded_reason_keeps_the_rules_longer_limit_and_the_timeline_shows_it(world, frozen):
    case = _tight(world)
    case = t.case_dispatch(
        actor=world.dispatcher, case=case, lead_unit=world.hrss, limit_reason="需劳动监察立案调查，按承办规则计时",
    )
    assignment = Assignment.objects.get(case=case)
    assert assignment.due_at > case.due_at
    details = dict(event_details("dispatched", _dispatched_event(case).payload))
    assert "需劳动监察立案调查" in details["承办期限"]


def test_a_unit_limit_that_fits_is_left_as_the_rule_gives_it(world, frozen):
    case = world.register()
    case = t.case_triage(actor=world.dispatcher, case=case, risk="blue", urgency="wish", risk_reason="")
    case = t.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss)
    limit = Deadline.objects.get(case=case, step=Step.UNIT_HANDLE)
    assert (limit.amount, limit.unit) == (15, "working_days")
    assert "承办期限" not in dict(event_details("dispatched", _dispatched_event(case).payload))


def test_the_dispatch_page_shows_the_shortened_limit_before_confirming(client, world, frozen):
    case = _tight(world)
    preview = {p.step: p for p in deadlines.preview_assignment_deadlines(case=case, starts_at=MONDAY)}
    assert preview["unit_handle"].due.at <= case.due_at and preview["unit_handle"].shortened_from
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:case_dispatch", args=[case.number])).content.decode()
    assert "按事项期限缩短（规则为15工作日）" in html


def test_the_dispatcher_can_keep_the_rules_limit_from_the_page_by_giving_a_reason(client, world, frozen):
    case = _tight(world)
    client.force_login(world.dispatcher)
    url = reverse("web:case_dispatch", args=[case.number])
    assert 'name="limit_reason"' in client.get(url).content.decode()
    response = client.post(url, {
        "action": "dispatch", "op": "confirm", "status_seen": case.status, "lead_unit": world.hrss.pk,
        "limit_reason": "需调取全部考勤记录",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert Assignment.objects.get(case=case).due_at > case.due_at
    assert "需调取全部考勤记录" in _dispatched_event(case).payload["unit_limit"]
