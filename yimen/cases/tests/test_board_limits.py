"""B.3: the supervisor's board counts sign-in limits as well as handling ones, and the home's
counts say what they count (matters or assignments) and agree with the board's."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from yimen.cases import worklists as wl
from yimen.cases.models import Assignment, AssignmentStatus

HOUR = timedelta(hours=1)


def _unsigned_past_sign_in(world):
    """A matter dispatched and never signed for, an hour after its sign-in limit ran out (its
    handling limit still running)."""
    case = world.dispatched()
    lead = Assignment.objects.get(case=case, part="lead")
    now = lead.sign_due_at + HOUR
    assert lead.due_at > now
    return case, lead, now


def test_the_board_counts_an_assignment_past_its_sign_in_limit_as_overdue(world):
    _case, lead, now = _unsigned_past_sign_in(world)
    board = wl.board(user=world.supervisor, now=now)
    counts = {u.pk: c for u, c in board.units}
    assert counts[world.hrss.pk].overdue == 1 and counts[world.justice_office.pk].overdue == 1
    drill = list(wl.board_drill(user=world.supervisor, now=now, units=board.all_units, kind="overdue"))
    assert lead.pk in {a.pk for a in drill}
    row = next(r for r in wl.board_rows(world.supervisor, drill, now) if r.item.pk == lead.pk)
    assert row.days_overdue == 0  # counted from the sign-in limit, not the handling one


def test_a_sign_in_limit_running_out_within_a_day_is_due_soon(world):
    case = world.dispatched()
    lead = Assignment.objects.get(case=case, part="lead")
    now = lead.sign_due_at - HOUR
    board = wl.board(user=world.supervisor, now=now)
    assert {u.pk: c for u, c in board.units}[world.hrss.pk].due_soon == 1


def test_once_signed_for_only_the_handling_limit_counts(world):
    case = world.in_progress()
    lead = Assignment.objects.get(case=case, part="lead")
    board = wl.board(user=world.supervisor, now=lead.sign_due_at + HOUR)
    assert world.hrss.pk not in {u.pk for u, _ in board.units}


def test_the_unit_inbox_counts_the_sign_in_limit_too(world):
    _case, _lead, now = _unsigned_past_sign_in(world)
    assert wl.unit_counts(user=world.handler, now=now).overdue == 1


def test_the_homes_assignment_counts_equal_the_boards(world):
    _unsigned_past_sign_in(world)
    case = world.in_progress(title="第二宗")
    lead = Assignment.objects.get(case=case, part="lead")
    now = max(lead.due_at + HOUR, Assignment.objects.filter(case__title="第二宗").first().sign_due_at + HOUR)
    home = wl.home_work(user=world.supervisor, now=now)
    board = wl.board(user=world.supervisor, now=now)
    assert home.centre.assignments.overdue.value == board.total.overdue >= 2
    assert home.centre.assignments.due_soon.value == board.total.due_soon


def test_the_homes_assignment_tiles_stop_counting_at_the_cap(world, monkeypatch):
    """A city's overdue assignments are counted on the board; the home's tile says "N+" past the cap."""
    _unsigned_past_sign_in(world)
    case = world.in_progress(title="第二宗")
    lead = Assignment.objects.get(case=case, part="lead")
    now = max(lead.due_at + HOUR, Assignment.objects.filter(case__title="第二宗").first().sign_due_at + HOUR)
    monkeypatch.setattr(wl, "COUNT_CAP", 2)
    tile = wl.home_work(user=world.supervisor, now=now).centre.assignments.overdue
    assert wl.board(user=world.supervisor, now=now).total.overdue >= 2
    assert tile.capped and str(tile) == "1+"


def test_home_and_board_say_what_they_count(client, world):
    _case, _lead, now = _unsigned_past_sign_in(world)
    with time_machine.travel(now, tick=False):
        client.force_login(world.supervisor)
        home = client.get("/").content.decode()
        board = client.get("/supervise/").content.decode()
    assert "逾期事项（件）" in home and "逾期派单（个）" in home
    assert "逾期派单（个）" in board
    tile = '<a class="tile alert" href="/supervise/?kind=overdue#drill" data-tile="assignments_overdue"><span class="count">2</span>'
    assert tile in home  # the lead and the assisting unit, neither signed for
    assert 'data-tile="overdue"><span class="count">2</span>' in board


def test_the_due_soon_parts_are_the_whole_of_due_soon_and_do_not_overlap(world, monkeypatch):
    """The home counts "due soon" as two index ranges (deadlines.assignment_due_soon_parts); every
    mix of sign-in and handling limits lands in exactly one part when it is due soon, else in none."""
    import itertools

    from yimen.cases.deadlines import assignment_due_soon_parts, assignment_due_soon_q

    now = timezone.now().replace(microsecond=0)
    moments = [None, now - 2 * HOUR, now, now + 2 * HOUR, now + 24 * HOUR, now + 30 * HOUR]
    made = []
    for status, due, sign in itertools.product([AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED], moments, moments):
        case = world.dispatched(title=f"组合{len(made)}")
        lead = Assignment.objects.get(case=case, part="lead")
        Assignment.objects.filter(pk=lead.pk).update(status=status, due_at=due, sign_due_at=sign)
        made.append(lead.pk)
    live = Assignment.objects.filter(pk__in=made)
    handling, signing = assignment_due_soon_parts(now)
    whole = set(live.filter(assignment_due_soon_q(now)).values_list("pk", flat=True))
    a = set(live.filter(handling).values_list("pk", flat=True))
    b = set(live.filter(signing).values_list("pk", flat=True))
    assert whole and a and b
    assert a | b == whole and not a & b

    monkeypatch.setattr(wl, "COUNT_CAP", 1000)
    Assignment.objects.exclude(pk__in=made).update(status=AssignmentStatus.COMPLETED)
    assert wl.board_totals(user=world.supervisor, now=now).due_soon.value == len(whole)
    monkeypatch.setattr(wl, "COUNT_CAP", len(a) + 1)  # the cap reached inside the second part
    tile = wl.board_totals(user=world.supervisor, now=now).due_soon
    assert tile.capped and tile.value == len(a) + 1
