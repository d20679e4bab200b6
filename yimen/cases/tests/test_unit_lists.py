"""A unit user's matter list is driven from their units' own index (assignment_unit_recv), and lists
exactly what the scope of visible_cases_q lists, in the same order, for every filter and sort."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import override_settings

from yimen.accounts.models import Membership, Role
from yimen.accounts.scopes import unit_only_scope
from yimen.cases import selectors, transitions
from yimen.cases.models import Assignment
from yimen.cases.selectors import KEYSET_SORTS, CaseFilters, case_list_for_user, case_page, list_time_limit
from yimen.common.querycount import count_queries

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def matters(world):
    """Matters of several units, categories, risks and statuses, some received at the same moment
    (ties ordered by id), one returned and dispatched again to the same unit (two assignments)."""
    made = []
    for i in range(9):
        received = T0 + dt.timedelta(hours=i // 2)  # pairs share a received time
        category = [world.labour, world.neighbour, world.property][i % 3]
        case = world.register(title=f"事项{i}", category=category, received_at=received,
                              urgency=["annoying", "worrying", "urgent"][i % 3])
        if i % 4 == 3:
            made.append(case)  # never dispatched: no unit sees it
            continue
        assists = [world.justice_office] if i % 2 else []
        lead = world.hrss if i % 3 != 2 else world.police_station
        case = transitions.case_dispatch(actor=world.dispatcher, case=case, lead_unit=lead, assist_units=assists)
        if i == 4:
            transitions.assignment_accept(actor=world.handler, case=case)
        made.append(case)
    again = made[0]
    transitions.assignment_return(actor=world.handler, case=again, reason="不属于本单位职责，请改派")
    again.refresh_from_db()
    transitions.case_dispatch(actor=world.dispatcher, case=again, lead_unit=world.hrss, reason="再派")
    return made


FILTERS = [
    CaseFilters(),
    CaseFilters(status=["dispatched"]),
    CaseFilters(status=["in_progress", "returned"]),
    CaseFilters(open=True),
    CaseFilters(open=False),
    CaseFilters(overdue=True),
    CaseFilters(overdue=False),
    CaseFilters(category="labour"),
    CaseFilters(category="neighbour", urgency="worrying"),
    CaseFilters(category="no_such_code"),
    CaseFilters(risk="blue"),
    CaseFilters(urgency="urgent"),
    CaseFilters(received_from=T0 + dt.timedelta(hours=1), received_to=T0 + dt.timedelta(hours=3)),
    CaseFilters(text="事项"),
    CaseFilters(channel="walk_in", region="449001001"),
]
SORTS = ["-received", "received", "due", "risk", "status"]


def _today(user, filters, sort):
    """The list as it was before the unit path: visible_cases_q's scope over the matters."""
    from unittest import mock

    with mock.patch.object(selectors, "unit_only_scope", lambda user: None):
        return [c.number for c in case_list_for_user(user=user, filters=filters, sort=sort)]


def _walk(user, filters, sort, limit=2):
    """Every page of case_page, following next cursors, then back again with prev cursors (or by page
    number for the orderings paged by offset)."""
    pages, page = [], case_page(user=user, filters=filters, sort=sort, limit=limit)
    pages.append([c.number for c in page.items])
    if sort not in KEYSET_SORTS:
        for number in range(2, page.pages + 1):
            pages.append([c.number for c in case_page(user=user, filters=filters, sort=sort, page=number, limit=limit).items])
        return [n for p in pages for n in p]
    while page.next_cursor and len(pages) < 50:
        page = case_page(user=user, filters=filters, sort=sort, after=page.next_cursor, limit=limit)
        pages.append([c.number for c in page.items])
    back = [pages[-1]]
    while page.prev_cursor and len(back) < 50:
        page = case_page(user=user, filters=filters, sort=sort, before=page.prev_cursor, limit=limit)
        back.append([c.number for c in page.items])
    assert back[::-1] == pages, "paging back gives the same pages"
    return [n for p in pages for n in p]


