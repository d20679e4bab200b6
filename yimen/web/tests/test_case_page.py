"""The matter page: what each person sees, masked personal data and audited reveal, attachments,
the timeline in Chinese, and a number of queries that does not grow with the matter."""

import re

import pytest
from django.urls import reverse

from yimen.cases import transitions as t
from yimen.cases.intake import AttachmentInput, PartyInput
from yimen.cases.models import RevealAudit
from yimen.cases.rules import Action
from yimen.cases.transitions import allowed_actions
from yimen.common.querycount import count_queries

FULL_ID = "110101199003074477"
FULL_PHONE = "13800138000"


def _page(client, user, case):
    client.force_login(user)
    return client.get(reverse("web:case_detail", args=[case.number]))


def _action_forms(html: str) -> set[str]:
    return set(re.findall(r'id="act-([a-z_]+)"', html))


def test_the_matter_page_shows_the_header_the_request_and_the_place(client, world):
    case = world.register()
    html = _page(client, world.clerk, case).content.decode()
    for text in (case.number, "欠薪纠纷", "已登记", "待研判", "烦心事·协商办", "劳资/欠薪", "来访", "桃源镇综治中心",
                 "请求协调支付拖欠工资", "杏花村第一网格", "剩余"):
        assert text in html, text


def test_a_matter_outside_the_users_scope_is_not_found(client, world):
    case = world.register()
    assert _page(client, world.other_clerk, case).status_code == 404
    assert _page(client, world.outsider, case).status_code == 404
    assert _page(client, world.handler, case).status_code == 404  # not dispatched to their unit


def test_signing_in_is_required(client, world):
    case = world.register()
    response = client.get(reverse("web:case_detail", args=[case.number]))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


@pytest.mark.parametrize(
    ("setup", "persona"),
    [
        ("register", "clerk"),
        ("register", "dispatcher"),
        ("register", "grid_worker"),
        ("dispatched", "handler"),
        ("dispatched", "justice_handler"),
        ("dispatched", "supervisor"),
        ("in_progress", "handler"),
        ("in_progress", "director"),
        ("in_progress", "justice_handler"),
    ],
)
def test_each_person_sees_only_the_actions_the_transitions_module_allows(client, world, setup, persona):
    case = getattr(world, setup)()
    user = getattr(world, persona)
    html = _page(client, user, case).content.decode()
    allowed = set(allowed_actions(user, case))
    shown = _action_forms(html)
    expected = {a for a in allowed if a not in (Action.TRIAGE, Action.DISPATCH, Action.CONVENE_JOINT)}
    if Action.RECORD_PROGRESS in expected:
        expected = (expected - {Action.RECORD_PROGRESS}) | {"progress", "mediation"}
    assert shown == expected
    dispatch_link = reverse("web:case_dispatch", args=[case.number])
    assert (dispatch_link in html) == bool(allowed & {Action.TRIAGE, Action.DISPATCH, Action.CONVENE_JOINT})


def test_a_handler_of_a_dispatched_matter_is_offered_accept_and_return_but_not_resolve(client, world):
    html = _page(client, world.handler, world.dispatched()).content.decode()
    assert {"accept", "return"} <= _action_forms(html)
    assert "resolve" not in _action_forms(html)
    assert "确认签收" in html and "退单理由" in html


def test_assignments_show_unit_part_status_and_limits(client, world):
    case = world.dispatched()
    t.assignment_return(actor=world.justice_handler, case=case, reason="不属司法所职责")
    html = _page(client, world.dispatcher, case).content.decode()
    for text in ("青溪县人力资源和社会保障局", "牵头单位", "待签收", "桃源镇司法所", "协办单位", "已退单", "不属司法所职责", "签收", "剩余"):
        assert text in html, text


def test_the_timeline_tells_every_event_in_chinese(client, world):
    case = world.in_progress()
    t.supervision_issue(actor=world.supervisor, case=case, content="请三日内约谈包工头")
    t.extension_request(actor=world.handler, case=case, amount=3, reason="调取考勤记录")
    html = _page(client, world.director, case).content.decode()
    timeline = html[html.index('id="timeline-h"'):]
    for text in ("登记受理", "李窗口", "派单", "王派单", "牵头单位", "青溪县人力资源和社会保障局", "桃源镇司法所",
                 "签收", "吴承办", "督办", "请三日内约谈包工头", "申请延期", "延长", "3工作日", "调取考勤记录"):
        assert text in timeline, text
    assert "待签收 → 办理中" in timeline


def test_repeated_warnings_fold_and_each_limit_names_its_unit(client, world):
    from django.utils import timezone

    from yimen.cases.models import CaseEvent, EventKind

    case = world.in_progress()
    now = timezone.now()
    for i in range(5):
        CaseEvent.objects.create(case=case, kind=EventKind.DEADLINE_WARNED, actor_label="系统", reason=f"签收期限将于{i}日后到期。",
                                 payload={"deadline": 1, "unit_id": world.hrss.pk, "step": "sign"}, created_at=now)
    CaseEvent.objects.create(case=case, kind=EventKind.DEADLINE_OVERDUE, actor_label="系统", reason="办理期限已届满，现已超期。",
                             payload={"deadline": 2, "unit_id": world.justice_office.pk, "step": "handle"}, created_at=now)
    html = _page(client, world.director, case).content.decode()
    timeline = html[html.index('id="timeline-h"'):]
    assert timeline.count("event-deadline_warned") == 1 and "临期预警 ×5" in timeline
    assert all(f"签收期限将于{i}日后到期。" in timeline for i in range(5))
    overdue = timeline[timeline.index("event-deadline_overdue"):]
    assert "青溪县人力资源和社会保障局" in timeline[:timeline.index("event-deadline_overdue")]
    assert "桃源镇司法所" in overdue[:overdue.index("</li>")]


