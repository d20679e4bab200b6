"""The closed loop through the services, with the timeline and limits a user would see."""

import threading

import pytest
from django.db import connection

from yimen.cases import transitions as t
from yimen.cases.models import AssignmentStatus, CaseEvent, Deadline, Extension, Status
from yimen.common.errors import Conflict, InvalidInput, PermissionDenied
from yimen.notifications.models import OutboxMessage


def _kinds(case):
    return list(CaseEvent.objects.filter(case=case).order_by("created_at", "id").values_list("kind", flat=True))


def test_whole_loop_with_return_escalation_extension_and_reopen(world):
    w = world
    case = w.register()
    assert case.number.startswith("449001001-")
    assert case.status == Status.REGISTERED and case.due_at is not None

    case = t.case_triage(actor=w.dispatcher, case=case, risk="yellow", urgency="worrying", risk_reason="12人欠薪")
    case = t.case_dispatch(actor=w.dispatcher, case=case, lead_unit=w.housing, assist_units=[w.justice_office])
    assert case.status == Status.DISPATCHED
    case = t.assignment_return(actor=w.housing_handler, case=case, reason="欠薪不属住建职责，建议派人社")
    assert case.status == Status.RETURNED
    assert OutboxMessage.objects.filter(case=case, kind="assignment_returned", recipient_centre=w.centre_township).exists()

    case = t.case_dispatch(actor=w.dispatcher, case=case, lead_unit=w.hrss, assist_units=[w.justice_office])
    case = t.assignment_accept(actor=w.handler, case=case)
    assert case.status == Status.IN_PROGRESS and case.accepted_at is not None

    extension = t.extension_request(actor=w.handler, case=case, amount=5, reason="需调取考勤记录")
    lead = case.assignments.get(unit=w.hrss, status=AssignmentStatus.ACCEPTED)
    due_before = lead.due_at
    t.extension_decide(actor=w.supervisor, case=case, approve=True, reason="同意")
    lead.refresh_from_db()
    assert lead.due_at > due_before
    assert Extension.objects.get(pk=extension.pk).status == "approved"

    case = t.case_escalate(actor=w.director, case=case, reason="包工头失联，需县级协调")
    assert case.owning_centre == w.centre_county and case.status == Status.PENDING_DISPATCH
    lead.refresh_from_db()
    assert lead.part == "assist" and lead.status == AssignmentStatus.ACCEPTED  # keeps a duty to assist

    case = t.case_dispatch(actor=w.county_dispatcher, case=case, lead_unit=w.hrss, assist_units=[w.justice_office])
    # The labour bureau had already accepted: it becomes lead again and the matter is in progress.
    assert case.status == Status.IN_PROGRESS
    case = t.case_resolve(actor=w.handler, case=case, outcome="agreement", result="公司承诺分两期支付")
    assert case.status == Status.RESOLVED and case.resolved_within_limit is True

    case = t.case_follow_up(actor=w.grid_worker, case=case, satisfaction="unsatisfied", comment="第二期没付")
    assert case.status == Status.PENDING_DISPATCH and case.reopen_count == 1

    case = t.case_dispatch(actor=w.county_dispatcher, case=case, lead_unit=w.hrss)
    case = t.assignment_accept(actor=w.handler2, case=case)
    case = t.case_resolve(actor=w.handler, case=case, outcome="resolved", result="已全部支付")
    case = t.case_follow_up(actor=w.grid_worker, case=case, satisfaction="satisfied")
    case = t.case_archive(actor=w.county_dispatcher, case=case)
    assert case.status == Status.ARCHIVED

    assert _kinds(case) == [
        "registered", "triaged", "dispatched", "returned", "dispatched", "accepted", "extension_requested",
        "extension_approved", "escalated", "dispatched", "resolved", "followed_up", "reopened", "dispatched",
        "accepted", "resolved", "followed_up", "archived",
    ]
    assert not Deadline.objects.filter(case=case, state="open").exists()


def test_every_event_names_actor_statuses_and_time(world):
    case = world.in_progress()
    for event in CaseEvent.objects.filter(case=case):
        assert event.actor is not None and event.actor_label and event.created_at
        assert event.to_status


def test_a_refused_move_changes_nothing_and_says_why_in_chinese(world):
    case = world.dispatched()
    events_before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Conflict) as raised:
        t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="x")
    assert "待签收" in str(raised.value)
    with pytest.raises(InvalidInput) as raised:
        t.assignment_return(actor=world.handler, case=case, reason="  ")
    assert raised.value.field == "reason" and "退单理由" in str(raised.value)
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_dispatch_refuses_a_unit_outside_the_centres_reach(world):
    case = world.register()
    with pytest.raises(InvalidInput) as raised:
        t.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.minghu_hrss)
    assert raised.value.field == "units"
    case.refresh_from_db()
    assert case.status == Status.REGISTERED and not case.assignments.exists()