@pytest.mark.parametrize("who", ["handler", "justice_handler", "expert", "police", "two_units"])
def test_a_unit_users_list_is_todays_list_for_every_filter_and_sort(world, matters, who):
    if who == "police":
        user = world.handler2
        Membership.objects.filter(user=user).update(unit=world.police_station)
    elif who == "two_units":
        user = world.handler2
        Membership.objects.create(user=user, role=Role.MEDIATOR, region=world.township, unit=world.justice_office)
    else:
        user = getattr(world, who)
    user = type(user).objects.get(pk=user.pk)  # grants are cached on the user object
    assert unit_only_scope(user)
    seen_any = False
    for filters in FILTERS:
        for sort in SORTS:
            today = _today(user, filters, sort)
            assert [c.number for c in case_list_for_user(user=user, filters=filters, sort=sort)] == today, (filters, sort)
            assert _walk(user, filters, sort) == today, (filters, sort)
            assert case_list_for_user(user=user, filters=filters, sort=sort).count() == len(today)
            seen_any = seen_any or bool(today)
    assert seen_any


def test_a_matter_given_twice_to_the_unit_is_listed_once(world, matters):
    again = matters[0]
    assert Assignment.objects.filter(case=again, unit=world.hrss).count() == 2
    numbers = [c.number for c in case_list_for_user(user=world.handler, filters=CaseFilters())]
    assert numbers.count(again.number) == 1


def test_a_user_with_unit_and_centre_roles_keeps_the_scope_of_both(world, matters):
    """A handler who is also a clerk of the township: the unit path would hide the township's matters
    never given to the unit, so such a user keeps visible_cases_q's scope over the matters."""
    user = world.handler
    Membership.objects.create(user=user, role=Role.CLERK, region=world.township)
    user = type(user).objects.get(pk=user.pk)
    assert unit_only_scope(user) is None
    numbers = [c.number for c in case_list_for_user(user=user, filters=CaseFilters())]
    assert sorted(numbers) == sorted(c.number for c in matters)  # every township matter, not only the unit's


def test_other_scopes_are_not_unit_only(world):
    for user in (world.clerk, world.dispatcher, world.grid_worker, world.admin, world.supervisor):
        assert unit_only_scope(user) is None
    assert unit_only_scope(world.mediator) == {world.mediation_committee.pk}


def test_dispatch_copies_the_matters_received_time_onto_the_assignments(world):
    case = world.register(received_at=T0)
    transitions.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss, assist_units=[world.justice_office])
    assert set(Assignment.objects.filter(case=case).values_list("case_received_at", flat=True)) == {T0}


def test_the_migration_fills_the_copies_of_existing_assignments(world, matters, monkeypatch):
    fill = importlib.import_module("yimen.cases.migrations.0012_fill_assignment_case_received")
    monkeypatch.setattr(fill, "BATCH", 3)  # several batches over the few rows
    Assignment.objects.update(case_received_at=None)
    fill.fill(None, SimpleNamespace(connection=connection))
    rows = Assignment.objects.select_related("case")
    assert rows.count() > 3 and all(a.case_received_at == a.case.received_at for a in rows)


def test_the_police_station_handler_filtering_by_labour_gets_an_answer(client, world, matters):
    """The user task of issue 13: a small unit's handler filters by a category it never handles."""
    from yimen.accounts.models import ApiToken

    user = world.handler2
    Membership.objects.filter(user=user).update(unit=world.police_station)
    headers = {"Authorization": f"Bearer {ApiToken.issue(user, name='tests')[1]}"}
    with count_queries() as few:
        response = client.get("/api/v1/cases", {"category": "labour"}, headers=headers)
    assert response.status_code == 200 and response.json()["items"] == []
    with count_queries() as some:
        response = client.get("/api/v1/cases", {"category": "property"}, headers=headers)
    assert response.status_code == 200 and len(response.json()["items"]) >= 1
    assert few <= 7 and some <= 7


