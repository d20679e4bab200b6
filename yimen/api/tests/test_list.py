import datetime as dt

import pytest
from django.db import connection

from yimen.cases.models import Case
from yimen.cases.transitions import case_dispatch
from yimen.common.querycount import count_queries

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _numbers(response):
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


@pytest.fixture
def cases(world):
    """Five matters, varied on every filter; oldest first."""
    made = [
        world.register(received_at=T0, title="欠薪一", channel="walk_in", urgency="urgent", risk="red"),
        world.register(received_at=T0 + dt.timedelta(days=1), title="邻里噪声", category=world.neighbour, channel="phone"),
        world.register(received_at=T0 + dt.timedelta(days=2), title="物业费", category=world.property, region=world.village),
        world.register(received_at=T0 + dt.timedelta(days=3), title="欠薪二", channel="grid", risk="yellow"),
        world.register(received_at=T0 + dt.timedelta(days=4), title="石门纠纷", region=world.grid2, actor=world.other_clerk),
    ]
    Case.objects.filter(pk=made[0].pk).update(overdue=True)
    return made


def test_the_list_is_newest_first_with_labels_and_due_text(api, world, cases):
    body = api.get(world.county_dispatcher, "/cases").json()
    assert [i["title"] for i in body["items"]] == ["石门纠纷", "欠薪二", "物业费", "邻里噪声", "欠薪一"]
    item = body["items"][1]
    assert item["status_label"] == "已登记" and item["category"] == {"code": "labour", "name": "劳资/欠薪"}
    assert item["risk_label"] == "黄色" and item["channel_label"] == "网格员上报"
    assert item["owning_centre"]["name"] == "桃源镇综治中心"
    assert item["due_text"] and item["due_at"]
    assert body["next_cursor"] is None and body["count"] is None


def test_each_user_sees_only_their_area(api, world, cases):
    assert len(_numbers(api.get(world.clerk, "/cases"))) == 4  # not 石门镇's
    assert _numbers(api.get(world.other_clerk, "/cases")) == [cases[4].number]
    assert _numbers(api.get(world.outsider, "/cases")) == []
    assert _numbers(api.get(world.handler, "/cases")) == []  # nothing dispatched to the bureau yet


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"status": "registered"}, ["石门纠纷", "欠薪二", "物业费", "邻里噪声", "欠薪一"]),
        ({"status": "dispatched,archived"}, []),
        ({"category": "neighbour"}, ["邻里噪声"]),
        ({"risk": "red"}, ["欠薪一"]),
        ({"urgency": "urgent"}, ["欠薪一"]),
        ({"overdue": "true"}, ["欠薪一"]),
        ({"channel": "grid"}, ["欠薪二"]),
        ({"region": "449001002"}, ["石门纠纷"]),
        ({"region": "449001001001001"}, ["欠薪二", "邻里噪声", "欠薪一"]),
        ({"received_from": "2025-03-04", "received_to": "2025-03-05"}, ["物业费", "邻里噪声"]),
        ({"received_from": "2025-03-06T09:00:00+08:00"}, ["石门纠纷", "欠薪二"]),
        ({"received_to": "2025-03-04T09:00:00"}, ["欠薪一"]),
        ({"text": "欠薪"}, ["欠薪二", "欠薪一"]),
        ({"open": "false"}, []),
    ],
)
def test_filters(api, world, cases, params, titles):
    body = api.get(world.county_dispatcher, "/cases", **params).json()
    assert [i["title"] for i in body["items"]] == titles


def test_the_text_filter_finds_a_whole_number(api, world, cases):
    assert _numbers(api.get(world.clerk, "/cases", text=cases[2].number)) == [cases[2].number]


def test_repeated_status_parameters_are_all_used(api, world, cases):
    response = api.client.get("/api/v1/cases?status=registered&status=archived", headers=api.headers(world.clerk))
    assert len(_numbers(response)) == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status[0]"),
        ({"risk": "purple"}, "risk"),
        ({"overdue": "maybe"}, "overdue"),
        ({"received_from": "last week"}, "received_from"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"region": "44a"}, "region"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(api, world, cases, params, field):
    response = api.get(world.clerk, "/cases", **params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "（" + field in response.json()["message"] or field == "cursor"


def test_keyset_pages_walk_every_row_once_even_with_equal_times(api, world, cases):
    # Two more at exactly the same moment: the id breaks the tie.
    twins = [world.register(received_at=T0 + dt.timedelta(days=2), title=f"同时{i}") for i in range(2)]
    expected = list(Case.objects.filter(region_code__startswith="449001001").order_by("-received_at", "-id").values_list("number", flat=True))
    assert {t.number for t in twins} <= set(expected)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get(world.clerk, "/cases", **params).json()
        seen += [i["number"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 3


def test_count_is_only_given_when_asked(api, world, cases):
    assert api.get(world.clerk, "/cases", limit=1).json()["count"] is None
    body = api.get(world.clerk, "/cases", limit=1, count="true").json()
    assert body["count"] == 4 and len(body["items"]) == 1 and body["next_cursor"]


def _queries(api, user, **params) -> int:
    with count_queries() as captured:
        response = api.get(user, "/cases", **params)
    assert response.status_code == 200
    return captured


@pytest.mark.parametrize("who", ["clerk", "handler"])
def test_the_list_costs_the_same_queries_for_3_or_30_rows(api, world, who):
    for i in range(30):
        case = world.register(received_at=T0 + dt.timedelta(hours=i), category=[world.labour, world.neighbour, None][i % 3])
        if i % 2:  # the handler sees these through the assignment
            case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss)
    user = getattr(world, who)
    _queries(api, user)  # warm: the token's last_used_at is written once
    small, large = _queries(api, user, limit=3), _queries(api, user, limit=30)
    assert small == large
    # token (+ user), memberships, the page; nothing per row. On PostgreSQL the page runs in its own
    # (nested) transaction with a statement timeout: savepoint, set_config, release.
    from django.db import connection

    assert large <= 3 + (3 if connection.vendor == "postgresql" else 0)
