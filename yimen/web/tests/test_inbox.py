"""部门待办: the unit's live assignments, by tab, with accept and return where allowed."""

from datetime import timedelta

import time_machine
from django.urls import reverse

from yimen.cases import transitions as t
from yimen.cases.models import Assignment
from yimen.common.querycount import count_queries

INBOX = "/inbox/"


def _lead(case):
    return Assignment.objects.get(case=case, part="lead", status__in=["pending", "accepted"])


def test_the_inbox_url_is_named():
    assert reverse("web:inbox") == INBOX


def test_a_handler_sees_their_units_assignments_not_another_units(client, world):
    mine = world.dispatched()
    housing = world.register(title="楼道漏水")
    t.case_dispatch(actor=world.dispatcher, case=housing, lead_unit=world.housing)
    client.force_login(world.handler)
    html = client.get(INBOX).content.decode()
    assert mine.number in html and housing.number not in html
    assert reverse("web:case_detail", args=[mine.number]) in html
    assert "牵头单位" in html and "劳资/欠薪" in html


def test_a_pending_assignment_has_accept_and_return_forms_for_the_action_endpoint(client, world):
    case = world.dispatched()
    lead = _lead(case)
    client.force_login(world.handler)
    html = client.get(INBOX).content.decode()
    assert f'action="{reverse("web:case_act", args=[case.number, "accept"])}"' in html
    assert f'action="{reverse("web:case_act", args=[case.number, "return"])}"' in html
    assert f'name="assignment_id" value="{lead.pk}"' in html
    assert 'name="status_seen" value="dispatched"' in html
    assert 'name="next" value="/inbox/"' in html
    assert 'name="reason" required' in html and "退单理由" in html


def test_an_accepted_assignment_offers_no_second_accept(client, world):
    case = world.in_progress()
    client.force_login(world.handler)
    html = client.get(INBOX).content.decode()
    assert case.number in html
    assert reverse("web:case_act", args=[case.number, "accept"]) not in html
    assert reverse("web:case_act", args=[case.number, "return"]) in html


def test_accepting_from_the_inbox_moves_the_matter_and_comes_back(client, world):
    case = world.dispatched()
    client.force_login(world.handler)
    response = client.post(
        reverse("web:case_act", args=[case.number, "accept"]),
        {"assignment_id": _lead(case).pk, "status_seen": "dispatched", "next": "/inbox/?tab=to_sign"},
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/?tab=to_sign"
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert case.events.filter(kind="accepted").exists()


def test_tabs_filter_the_rows(client, world):
    pending = world.dispatched()
    accepted = world.in_progress(title="已签收的")
    client.force_login(world.handler)
    to_sign = client.get(INBOX, {"tab": "to_sign"}).content.decode()
    assert pending.number in to_sign and accepted.number not in to_sign
    in_progress = client.get(INBOX, {"tab": "in_progress"}).content.decode()
    assert accepted.number in in_progress and pending.number not in in_progress
    with time_machine.travel(_lead(accepted).due_at + timedelta(hours=1), tick=False):
        client.force_login(world.handler)  # the earlier session has expired by then
        overdue = client.get(INBOX, {"tab": "overdue"}).content.decode()
    assert accepted.number in overdue and "已超期" in overdue


def test_the_supervised_tab_and_flag(client, world):
    case = world.in_progress()
    other = world.dispatched(title="没有督办")
    t.supervision_issue(actor=world.supervisor, case=case, content="请三日内回复")
    client.force_login(world.handler)
    html = client.get(INBOX, {"tab": "supervised"}).content.decode()
    assert case.number in html and other.number not in html and "督办" in html


def test_an_htmx_request_gets_only_the_rows_partial(client, world):
    case = world.dispatched()
    client.force_login(world.handler)
    response = client.get(INBOX, {"tab": "to_sign"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert case.number in html and "<html" not in html and 'class="tabs"' in html
    assert [t.name for t in response.templates][0] == "web/inbox/_inbox_rows.html"


def test_people_without_a_unit_get_403(client, world):
    for user in (world.clerk, world.dispatcher, world.supervisor):
        client.force_login(user)
        assert client.get(INBOX).status_code == 403


def test_pages_hold_20_rows_and_link_the_next(client, world):
    for i in range(21):
        world.dispatched(title=f"欠薪{i}")
    client.force_login(world.handler)
    first = client.get(INBOX).content.decode()
    assert first.count('id="assignment-') == 20 and "page=2" in first
    second = client.get(INBOX, {"page": 2}).content.decode()
    assert second.count('id="assignment-') == 1
    assert client.get(INBOX, {"page": "x"}).status_code == 200


def _count(client, user, **params):
    client.force_login(user)
    with count_queries() as queries:
        assert client.get(INBOX, params).status_code == 200
    return queries


def test_the_inbox_takes_the_same_number_of_queries_with_2_and_8_rows(client, world):
    def make(n):
        for i in range(n):
            case = world.in_progress(title=f"欠薪{i}")
            t.supervision_issue(actor=world.supervisor, case=case, content="请加快")
            world.dispatched(title=f"待签{i}")

    make(1)
    few = (_count(client, world.handler), _count(client, world.handler, tab="supervised"))
    make(3)
    assert (_count(client, world.handler), _count(client, world.handler, tab="supervised")) == few
