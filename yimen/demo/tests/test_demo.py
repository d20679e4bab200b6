"""`yimen demo load`: a whole fictional city, people at every level, and matters in every state."""

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from yimen.accounts.models import Membership, Role, User
from yimen.cases.models import Case, CaseEvent, Deadline, Status
from yimen.demo.geography import CITY_CODE
from yimen.demo.staff import DEMO_PASSWORD
from yimen.regions.models import Centre, Level, Region, Stationing, StationingMode, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings):
    settings.YIMEN_DEMO = True


def _load(matters=60) -> str:
    out = StringIO()
    call_command("demo", "load", "--matters", str(matters), stdout=out)
    return out.getvalue()


def _counts():
    return {model.__name__: model.objects.count() for model in (Region, Centre, Unit, User, Membership, Case, CaseEvent)}


def test_it_builds_a_region_tree_with_a_centre_at_every_level_above_the_grid():
    _load()
    regions = Region.objects.filter(code__startswith=CITY_CODE)
    levels = set(regions.values_list("level", flat=True))
    assert levels == {Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GRID}
    for region in regions.select_related("parent"):
        if region.parent_id:
            assert region.code.startswith(region.parent.code)
    above_grid = regions.exclude(level=Level.GRID)
    assert Centre.objects.filter(region__in=above_grid).count() == above_grid.count()
    assert not Centre.objects.filter(region__level=Level.GRID).exists()
    assert regions.filter(level=Level.GRID, households__isnull=False, latitude__isnull=False).count() == regions.filter(
        level=Level.GRID).count()
    assert set(Stationing.objects.values_list("mode", flat=True)) == set(StationingMode.values)


def test_it_creates_an_account_for_every_role_all_with_the_demo_password():
    _load()
    # Residents have no accounts: they prove a phone or a matter on the residents' pages.
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values) - {Role.RESIDENT}
    for username in ("clerk_taoyuan", "dispatcher_qingxi", "handler_qingxi_hrss", "grid_taoyuan_xinghua_1",
                     "mediator_taoyuan", "hotline_qingxi", "director_yunchuan", "expert_qingxi"):
        user = User.objects.get(username=username)
        assert check_password(DEMO_PASSWORD, user.password)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and check_password(DEMO_PASSWORD, admin.password)


def test_it_leaves_matters_in_every_status_with_timelines_in_the_past():
    _load()
    assert Case.objects.count() == 60
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    now = timezone.now()
    assert CaseEvent.objects.aggregate(last=Max("created_at"))["last"] <= now
    # Every matter starts with its registration, and its events run forwards in time.
    for case in Case.objects.prefetch_related("events"):
        events = sorted(case.events.all(), key=lambda e: e.id)
        assert events[0].kind == "registered"
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    # Some matters were left alone long enough to be overdue now.
    assert Deadline.objects.filter(state="open", due_at__lt=now).exists()
    assert Case.objects.filter(escalation_count__gt=0).exists()
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert Case.objects.filter(is_joint=True).exists()
    assert Case.objects.filter(resolved_on_spot=True).exists()


def test_loading_twice_creates_nothing_new_and_the_table_names_the_address_served():
    _load()
    before = _counts()
    output = _load()
    assert _counts() == before
    assert "演示数据已存在" in output
    table = StringIO()
    call_command("demo", "table", "--base-url", "http://127.0.0.1:8123/", stdout=table)
    assert "clerk_taoyuan" in table.getvalue() and DEMO_PASSWORD in table.getvalue()
    assert "http://127.0.0.1:8123/admin/" in table.getvalue()
