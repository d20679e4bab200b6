"""督办看板: due-soon and overdue per unit and centre, the drill-down, supervise, escalate and
the extension requests, each button only where the user may act."""

from datetime import timedelta

import time_machine
from django.urls import reverse

from yimen.cases import transitions as t
from yimen.cases.models import Assignment
from yimen.common.querycount import count_queries

BOARD = "/supervise/"


def _lead(case):
    return Assignment.objects.get(case=case, part="lead", status__in=["pending", "accepted"])


def _late(case):
    return time_machine.travel(_lead(case).due_at + timedelta(days=2, hours=1), tick=False)


def test_the_board_url_is_named():
    assert reverse("web:supervise") == BOARD


def test_the_supervisor_sees_overdue_units_and_the_assignments_behind_them(client, world):
    case = world.in_progress()
    with _late(case):
        client.force_login(world.supervisor)
        html = client.get(BOARD).content.decode()
        drill = client.get(BOARD, {"unit": world.hrss.pk, "kind": "overdue"}).content.decode()
    assert f'data-unit="{world.hrss.pk}"' in html and world.hrss.name in html
    assert f'data-centre="{world.township.code}"' in html and "桃源镇综治中心" in html
    assert case.number in drill and "已超期2天" in drill
    assert '<td class="num">2</td>' in drill  # whole days overdue


def test_supervise_and_escalate_forms_post_to_the_action_endpoint(client, world):
    case = world.in_progress()
    with _late(case):
        client.force_login(world.supervisor)
        html = client.get(BOARD, {"kind": "overdue"}).content.decode()
    assert f'action="{reverse("web:case_act", args=[case.number, "supervise"])}"' in html
    assert f'name="unit" value="{world.hrss.pk}"' in html and 'name="content"' in html
    # The county supervisor acts over matters owned by centres in the county, the township's included.
    assert f'action="{reverse("web:case_act", args=[case.number, "escalate"])}"' in html


def test_a_dispatcher_sees_the_board_but_no_supervise_button(client, world):
    case = world.in_progress()
    with _late(case):
        client.force_login(world.dispatcher)
        html = client.get(BOARD, {"kind": "overdue"}).content.decode()
    assert case.number in html
    assert reverse("web:case_act", args=[case.number, "supervise"]) not in html  # 督办 is for leaders
    assert reverse("web:case_act", args=[case.number, "escalate"]) in html


def test_issuing_a_supervision_order_from_the_board(client, world):
    case = world.in_progress()
    client.force_login(world.supervisor)
    response = client.post(
        reverse("web:case_act", args=[case.number, "supervise"]),
        {"content": "请两日内回复进展", "unit": world.hrss.pk, "status_seen": "in_progress", "next": BOARD},
    )
    assert response.status_code == 302 and response["Location"] == BOARD
    assert case.supervision_orders.get().unit == world.hrss
    assert case.events.filter(kind="supervised").exists()


def test_another_countys_dispatcher_sees_none_of_qingxis_units(client, world):
    case = world.in_progress()
    with _late(case):
        client.force_login(world.outsider)
        html = client.get(BOARD, {"unit": world.hrss.pk}).content.decode()
    assert case.number not in html and f'data-unit="{world.hrss.pk}"' not in html


def test_roles_that_do_not_supervise_get_403(client, world):
    for user in (world.handler, world.clerk, world.grid_worker):
        client.force_login(user)
        assert client.get(BOARD).status_code == 403


def test_pending_extensions_with_approve_and_refuse(client, world):
    case = world.in_progress()
    extension = t.extension_request(actor=world.handler, case=case, amount=3, reason="需调取考勤记录")
    client.force_login(world.supervisor)
    html = client.get(BOARD).content.decode()
    assert "需调取考勤记录" in html and f'name="extension_id" value="{extension.pk}"' in html
    assert reverse("web:case_act", args=[case.number, "approve_extension"]) in html
    assert reverse("web:case_act", args=[case.number, "refuse_extension"]) in html
    client.force_login(world.dispatcher)  # sees the request, may not decide it
    html = client.get(BOARD).content.decode()
    assert "需调取考勤记录" in html
    assert reverse("web:case_act", args=[case.number, "approve_extension"]) not in html


def test_refusing_an_extension_without_a_reason_is_refused_by_the_service(client, world):
    case = world.in_progress()
    extension = t.extension_request(actor=world.handler, case=case, amount=3, reason="需调取考勤记录")
    client.force_login(world.supervisor)
    response = client.post(
        reverse("web:case_act", args=[case.number, "refuse_extension"]),
        {"extension_id": extension.pk, "reason": "", "status_seen": "in_progress", "next": BOARD},
    )
    assert response.status_code == 400
    extension.refresh_from_db()
    assert extension.status == "pending"


def test_an_htmx_request_gets_the_drill_down_partial(client, world):
    case = world.in_progress()
    with _late(case):
        client.force_login(world.supervisor)
        response = client.get(BOARD, {"kind": "overdue"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert case.number in html and "<html" not in html
    assert response.templates[0].name == "web/supervise/_board_rows.html"


def _count(client, user, **params):
    client.force_login(user)
    with count_queries() as queries:
        assert client.get(BOARD, params).status_code == 200
    return queries


def test_the_board_takes_the_same_number_of_queries_with_2_and_8_rows(client, world):
    def make(n):
        for i in range(n):
            case = world.in_progress(title=f"欠薪{i}")
            t.supervision_issue(actor=world.supervisor, case=case, content="请加快")
            t.extension_request(actor=world.handler, case=case, amount=2, reason="需要时间")

    make(2)
    first = world.in_progress(title="最早")
    with _late(first):
        few = (_count(client, world.supervisor), _count(client, world.supervisor, kind="overdue", unit=world.hrss.pk))
    make(6)
    with _late(first):
        many = (_count(client, world.supervisor), _count(client, world.supervisor, kind="overdue", unit=world.hrss.pk))
        html = client.get(BOARD, {"kind": "overdue"}).content.decode()
    assert html.count('id="drill-') >= 8
    assert many == few