def test_extensions_and_supervision_orders_are_listed(client, world):
    case = world.in_progress()
    t.supervision_issue(actor=world.supervisor, case=case, content="请加快")
    t.extension_request(actor=world.handler, case=case, amount=2, reason="等待鉴定")
    html = _page(client, world.supervisor, case).content.decode()
    assert "延期申请" in html and "等待鉴定" in html and "待审批" in html
    assert "督办单" in html and "请加快" in html and "已下发" in html


def test_the_triage_suggestion_is_shown_when_the_matter_has_one(client, world):
    case = world.register()
    html = _page(client, world.dispatcher, case).content.decode()
    assert case.triage and "系统研判建议" in html
    assert str(case.triage["risk"]["reason"]) in html


# ---------------------------------------------------------------------------------------------
# Personal data


def test_an_id_number_stays_masked_until_revealed_and_the_reveal_is_audited(client, world):
    case = world.register()
    party = case.parties.get(name="张三")
    html = _page(client, world.clerk, case).content.decode()
    assert FULL_ID not in html and FULL_PHONE not in html
    assert party.id_number_masked in html and party.phone_masked in html
    assert "显示" in html

    response = client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "联系当事人"})
    assert response.status_code == 200
    html = response.content.decode()
    assert FULL_ID in html and FULL_PHONE in html
    audits = RevealAudit.objects.filter(case=case, party=party, user=world.clerk)
    assert {a.field for a in audits} == {"id_number", "phone"} and {a.purpose for a in audits} == {"联系当事人"}
    # The next look at the page is masked again.
    assert FULL_ID not in _page(client, world.clerk, case).content.decode()


def test_reveal_by_htmx_swaps_in_only_the_party_fragment(client, world):
    case = world.register()
    party = case.parties.get(name="张三")
    client.force_login(world.dispatcher)
    response = client.post(
        reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "核实身份"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and FULL_ID in html and "<html" not in html
    assert f'id="party-private-{party.pk}"' in html
    assert RevealAudit.objects.filter(case=case, user=world.dispatcher).count() == 2


def test_a_role_without_the_right_sees_no_reveal_button_and_is_refused(client, world):
    case = world.in_progress()
    party = case.parties.get(name="张三")
    html = _page(client, world.supervisor, case).content.decode()
    assert "reveal-form" not in html and FULL_ID not in html
    response = client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "好奇"})
    assert response.status_code == 403
    assert "不能查看当事人的完整个人信息" in response.content.decode()
    assert FULL_ID not in response.content.decode()
    assert not RevealAudit.objects.exists()


def test_reveal_of_a_matter_outside_scope_is_not_found(client, world):
    case = world.register()
    party = case.parties.first()
    client.force_login(world.other_clerk)
    response = client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "x"})
    assert response.status_code == 404 and not RevealAudit.objects.exists()


# ---------------------------------------------------------------------------------------------
# Attachments


def test_attachments_are_downloaded_through_a_scoped_view(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = world.register(attachments=[AttachmentInput(name="欠条.txt", content="欠条内容".encode(), content_type="text/plain")])
    attachment = case.attachments.get()
    url = reverse("web:attachment", args=[case.number, attachment.pk])
    assert url in _page(client, world.clerk, case).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "欠条内容".encode()
    assert "attachment" in response["Content-Disposition"]
    client.force_login(world.other_clerk)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# Queries


def _busy_matter(world):
    """Many parties, events, assignments, orders and extensions."""
    parties = [PartyInput(name=f"工人{i}", id_number="", phone=f"1380013{i:04d}") for i in range(8)]
    case = world.register(parties=parties, title="群体欠薪")
    case = t.case_convene_joint(
        actor=world.dispatcher, case=case, lead_unit=world.hrss,
        units=[world.justice_office, world.police_station, world.mediation_committee], reason="群体欠薪",
    )
    case = t.assignment_accept(actor=world.handler, case=case)
    for i in range(6):
        case = t.case_record_progress(actor=world.handler, case=case, note=f"第{i + 1}次约谈")
    case = t.case_record_progress(
        actor=world.handler, case=case, note="组织调解", kind="mediation",
        details={"date": "2025-03-01", "place": "调解室", "method": "back_to_back", "mediators": "褚调解"},
    )
    for text in ("请加快", "请回复"):
        t.supervision_issue(actor=world.supervisor, case=case, content=text)
    t.extension_request(actor=world.handler, case=case, amount=3, reason="调取考勤")
    return case


def _quiet_matter(world):
    return world.in_progress(parties=[PartyInput(name="张三")])


def _count(client, user, case) -> int:
    client.force_login(user)
    url = reverse("web:case_detail", args=[case.number])
    client.get(url)  # warm per-process caches (policies, calendar) and the session
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries


@pytest.mark.parametrize("persona", ["supervisor", "handler", "director"])
def test_the_matter_page_needs_the_same_number_of_queries_however_busy_the_matter(client, world, persona):
    quiet, busy = _quiet_matter(world), _busy_matter(world)
    user = getattr(world, persona)
    assert _count(client, user, quiet) == _count(client, user, busy)