def test_the_police_station_handlers_workbench_list_by_labour_answers(client, world, matters):
    user = world.handler2
    Membership.objects.filter(user=user).update(unit=world.police_station)
    client.force_login(user)
    client.get("/cases/")
    with count_queries() as queries:
        response = client.get("/cases/", {"category": "labour"})
    assert response.status_code == 200 and "查询范围过大" not in response.content.decode()
    assert queries <= 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement timeout exists on PostgreSQL only")
@override_settings(YIMEN_LIST_TIMEOUT_MS=1)
def test_no_narrow_your_filters_for_a_unit_scope_but_still_for_a_centre(world):
    def sleep():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.05)")

    with list_time_limit(world.handler):
        sleep()  # no timeout: a unit's list reads at most the unit's own volume
    from yimen.common.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        with list_time_limit(world.dispatcher):
            sleep()
    assert raised.value.code == "query_too_broad"


def _copies(case):
    return set(Assignment.objects.filter(case=case).values_list("case_status", "case_category_id", "case_risk",
                                                                 "case_urgency", "case_overdue"))


def test_the_assignments_copies_follow_the_matter_through_grading_resolution_and_the_sweep(world, time_machine):
    """What a unit's list filters on is the assignment's copy: it must say what the matter says after
    every move, or the unit's handler filtering by status, category or 超期 sees the wrong matters."""
    from yimen.cases.sweep import deadline_sweep

    time_machine.move_to(T0, tick=False)
    case = world.register(title="欠薪", category=world.labour, received_at=T0, urgency="urgent")
    case = transitions.case_triage(actor=world.dispatcher, case=case, category=world.neighbour, urgency="worrying", risk="yellow")
    case = transitions.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss, assist_units=[world.justice_office])
    assert _copies(case) == {("dispatched", world.neighbour.pk, "yellow", "worrying", False)}
    filters = CaseFilters(category="neighbour", status=["dispatched"], risk="yellow", urgency="worrying")
    assert [c.pk for c in case_list_for_user(user=world.handler, filters=filters)] == [case.pk]

    time_machine.move_to(case.due_at + dt.timedelta(hours=1), tick=False)
    deadline_sweep()
    case.refresh_from_db()
    assert case.overdue and _copies(case) == {("dispatched", world.neighbour.pk, "yellow", "worrying", True)}
    assert [c.pk for c in case_list_for_user(user=world.handler, filters=CaseFilters(overdue=True))] == [case.pk]
    assert not case_list_for_user(user=world.handler, filters=CaseFilters(overdue=False)).exists()

    transitions.assignment_accept(actor=world.handler, case=case)
    transitions.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已调解")
    case.refresh_from_db()
    assert _copies(case) == {(case.status, world.neighbour.pk, "yellow", "worrying", False)}
    assert [c.pk for c in case_list_for_user(user=world.handler, filters=CaseFilters(open=False))] == [case.pk]
    assert not case_list_for_user(user=world.handler, filters=CaseFilters(open=True)).exists()


def test_the_migration_fills_the_filter_copies_of_existing_assignments(world, matters, monkeypatch):
    fill = importlib.import_module("yimen.cases.migrations.0019_fill_assignment_case_copies")
    monkeypatch.setattr(fill, "BATCH", 3)  # several batches over the few rows
    expected = {a.pk: (a.case.status, a.case.category_id, a.case.risk, a.case.urgency, a.case.channel)
                for a in Assignment.objects.select_related("case")}
    Assignment.objects.update(case_status="", case_category=None, case_risk="", case_urgency="", case_channel="")
    fill.fill(None, SimpleNamespace(connection=connection))
    found = {a.pk: (a.case_status, a.case_category_id, a.case_risk, a.case_urgency, a.case_channel)
             for a in Assignment.objects.all()}
    assert len(found) > 3 and found == expected
