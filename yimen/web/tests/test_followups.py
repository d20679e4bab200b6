"""回访: resolved matters awaiting a follow-up, the form per row, and what an unsatisfied answer did."""

from django.urls import reverse

from yimen.cases import transitions as t
from yimen.common.querycount import count_queries

QUEUE = "/followups/"


def _resolved(world, **overrides):
    case = world.in_progress(**overrides)
    return t.case_resolve(actor=world.handler, case=case, outcome="resolved", result="已支付")


def test_the_queue_url_is_named():
    assert reverse("web:followups") == QUEUE


def test_the_queue_shows_resolved_matters_in_scope_with_a_form(client, world):
    case = _resolved(world)
    open_case = world.in_progress(title="仍在办理")
    client.force_login(world.clerk)
    html = client.get(QUEUE).content.decode()
    assert case.number in html and open_case.number not in html
    assert f'action="{reverse("web:case_act", args=[case.number, "follow_up"])}"' in html
    for value, label in (("satisfied", "满意"), ("basically", "基本满意"), ("unsatisfied", "不满意")):
        assert f'value="{value}"' in html and label in html
    assert 'name="comment"' in html and 'name="method"' in html
    assert f'name="next" value="/followups/?done={case.number}"' in html
    assert 'name="status_seen" value="resolved"' in html


def test_a_clerk_of_another_township_sees_none_of_taoyuans(client, world):
    case = _resolved(world)
    client.force_login(world.other_clerk)
    html = client.get(QUEUE).content.decode()
    assert case.number not in html and "暂无待回访的事项" in html


def test_the_grid_worker_follows_up_on_their_grid(client, world):
    case = _resolved(world)
    client.force_login(world.grid_worker)
    assert case.number in client.get(QUEUE).content.decode()


def test_roles_that_do_not_follow_up_get_403(client, world):
    for user in (world.handler, world.mediator, world.expert):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403


def test_an_unsatisfied_follow_up_without_comment_shows_the_services_message(client, world):
    case = _resolved(world)
    client.force_login(world.clerk)
    response = client.post(
        reverse("web:case_act", args=[case.number, "follow_up"]),
        {"satisfaction": "unsatisfied", "comment": "", "method": "phone", "status_seen": "resolved",
         "next": f"{QUEUE}?done={case.number}"},
    )
    assert response.status_code == 400
    assert "选择“不满意”时，请写明不满意的地方" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "resolved"


def test_after_an_unsatisfied_follow_up_the_queue_says_the_matter_was_reopened(client, world):
    case = _resolved(world)
    client.force_login(world.clerk)
    response = client.post(
        reverse("web:case_act", args=[case.number, "follow_up"]),
        {"satisfaction": "unsatisfied", "comment": "钱没到账", "method": "phone", "status_seen": "resolved",
         "next": f"{QUEUE}?done={case.number}"},
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已重启，待重新派单" in html
    assert f'id="case-{case.number}"' not in html  # no longer in the queue
    case.refresh_from_db()
    assert case.status == "pending_dispatch" and case.reopen_count == 1


def test_after_a_satisfied_follow_up_the_queue_says_so(client, world):
    case = _resolved(world)
    t.case_follow_up(actor=world.clerk, case=case, satisfaction="satisfied")
    client.force_login(world.clerk)
    html = client.get(QUEUE, {"done": case.number}).content.decode()
    assert "已回访（满意）" in html and "已重启" not in html


def test_done_names_nothing_outside_the_users_scope(client, world):
    case = _resolved(world)
    t.case_follow_up(actor=world.clerk, case=case, satisfaction="satisfied")
    client.force_login(world.other_clerk)
    html = client.get(QUEUE, {"done": case.number}).content.decode()
    assert case.number not in html


def _count(client, user):
    client.force_login(user)
    with count_queries() as queries:
        assert client.get(QUEUE).status_code == 200
    return queries


def test_the_queue_takes_the_same_number_of_queries_with_2_and_8_rows(client, world):
    for i in range(2):
        _resolved(world, title=f"欠薪{i}")
    few = _count(client, world.clerk)
    for i in range(6):
        _resolved(world, title=f"欠薪{i + 2}")
    many = _count(client, world.clerk)
    html = client.get(QUEUE).content.decode()
    assert html.count('class="follow-up-form"') == 8
    assert many == few
