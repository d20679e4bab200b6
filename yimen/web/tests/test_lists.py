"""The matter list (事项台账): filters, sorting, paging, scope, saved filters."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.cases import transitions as t
from yimen.cases.models import Case
from yimen.common.querycount import count_queries
from yimen.web.models import SavedFilter

URL = "/cases/"


def _numbers(response) -> list[str]:
    """The matter numbers in the table, in order."""
    import re

    return re.findall(r'<td class="num">.*?>(\d{9}-\d{4}-\d{6})</a>', response.content.decode())


def _get(client, user, query=""):
    client.force_login(user)
    response = client.get(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_list_shows_the_users_matters_newest_first_with_badges(client, world):
    older = world.register(title="邻居漏水", category=world.neighbour)
    newer = world.dispatched(title="拖欠工资")
    response = _get(client, world.clerk)
    html = response.content.decode()
    assert _numbers(response) == [newer.number, older.number]
    assert "拖欠工资" in html and "邻居漏水" in html
    assert "badge status" in html and "badge ungraded" in html  # registered, not yet graded: 待研判
    assert "共 2 件事项" in html
    assert reverse("web:case_list") == URL


def test_an_outsider_sees_none_of_another_countys_matters(client, world):
    world.register()
    response = _get(client, world.outsider)
    assert _numbers(response) == []
    assert "没有符合条件的事项" in response.content.decode()


def test_a_handler_sees_only_matters_dispatched_to_their_unit(client, world):
    world.register(title="未派单")
    dispatched = world.dispatched(title="已派人社")
    assert _numbers(_get(client, world.handler)) == [dispatched.number]
    assert _numbers(_get(client, world.housing_handler)) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=dispatched", ["dispatched"]),
        ("status=dispatched&status=not_accepted", ["dispatched", "closed"]),
        ("category=neighbour", ["neighbour"]),
        ("risk=red", ["red"]),
        ("urgency=urgent", ["urgent"]),
        ("channel=phone", ["phone"]),
        ("region=449001002", ["shimen"]),
        ("open=false", ["closed"]),
        ("text=漏水", ["neighbour"]),
    ],
)
def test_each_filter_narrows_the_list(client, world, query, expected):
    made = {
        "plain": world.register(),
        "dispatched": world.dispatched(),
        "neighbour": world.register(title="楼上漏水", category=world.neighbour),
        "red": world.register(risk="red"),
        "urgent": world.register(urgency="urgent"),
        "phone": world.register(channel="phone"),
        "shimen": world.register(region=world.grid2, actor=world.other_clerk),
    }
    made["closed"] = t.case_not_accept(actor=world.dispatcher, case=world.register(), reason="不属于受理范围", where_to_go="法院")
    shown = set(_numbers(_get(client, world.county_dispatcher, query)))
    assert shown == {made[key].number for key in expected}


def test_the_category_filter_includes_subcategories(client, world):
    from yimen.cases.models import Category

    arrears = Category.objects.create(code="wage-arrears", name="欠薪", parent=world.labour)
    child = world.register(category=arrears)
    parent = world.register(category=world.labour)
    world.register(category=world.neighbour)
    assert set(_numbers(_get(client, world.clerk, "category=labour"))) == {child.number, parent.number}


def test_the_unit_filter_shows_matters_dispatched_to_that_unit(client, world):
    world.register()
    dispatched = world.dispatched()
    assert _numbers(_get(client, world.clerk, f"unit={world.justice_office.pk}")) == [dispatched.number]


def test_the_overdue_and_date_filters_narrow_the_list(client, world):
    late = world.register()
    Case.objects.filter(pk=late.pk).update(overdue=True, received_at=timezone.now() - dt.timedelta(days=40))
    fresh = world.register()
    assert _numbers(_get(client, world.clerk, "overdue=true")) == [late.number]
    assert _numbers(_get(client, world.clerk, "overdue=false")) == [fresh.number]
    today = timezone.localdate().isoformat()
    assert _numbers(_get(client, world.clerk, f"received_from={today}")) == [fresh.number]
    assert _numbers(_get(client, world.clerk, f"received_to={(timezone.localdate() - dt.timedelta(days=30)).isoformat()}")) == [late.number]


def test_a_wrong_filter_keeps_what_was_typed_and_names_the_field_in_chinese(client, world):
    world.register()
    response = _get(client, world.clerk, "region=abc&received_from=2025-05-02&received_to=2025-05-01&text=漏水")
    html = response.content.decode()
    assert "发生地（区划，含下级）" in html and "请选择区划" in html
    assert "受理日期止不能早于受理日期起" in html
    assert 'value="abc"' in html and 'value="漏水"' in html
    assert _numbers(response) == []


def test_sorting_by_risk_puts_red_first_and_by_received_oldest_first(client, world):
    blue = world.register(risk="blue")
    red = world.register(risk="red")
    yellow = world.register(risk="yellow")
    assert _numbers(_get(client, world.clerk, "sort=risk")) == [red.number, yellow.number, blue.number]
    assert _numbers(_get(client, world.clerk, "sort=received")) == [blue.number, red.number, yellow.number]
    assert _numbers(_get(client, world.clerk)) == [yellow.number, red.number, blue.number]


def test_sorting_by_due_puts_the_soonest_limit_first_and_matters_without_one_last(client, world):
    undispatched = world.register()
    later = world.dispatched()
    sooner = world.dispatched()
    Case.objects.filter(pk=later.pk).update(due_at=timezone.now() + dt.timedelta(days=9))
    Case.objects.filter(pk=sooner.pk).update(due_at=timezone.now() + dt.timedelta(days=2))
    assert _numbers(_get(client, world.clerk, "sort=due")) == [sooner.number, later.number, undispatched.number]


def test_sorting_by_status_follows_the_workflow(client, world):
    in_progress = world.in_progress()
    registered = world.register()
    dispatched = world.dispatched()
    assert _numbers(_get(client, world.clerk, "sort=status")) == [registered.number, dispatched.number, in_progress.number]


def test_a_costly_sort_on_a_long_list_falls_back_to_the_newest_first_and_says_so(client, world, monkeypatch):
    from yimen.cases import selectors

    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 2)
    cases = [world.register(risk=r) for r in ("red", "blue", "red")]
    response = _get(client, world.clerk, "sort=risk")
    assert _numbers(response) == [c.number for c in reversed(cases)]
    assert "无法按所选列排序" in response.content.decode()


def test_keyset_pages_walk_the_whole_list_forwards_and_back(client, world, monkeypatch):
    from yimen.web.views import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    made = [world.register() for _ in range(5)]
    newest_first = [c.number for c in reversed(made)]
    client.force_login(world.clerk)
    first = client.get(URL)
    assert _numbers(first) == newest_first[:2]
    seen, response = [], first
    while True:
        seen += _numbers(response)
        next_link = response.context["links"].get("next")
        if not next_link:
            break
        response = client.get(URL + next_link)
    assert seen == newest_first
    back = client.get(URL + response.context["links"]["prev"])
    assert _numbers(back) == newest_first[2:4]


def test_a_bad_page_cursor_says_so_in_chinese(client, world):
    world.register()
    response = _get(client, world.clerk, "after=garbage")
    assert "分页位置无效" in response.content.decode()


def test_an_htmx_request_gets_only_the_rows_partial(client, world):
    case = world.register(risk="blue")
    client.force_login(world.clerk)
    response = client.get(URL + "?risk=blue", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert case.number in html
    assert "<html" not in html and 'id="sort-field" hx-swap-oob="true"' in html
    assert [tpl.name for tpl in response.templates][0] == "web/lists/_case_rows.html"


def test_the_filter_form_works_without_javascript(client, world):
    world.register()
    html = _get(client, world.clerk).content.decode()
    assert 'method="get" action="/cases/"' in html and 'hx-push-url="true"' in html
    assert '<label for="id_category">' in html


def test_a_signed_out_visitor_is_sent_to_sign_in(client, db):
    assert client.get(URL).status_code == 302


def _count_queries(client, user, query=""):
    client.force_login(user)
    with count_queries() as captured:
        response = client.get(URL + query)
    assert response.status_code == 200
    return captured, len(_numbers(response))


@pytest.mark.parametrize("query", ["", "?sort=risk", "?open=true&category=labour"])
def test_the_list_makes_the_same_number_of_queries_for_3_and_12_matters(client, world, query):
    for _ in range(3):
        world.dispatched()
    few, shown = _count_queries(client, world.clerk, query)
    assert shown == 3
    for _ in range(9):
        world.dispatched()
    many, shown = _count_queries(client, world.clerk, query)
    assert shown == 12 and many == few


# Saved filters -------------------------------------------------------------------------------


def test_a_saved_filter_round_trip(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:saved_filter_create"), {"name": "红色在办", "query": "risk=red&open=true&after=xyz"})
    saved = SavedFilter.objects.get(user=world.clerk)
    assert saved.name == "红色在办" and saved.query == "risk=red&open=true"
    assert response.status_code == 302 and response["Location"] == "/cases/?risk=red&open=true"
    page = client.get(URL).content.decode()
    assert "红色在办" in page and reverse("web:saved_filter_apply", args=[saved.pk]) in page
    applied = client.get(reverse("web:saved_filter_apply", args=[saved.pk]))
    assert applied["Location"] == "/cases/?risk=red&open=true"
    deleted = client.post(reverse("web:saved_filter_delete", args=[saved.pk]), {"back": "risk=red"})
    assert deleted["Location"] == "/cases/?risk=red" and not SavedFilter.objects.exists()


def test_saving_under_an_existing_name_updates_that_filter(client, world):
    client.force_login(world.clerk)
    client.post(reverse("web:saved_filter_create"), {"name": "我的", "query": "risk=red"})
    client.post(reverse("web:saved_filter_create"), {"name": "我的", "query": "risk=blue"})
    assert list(SavedFilter.objects.values_list("name", "query")) == [("我的", "risk=blue")]


def test_a_saved_filter_needs_a_name_and_keeps_the_list_on_error(client, world):
    case = world.register(risk="blue")
    client.force_login(world.clerk)
    response = client.post(reverse("web:saved_filter_create"), {"name": "  ", "query": "risk=blue"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "筛选名称" in html and "errorlist" in html and case.number in html
    assert not SavedFilter.objects.exists()


def test_another_user_can_neither_see_nor_apply_nor_delete_your_saved_filter(client, world):
    saved = SavedFilter.objects.create(user=world.clerk, name="私人筛选", query="risk=red")
    client.force_login(world.dispatcher)
    assert "私人筛选" not in client.get(URL).content.decode()
    assert client.get(reverse("web:saved_filter_apply", args=[saved.pk])).status_code == 404
    assert client.post(reverse("web:saved_filter_delete", args=[saved.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_saved_filter_name_is_unique_per_user_only(world):
    SavedFilter.objects.create(user=world.clerk, name="同名", query="")
    SavedFilter.objects.create(user=world.dispatcher, name="同名", query="")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SavedFilter.objects.create(user=world.clerk, name="同名", query="x")


def test_each_number_opens_the_matter_page_and_the_export_link_keeps_the_filters(client, world):
    case = world.register(risk="red")
    html = _get(client, world.clerk, "risk=red&after=").content.decode()
    assert f'href="{reverse("web:case_detail", args=[case.number])}"' in html
    assert 'href="/cases/export.xlsx?risk=red"' in html


def test_a_unit_outside_the_users_reach_cannot_be_chosen(client, world):
    world.register()
    html = _get(client, world.clerk, f"unit={world.minghu_hrss.pk}").content.decode()
    assert "承办单位" in html and "errorlist" in html


def test_a_too_broad_filter_asks_in_chinese_to_narrow_it(client, world, monkeypatch):
    from yimen.common.errors import InvalidInput
    from yimen.web.views import lists

    def too_broad(**kwargs):
        raise InvalidInput("查询范围过大，请缩小筛选范围（例如加上受理时间段、状态或类别）。", code="query_too_broad")

    monkeypatch.setattr(lists, "case_page", too_broad)
    html = _get(client, world.clerk, "text=工资").content.decode()
    assert "查询范围过大，请缩小筛选范围" in html and 'value="工资"' in html
