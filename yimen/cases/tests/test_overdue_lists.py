"""A centre's `overdue` list is driven from the overdue matters' own table (cases/overdue.py), which
triggers on the matters keep; it lists exactly what the matters' own scope lists, in the same order."""

import datetime as dt
from unittest import mock

import pytest

from yimen.accounts.scopes import region_only_scope
from yimen.cases import selectors, transitions
from yimen.cases.models import Case, OverdueMatter
from yimen.cases.overdue import mismatched_overdue_rows
from yimen.cases.selectors import CaseFilters, case_list_for_user
from yimen.cases.sweep import deadline_sweep

from .test_unit_lists import SORTS, _walk

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def overdue_world(world):
    """Matters in two townships, pairs received at the same moment; all run past their limits, then
    one resolved, one withdrawn, and one new matter not yet overdue."""
    made = []
    for i in range(8):
        received = T0 + dt.timedelta(hours=i // 2)
        if i % 3 == 2:
            case = world.register(actor=world.other_clerk, region=world.village2, title=f"石门{i}", received_at=received,
                                  category=[world.labour, world.neighbour][i % 2])
        else:
            case = world.register(title=f"桃源{i}", received_at=received, category=[world.labour, world.neighbour][i % 2],
                                  urgency=["annoying", "urgent"][i % 2])
        made.append(case)
    transitions.case_dispatch(actor=world.dispatcher, case=made[0], lead_unit=world.hrss)
    deadline_sweep(now=T0 + dt.timedelta(days=120))
    assert OverdueMatter.objects.count() == 8
    transitions.case_withdraw(actor=world.admin, case=Case.objects.get(pk=made[1].pk), reason="当事人已自行和解，撤回")
    assert OverdueMatter.objects.count() == 7
    world.register(title="新事项", received_at=T0 + dt.timedelta(days=119))
    return made


def _matters_own_scope(user, filters, sort):
    """The list as the matters' own scope gives it (visible_cases_q with the flag), not the table."""
    with mock.patch.object(selectors, "region_only_scope", lambda user: None):
        return [c.number for c in case_list_for_user(user=user, filters=filters, sort=sort)]


FILTERS = [
    CaseFilters(overdue=True),
    CaseFilters(overdue=True, category="labour"),
    CaseFilters(overdue=True, open=True),
    CaseFilters(overdue=True, urgency="urgent"),
    CaseFilters(overdue=True, region="449001002"),
    CaseFilters(overdue=True, received_from=T0 + dt.timedelta(hours=1), received_to=T0 + dt.timedelta(hours=3)),
    CaseFilters(overdue=True, text="桃源"),
]


@pytest.mark.parametrize("who", ["dispatcher", "other_clerk", "supervisor", "city_dispatcher", "admin", "grid_worker"])
def test_a_centres_overdue_list_is_the_matters_own_for_every_filter_and_sort(world, overdue_world, who):
    user = getattr(world, who)
    user = type(user).objects.get(pk=user.pk)
    assert region_only_scope(user)
    seen_any = False
    for filters in FILTERS:
        for sort in SORTS:
            expected = _matters_own_scope(user, filters, sort)
            assert [c.number for c in case_list_for_user(user=user, filters=filters, sort=sort)] == expected, (filters, sort)
            assert _walk(user, filters, sort) == expected, (filters, sort)
            seen_any = seen_any or bool(expected)
    assert seen_any or who == "grid_worker"


def test_the_table_follows_the_flag_through_the_sweep_resolution_bulk_writes_and_deletes(world):
    case = world.register(received_at=T0)
    other = world.register(received_at=T0 + dt.timedelta(hours=1))
    assert not OverdueMatter.objects.exists()

    deadline_sweep(now=T0 + dt.timedelta(days=120))  # both run past their limit
    assert set(OverdueMatter.objects.values_list("case_id", flat=True)) == {case.pk, other.pk}
    row = OverdueMatter.objects.get(case=case)
    assert (row.region_code, row.received_at) == (case.region_code, case.received_at)

    transitions.case_withdraw(actor=world.admin, case=Case.objects.get(pk=case.pk), reason="当事人已自行和解，撤回")
    assert list(OverdueMatter.objects.values_list("case_id", flat=True)) == [other.pk]

    Case.objects.filter(pk=other.pk).update(region_code=world.village2.code)  # a bulk write moves the copy too
    assert OverdueMatter.objects.get(case=other).region_code == world.village2.code
    Case.objects.filter(pk=other.pk).update(overdue=False)
    assert not OverdueMatter.objects.exists()
    Case.objects.filter(pk=other.pk).update(overdue=True)
    Case.objects.filter(pk=other.pk).delete()
    assert not OverdueMatter.objects.exists() and mismatched_overdue_rows() == []


def test_a_unit_role_beside_a_centre_role_keeps_the_matters_own_scope(world):
    from yimen.accounts.models import Membership, Role

    Membership.objects.create(user=world.dispatcher, role=Role.HANDLER, region=world.county, unit=world.hrss)
    user = type(world.dispatcher).objects.get(pk=world.dispatcher.pk)
    assert region_only_scope(user) is None
    assert region_only_scope(type(world.handler).objects.get(pk=world.handler.pk)) is None
    assert region_only_scope(world.admin) == ("",)
