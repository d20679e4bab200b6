"""The home page: each role's worklist, with counts that link to the filtered lists."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yimen.cases import transitions as t


def _tile(html: str, key: str) -> str:
    match = re.search(rf'data-tile="{key}"><span class="count">([^<]*)</span>', html)
    assert match, f"no tile {key}"
    return match.group(1)


def test_home_asks_for_sign_in(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_a_handler_sees_to_sign_and_in_progress_of_their_unit(client, world):
    pending = world.dispatched()
    world.in_progress(title="已签收的欠薪")
    housing = world.register(title="楼道漏水")
    t.case_dispatch(actor=world.dispatcher, case=housing, lead_unit=world.housing)
    client.force_login(world.handler)
    html = client.get(reverse("web:home")).content.decode()
    assert _tile(html, "to_sign") == "1" and _tile(html, "unit_in_progress") == "1"
    assert _tile(html, "unit_overdue") == "0"
    assert pending.number in html and housing.number not in html
    assert f'{reverse("web:inbox")}?tab=to_sign' in html
    assert "登记新事项" not in html  # a handler does not register matters
    assert 'data-tile="queue"' not in html


def test_a_dispatcher_sees_the_centres_queue_with_a_dispatch_link(client, world):
    waiting = world.register(title="待派单的邻里纠纷")
    returned = world.dispatched(title="被退回的欠薪")
    t.assignment_return(actor=world.handler, case=returned, reason="不属本单位")
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:home")).content.decode()
    assert _tile(html, "queue") == "2" and _tile(html, "returned") == "1"
    assert reverse("web:case_dispatch", args=[waiting.number]) in html
    assert reverse("web:case_dispatch", args=[returned.number]) in html
    assert reverse("web:window") in html and "登记新事项" in html


def test_a_clerk_of_another_township_sees_none_of_taoyuans_work(client, world):
    case = world.in_progress()
    t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付")
    client.force_login(world.other_clerk)
    html = client.get(reverse("web:home")).content.decode()
    assert case.number not in html and _tile(html, "follow_ups") == "0"
    client.force_login(world.clerk)
    html = client.get(reverse("web:home")).content.decode()
    assert case.number in html and _tile(html, "follow_ups") == "1"


def test_a_supervisor_sees_extensions_awaiting_their_decision(client, world):
    case = world.in_progress()
    t.extension_request(actor=world.handler, case=case, amount=3, reason="需调取考勤记录")
    client.force_login(world.supervisor)
    html = client.get(reverse("web:home")).content.decode()
    assert _tile(html, "extensions") == "1" and "申请延长3" in html
    assert _tile(html, "in_progress") == "1"
    assert 'data-tile="queue"' not in html  # supervisors do not dispatch


def test_a_user_with_nothing_to_do_is_told_so(client, world):
    # An external system's account (12345) registers matters and works no list; an expert now works
    # their unit's inbox (issue 12 B.5), so the old expert persona here has a unit card.
    client.force_login(world.external)
    html = client.get(reverse("web:home")).content.decode()
    assert "暂无待办事项" in html


def _count_home_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("web:home")).status_code == 200
    return len(queries)


def test_home_takes_the_same_number_of_queries_with_2_and_8_matters(client, world):
    def make(n):
        for i in range(n):
            case = world.in_progress(title=f"欠薪{i}")
            t.supervision_issue(actor=world.supervisor, case=case, content="请加快")
            t.extension_request(actor=world.handler, case=case, amount=2, reason="需要时间")
            world.register(title=f"待派{i}")

    users = (world.dispatcher, world.handler, world.supervisor)
    make(2)
    few = [_count_home_queries(client, u) for u in users]
    make(6)
    assert [_count_home_queries(client, u) for u in users] == few


def test_a_dispatcher_with_an_empty_queue_sees_zero_tiles_not_an_empty_page(client, world):
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:home")).content.decode()
    assert _tile(html, "queue") == "0" and "暂无待办事项" not in html and "队列为空" in html