def test_escalating_past_the_city_is_refused(world):
    case = t.case_triage(actor=world.dispatcher, case=world.register())
    case = t.case_escalate(actor=world.dispatcher, case=case, reason="a")
    case = t.case_escalate(actor=world.county_dispatcher, case=case, reason="b")
    assert case.owning_centre == world.centre_city
    with pytest.raises(Conflict) as raised:
        t.case_escalate(actor=world.city_dispatcher, case=case, reason="c")
    assert "最高层级" in str(raised.value)


def test_extension_beyond_policy_maximum_is_refused(world):
    from yimen.cases.models import Deadline

    case = world.in_progress()
    limit = Deadline.objects.get(case=case, step="unit_handle", assignment__unit=world.hrss)
    limit.policy.max_extension = 10
    limit.policy.save()
    with pytest.raises(InvalidInput) as raised:
        t.extension_request(actor=world.handler, case=case, amount=11, reason="复杂")
    assert raised.value.field == "amount"
    t.extension_request(actor=world.handler, case=case, amount=10, reason="复杂")
    with pytest.raises(Conflict):
        t.extension_request(actor=world.handler, case=case, amount=1, reason="再延")


def test_an_assisting_unit_cannot_resolve_the_matter(world):
    case = world.in_progress()
    t.assignment_accept(actor=world.justice_handler, case=case)
    with pytest.raises(PermissionDenied):
        t.case_resolve(actor=world.justice_handler, case=case, outcome="resolved", result="x")


def test_allowed_actions_follow_the_rules(world):
    case = world.dispatched()
    # 回复督办 is offered only once there is an order to answer (issue 12 B.4: offered means possible).
    assert set(t.allowed_actions(world.handler, case)) == {"accept", "return", "request_extension"}
    assert "dispatch" not in t.allowed_actions(world.dispatcher, case)
    assert "supervise" in t.allowed_actions(world.supervisor, case)
    assert "approve_extension" not in t.allowed_actions(world.supervisor, case)
    assert t.allowed_actions(world.outsider, case) == []
    t.supervision_issue(actor=world.supervisor, case=case, content="请尽快签收")
    t.extension_request(actor=world.handler, case=case, amount=2, reason="需调取材料")
    assert "answer_supervision" in t.allowed_actions(world.handler, case)
    assert {"approve_extension", "refuse_extension"} <= set(t.allowed_actions(world.supervisor, case))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL; run by make test there")
@pytest.mark.django_db(transaction=True)
def test_two_handlers_accepting_at_once_exactly_one_wins():
    from yimen.testing import make_world

    w = make_world()
    case = w.dispatched()
    barrier = threading.Barrier(2)
    results = []

    def accept(user):
        from django.db import connections

        try:
            barrier.wait()
            t.assignment_accept(actor=user, case=case)
            results.append("ok")
        except Conflict as error:
            results.append(error.status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (w.handler, w.handler2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [409, "ok"]
    assert CaseEvent.objects.filter(case=case, kind="accepted").count() == 1


def test_a_petitions_decision_limit_is_met_by_triage_and_cancelled_by_not_accepting(world):
    case = world.register(channel="petition")
    decide = Deadline.objects.get(case=case, step="petition_decide")
    assert decide.state == "open"
    t.case_triage(actor=world.dispatcher, case=case)
    decide.refresh_from_db()
    assert decide.state == "met"
    other = world.register(channel="petition")
    t.case_not_accept(actor=world.clerk, case=other, reason="属诉讼事项", where_to_go="青溪县人民法院")
    assert not Deadline.objects.filter(case=other, state="open").exists()


def test_allowed_actions_offer_unit_moves_only_for_the_units_own_assignment_state(world):
    case = world.in_progress()  # the county labour bureau (lead) has accepted; the justice office assists
    lead_moves = set(t.allowed_actions(world.handler, case))
    assert "accept" not in lead_moves
    assert {"return", "record_progress", "resolve", "request_extension"} <= lead_moves
    assisting = set(t.allowed_actions(world.justice_handler, case))
    assert "resolve" not in assisting and "record_progress" not in assisting and "accept" in assisting


def test_assignments_carry_the_matters_place_and_follow_its_owning_centre_up_on_escalation(world):
    case = world.in_progress()
    assert {(a.case_region_code, a.case_owning_code) for a in case.assignments.all()} == {
        (case.region_code, world.township.code)
    }
    t.case_escalate(actor=world.director, case=case, reason="镇级无法化解")
    assert {a.case_owning_code for a in case.assignments.all()} == {world.county.code}
    assert {a.case_region_code for a in case.assignments.all()} == {case.region_code}


def test_a_move_on_a_matter_someone_else_moved_first_is_refused_naming_its_status(world):
    case = world.register()
    t.case_dispatch(actor=world.director, case=case, lead_unit=world.hrss)
    with pytest.raises(Conflict) as raised:
        t.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.housing, expected_status=Status.REGISTERED)
    assert raised.value.code == "stale_status"
    assert raised.value.details["current_status"] == Status.DISPATCHED
    assert "当前状态为“待签收”" in str(raised.value)
    assert not case.assignments.filter(unit=world.housing).exists()
    # The status it was seen in is the status it is in: the move goes ahead.
    t.assignment_accept(actor=world.handler, case=case, expected_status=Status.DISPATCHED)
