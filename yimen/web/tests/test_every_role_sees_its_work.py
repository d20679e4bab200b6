"""Every role reaches its work from home (issue 12 B.5): each open assignment of the user's units is
one click away (home links to the inbox, and the inbox lists it), and a grid worker's home shows
their own open reports and the follow-ups on their grid."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.accounts.scopes import unit_ids_for
from yimen.cases import transitions as t
from yimen.cases.models import LIVE_ASSIGNMENT_STATUSES, Assignment

UNIT_PERSONAS = ["handler", "justice_handler", "mediator", "expert"]


def _open_work(world):
    """Matters with live assignments for every unit persona: the labour bureau leads and the 司法所
    assists; one goes to the mediation committee; one assignment is overdue."""
    world.dispatched(title="欠薪待签收")
    world.in_progress(title="欠薪办理中")
    neighbours = world.register(title="邻里噪音", category=world.neighbour)
    t.case_dispatch(actor=world.dispatcher, case=neighbours, lead_unit=world.mediation_committee)
    Assignment.objects.filter(unit=world.justice_office).update(due_at=timezone.now() - dt.timedelta(days=3))


@pytest.mark.parametrize("persona", UNIT_PERSONAS)
def test_every_open_assignment_of_the_users_units_is_one_click_from_home(client, world, persona):
    _open_work(world)
    user = getattr(world, persona)
    open_assignments = Assignment.objects.filter(unit_id__in=unit_ids_for(user), status__in=LIVE_ASSIGNMENT_STATUSES)
    numbers = set(open_assignments.values_list("case__number", flat=True))
    assert numbers, persona
    client.force_login(user)

    home = client.get(reverse("web:home")).content.decode()
    inbox_url = reverse("web:inbox")
    assert f'href="{inbox_url}"' in home  # the navigation and the home card's "查看全部待办"
    inbox = client.get(inbox_url)
    assert inbox.status_code == 200
    listed = inbox.content.decode()
    assert all(number in listed for number in numbers), (persona, numbers)


def test_an_experts_overdue_assignment_shows_on_their_home(client, world):
    _open_work(world)
    client.force_login(world.expert)
    home = client.get(reverse("web:home")).content.decode()
    assert f'{reverse("web:inbox")}?tab=overdue' in home
    assert 'data-tile="unit_overdue"><span class="count">2</span>' in home  # both 司法所 assignments


def test_a_grid_workers_home_shows_their_open_reports_and_follow_ups(client, world):
    mine = world.register(actor=world.grid_worker, title="网格员上报：楼道堆物")
    someone_elses = world.register(title="窗口登记的欠薪")
    client.force_login(world.grid_worker)
    home = client.get(reverse("web:home")).content.decode()
    assert reverse("web:case_detail", args=[mine.number]) in home
    assert someone_elses.number not in home
    assert 'data-tile="reports"><span class="count">1</span>' in home
    assert 'data-tile="follow_ups"' in home
    assert "暂无待办事项" not in home
