"""Worklists, boards and queues: who sees what is waiting, the counts, and that rows cost no queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yimen.cases import transitions as t
from yimen.cases import worklists as wl
from yimen.cases.models import Assignment, AssignmentStatus, Status
from yimen.cases.worklists import InboxTab, Tally
from yimen.common.errors import PermissionDenied
from yimen.common.querycount import count_queries

HOUR = timedelta(hours=1)


def _lead(case):
    return Assignment.objects.get(case=case, part="lead", status__in=["pending", "accepted"])


def _numbers(qs):
    return {a.case.number for a in qs}


def test_a_handler_sees_their_units_assignments_and_not_another_units(world):
    mine = world.dispatched()
    housing = world.register(title="楼道漏水")
    t.case_dispatch(actor=world.dispatcher, case=housing, lead_unit=world.housing)
    now = timezone.now()

    assert _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.ALL, now=now)) == {mine.number}
    assert _numbers(wl.inbox_list(user=world.housing_handler, tab=InboxTab.ALL, now=now)) == {housing.number}
    # The assisting 司法所 sees its own part of the first matter.
    rows = list(wl.inbox_list(user=world.justice_handler, tab=InboxTab.ALL, now=now))
    assert [(r.case.number, r.part) for r in rows] == [(mine.number, "assist")]
    assert list(wl.inbox_list(user=world.clerk, tab=InboxTab.ALL, now=now)) == []


def test_inbox_tabs_split_to_sign_in_progress_due_soon_and_overdue(world):
    pending = world.dispatched()
    accepted = world.in_progress(title="另一宗欠薪")
    due = _lead(accepted).due_at
    now = timezone.now()

    assert _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.TO_SIGN, now=now)) == {pending.number}
    assert _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.IN_PROGRESS, now=now)) == {accepted.number}
    soon = due - 2 * HOUR
    assert accepted.number in _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.DUE_SOON, now=soon))
    late = due + HOUR
    assert accepted.number in _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.OVERDUE, now=late))
    assert accepted.number not in _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.DUE_SOON, now=late))


def test_a_supervision_order_flags_the_row_and_fills_the_supervised_tab(world):
    case = world.in_progress()
    quiet = world.dispatched(title="未督办的事项")
    t.supervision_issue(actor=world.supervisor, case=case, content="请三日内答复进展")
    now = timezone.now()

    rows = {a.case.number: a for a in wl.inbox_list(user=world.handler, tab=InboxTab.ALL, now=now)}
    assert rows[case.number].supervised is True and rows[quiet.number].supervised is False
    assert _numbers(wl.inbox_list(user=world.handler, tab=InboxTab.SUPERVISED, now=now)) == {case.number}
    assert [o.case.number for o in wl.orders_to_answer(user=world.handler)] == [case.number]
    # The assisting unit was not the one ordered.
    assert list(wl.orders_to_answer(user=world.justice_handler)) == []


def test_unit_counts_match_the_inbox(world):
    world.dispatched()
    world.dispatched(title="第二宗")
    accepted = world.in_progress(title="第三宗")
    t.supervision_issue(actor=world.supervisor, case=accepted, content="请加快")
    counts = wl.unit_counts(user=world.handler, now=timezone.now())
    assert (counts.to_sign, counts.in_progress, counts.overdue) == (2, 1, 0)
    assert str(counts.supervision) == "1"
    late = wl.unit_counts(user=world.handler, now=_lead(accepted).due_at + HOUR)
    assert late.overdue >= 1 and late.due_soon == 0


def test_capped_count_stops_at_the_cap_and_says_99_plus():
    assert str(Tally(100, 100)) == "99+" and Tally(100, 100).capped
    assert str(Tally(7, 100)) == "7" and not Tally(7, 100).capped


@pytest.mark.django_db
def test_capped_count_reads_at_most_cap_rows(world):
    for i in range(3):
        world.register(title=f"事项{i}")
    queue = wl.centre_queue(user=world.dispatcher)
    assert str(wl.capped_count(queue, cap=2)) == "1+"
    assert str(wl.capped_count(queue)) == "3"


def test_the_queue_is_the_dispatchers_own_centres_longest_waiting_first(world):
    first = world.register(title="先来的")
    second = world.register(title="后来的")
    returned = world.dispatched(title="被退回的")
    t.assignment_return(actor=world.handler, case=returned, reason="不属本单位职责")

    queue = [c.number for c in wl.centre_queue(user=world.dispatcher)]
    assert queue == [first.number, second.number, returned.number]
    assert [c.number for c in wl.centre_queue(user=world.dispatcher).filter(status=Status.RETURNED)] == [returned.number]
    # The county centre's queue is its own, not the township's; another county sees nothing.
    assert list(wl.centre_queue(user=world.county_dispatcher)) == []
    assert list(wl.centre_queue(user=world.outsider)) == []
    assert list(wl.centre_queue(user=world.handler)) == []


def test_pending_extensions_reach_the_supervisor_of_the_region_only(world):
    case = world.in_progress()
    extension = t.extension_request(actor=world.handler, case=case, amount=3, reason="需调取考勤记录")
    assert [e.pk for e in wl.pending_extensions(user=world.supervisor)] == [extension.pk]
    assert [e.pk for e in wl.pending_extensions(user=world.director)] == [extension.pk]
    assert list(wl.pending_extensions(user=world.outsider)) == []
    labelled = wl.labelled_extensions(wl.pending_extensions(user=world.supervisor))
    assert labelled[0].unit_label in {"工作日", "自然日", "小时", "分钟"}
    t.extension_decide(actor=world.supervisor, case=case, approve=True, reason="同意")
    assert list(wl.pending_extensions(user=world.supervisor)) == []


def _resolved(world, **overrides):
    case = world.in_progress(**overrides)
    return t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付")


def test_follow_up_queue_holds_resolved_matters_in_scope_with_their_limit(world):
    case = _resolved(world)
    world.in_progress(title="仍在办理")
    for user in (world.clerk, world.dispatcher, world.grid_worker, world.supervisor, world.director):
        assert [c.number for c in wl.follow_up_queue(user=user)] == [case.number], user.username
    for user in (world.other_clerk, world.outsider, world.handler):
        assert list(wl.follow_up_queue(user=user)) == [], user.username
    row = wl.follow_up_queue(user=world.clerk).get()
    assert row.follow_up_due is not None
    t.case_follow_up(actor=world.clerk, case=case, satisfaction="satisfied")
    assert list(wl.follow_up_queue(user=world.clerk)) == []


def test_follow_up_result_shows_an_unsatisfied_matter_reopened(world):
    case = _resolved(world)
    t.case_follow_up(actor=world.clerk, case=case, satisfaction="unsatisfied", comment="钱没到账")
    done = wl.follow_up_result(user=world.clerk, number=case.number)
    assert done.status == Status.PENDING_DISPATCH and done.satisfaction == "unsatisfied"
    assert wl.follow_up_result(user=world.other_clerk, number=case.number) is None


def test_the_board_counts_due_soon_and_overdue_per_unit_level_and_centre(world):
    case = world.in_progress()
    world.dispatched(title="第二宗")
    late = _lead(case).due_at + HOUR
    board = wl.board(user=world.supervisor, now=late)
    counts = dict((u.pk, c) for u, c in board.units)
    assert counts[world.hrss.pk].overdue >= 1
    assert world.minghu_hrss.pk not in {u.pk for u in board.all_units}
    assert {c.pk for c, _ in board.centres} == {world.centre_township.pk}
    assert board.total.overdue == sum(c.overdue for _, c in board.units)
    assert {lvl for lvl, _, _ in board.level_rows} <= {"county", "township"}

    drill = wl.board_drill(user=world.supervisor, now=late, units=board.all_units, kind="overdue", unit_id=world.hrss.pk)
    assert case.number in {a.case.number for a in drill}
    # A unit outside the region gives no rows, whatever the query string says.
    assert list(wl.board_drill(user=world.supervisor, now=late, units=board.all_units, unit_id=world.minghu_hrss.pk)) == []


def test_another_countys_board_shows_none_of_qingxis_assignments(world):
    case = world.in_progress()
    late = _lead(case).due_at + HOUR
    board = wl.board(user=world.outsider, now=late)
    assert board.units == [] and board.total.overdue == 0


def test_the_board_is_refused_to_roles_that_do_not_supervise(world):
    for user in (world.handler, world.clerk, world.grid_worker):
        with pytest.raises(PermissionDenied):
            wl.board(user=user, now=timezone.now())


def test_actions_for_asks_no_query_when_assignments_are_prefetched(world):
    world.dispatched()
    world.in_progress(title="第二宗")
    rows = list(wl.inbox_list(user=world.handler, tab=InboxTab.ALL, now=timezone.now()))
    with count_queries() as queries:
        actions = [wl.actions_for(world.handler, a.case) for a in rows]
    assert queries == 0
    assert all("return" in a for a in actions)
    # Only the still-pending dispatch offers 签收; the accepted one offers 办结 instead.
    by_title = {a.case.title: acts for a, acts in zip(rows, actions)}
    assert "accept" not in by_title["第二宗"] and "resolve" in by_title["第二宗"]
    assert sum("accept" in acts for acts in actions) == 1


def test_home_work_takes_the_same_number_of_queries_for_2_and_8_matters(world):
    def measure(user):
        user = type(user).objects.get(pk=user.pk)  # fresh: grants read once, inside the measure
        with count_queries() as queries:
            wl.home_work(user=user, now=timezone.now())
        return queries

    for _ in range(2):
        world.dispatched()
    few = {u: measure(getattr(world, u)) for u in ("dispatcher", "handler", "supervisor")}
    for _ in range(6):
        world.dispatched()
    assert {u: measure(getattr(world, u)) for u in ("dispatcher", "handler", "supervisor")} == few


def test_home_work_lists_only_what_the_user_works(world):
    world.dispatched()
    handler = wl.home_work(user=world.handler, now=timezone.now())
    assert handler.unit is not None and handler.centre.queue is None and not handler.may_register
    clerk = wl.home_work(user=world.clerk, now=timezone.now())
    assert clerk.unit is None and clerk.centre.queue is None and clerk.centre.follow_ups is not None
    assert clerk.may_register
    dispatcher = wl.home_work(user=world.dispatcher, now=timezone.now())
    assert dispatcher.centre.queue is not None and dispatcher.centre.extensions is None
    assert str(dispatcher.centre.in_progress) == "1"


def test_assignment_status_choices_used_by_the_tabs_exist():
    assert {AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED} == set(wl.LIVE)
