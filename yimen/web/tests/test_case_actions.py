"""Every move posted from a plain HTML form: it moves the matter and writes a CaseEvent; wrong input
keeps what was typed and names the field in Chinese; a stale form is refused, losing nothing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yimen.cases import transitions as t
from yimen.cases.models import CaseEvent, Extension, SupervisionOrder
from yimen.cases.rules import RESIDENT_ONLY_ACTIONS, Action
from yimen.web.forms.actions import ACTION_FORMS


def _ready_to_follow_up(w):
    return t.case_resolve(actor=w.handler, case=w.in_progress(), outcome="resolved", result="已支付")


def _followed_up(w):
    return t.case_follow_up(actor=w.clerk, case=_ready_to_follow_up(w), satisfaction="satisfied")


def _with_extension(w):
    case = w.in_progress()
    t.extension_request(actor=w.handler, case=case, amount=3, reason="调取考勤")
    return case


def _supervised(w):
    case = w.in_progress()
    t.supervision_issue(actor=w.supervisor, case=case, content="请3日内回复")
    return case


MEDIATION = {
    "kind": "mediation", "date": "2025-03-01", "place": "桃源镇调解室", "mediators": "褚调解、陈司法",
    "method": "back_to_back", "parties_present": "张三、劳务公司负责人", "note": "分别听取双方意见",
    "result": "双方同意分两期支付", "next_step": "下周一签订协议",
}

# (setup, actor, action, form data, status after, event written)
HAPPY = [
    ("register", "dispatcher", "triage", {"category": "labour", "urgency": "worrying", "risk": "yellow", "risk_reason": "12人"}, "pending_dispatch", "triaged"),
    ("register", "dispatcher", "dispatch", {"lead_unit": "hrss", "assist_units": ["justice_office"], "task_hrss": "核实欠薪"}, "dispatched", "dispatched"),
    ("dispatched", "handler", "accept", {}, "in_progress", "accepted"),
    ("dispatched", "handler", "return", {"reason": "不属本单位职责"}, "returned", "returned"),
    ("in_progress", "handler", "record_progress", {"note": "约谈包工头", "kind": "handling"}, "in_progress", "progress_recorded"),
    ("in_progress", "handler", "resolve", {"outcome": "agreement", "result": "达成协议"}, "resolved", "resolved"),
    ("register", "clerk", "resolve_on_spot", {"outcome": "explained", "result": "现场解释政策"}, "resolved", "resolved"),
    (_ready_to_follow_up, "clerk", "follow_up", {"satisfaction": "satisfied", "comment": "满意", "method": "phone"}, "followed_up", "followed_up"),
    (_followed_up, "clerk", "archive", {"note": "归档"}, "archived", "archived"),
    ("in_progress", "director", "escalate", {"reason": "包工头失联"}, "pending_dispatch", "escalated"),
    ("in_progress", "handler", "request_extension", {"amount": "5", "reason": "调取考勤"}, "in_progress", "extension_requested"),
    (_with_extension, "supervisor", "approve_extension", {"reason": "同意"}, "in_progress", "extension_approved"),
    (_with_extension, "supervisor", "refuse_extension", {"reason": "理由不足"}, "in_progress", "extension_refused"),
    ("in_progress", "supervisor", "supervise", {"content": "请加快办理"}, "in_progress", "supervised"),
    (_supervised, "handler", "answer_supervision", {"answer": "已约谈"}, "in_progress", "supervision_answered"),
    ("register", "dispatcher", "convene_joint", {"lead_unit": "hrss", "units": ["justice_office", "police_station"], "reason": "群体欠薪"}, "dispatched", "joint_convened"),
    ("register", "dispatcher", "refer_out", {"target": "arbitration", "reason": "已超出调解范围"}, "referred_out", "referred_out"),
    ("register", "clerk", "not_accept", {"reason": "属法院受理范围", "where_to_go": "青溪县人民法院"}, "not_accepted", "not_accepted"),
    ("register", "clerk", "withdraw", {"reason": "群众撤回"}, "withdrawn", "withdrawn"),
    (_ready_to_follow_up, "supervisor", "reopen", {"reason": "复发"}, "pending_dispatch", "reopened"),
]


def _setup(world, setup):
    return setup(world) if callable(setup) else getattr(world, setup)()


def _form_data(world, data: dict) -> dict:
    """World unit names stand for their ids, as the page's radios and checkboxes send them."""
    out = {}
    for key, value in data.items():
        if key == "lead_unit":
            value = getattr(world, value).pk
        elif key in ("assist_units", "units"):
            value = [getattr(world, v).pk for v in value]
        elif key.startswith("task_"):
            key = f"task_{getattr(world, key[5:]).pk}"
        out[key] = value
    return out


def _act(client, user, case, action, data, **extra):
    client.force_login(user)
    return client.post(reverse("web:case_act", args=[case.number, action]), data, **extra)


def test_the_happy_table_covers_every_action_and_every_action_has_a_form():
    assert {row[2] for row in HAPPY} == set(Action.values) - RESIDENT_ONLY_ACTIONS == set(ACTION_FORMS)


@pytest.mark.parametrize(("setup", "actor", "action", "data", "status", "event"), HAPPY, ids=[row[2] for row in HAPPY])
def test_each_action_form_moves_the_matter_and_writes_the_event(client, world, setup, actor, action, data, status, event):
    case = _setup(world, setup)
    user = getattr(world, actor)
    before = CaseEvent.objects.filter(case=case).count()
    response = _act(client, user, case, action, {**_form_data(world, data), "status_seen": case.status})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("web:case_detail", args=[case.number])
    case.refresh_from_db()
    assert case.status == status
    written = CaseEvent.objects.filter(case=case).order_by("id")[before:]
    assert event in [e.kind for e in written]
    assert CaseEvent.objects.filter(case=case, kind=event).latest("id").actor == user
    page = client.get(response["Location"])
    assert f"“{Action(action).label}”已完成" in page.content.decode()


def test_a_dispatch_posted_as_a_form_gives_each_unit_its_task(client, world):
    case = world.register()
    _act(client, world.dispatcher, case, "dispatch", _form_data(world, {
        "lead_unit": "hrss", "assist_units": ["justice_office"], "task_hrss": "核实欠薪", "task_justice_office": "法律援助",
    }))
    tasks = dict(case.assignments.values_list("unit__name", "task"))
    assert tasks == {"青溪县人力资源和社会保障局": "核实欠薪", "桃源镇司法所": "法律援助"}


def test_forms_from_other_pages_need_only_the_api_field_names(client, world):
    """The inbox, supervisor board and follow-up queue post small forms without status_seen."""
    case = _with_extension(world)
    extension = Extension.objects.get(case=case)
    response = _act(client, world.supervisor, case, "approve_extension", {"extension_id": extension.pk})
    assert response.status_code == 302
    extension.refresh_from_db()
    assert extension.status == "approved"
    response = _act(client, world.supervisor, case, "supervise", {"content": "请回复", "unit": world.hrss.pk})
    assert response.status_code == 302 and SupervisionOrder.objects.filter(case=case, unit=world.hrss).exists()


def test_success_goes_back_to_a_same_site_next_and_never_elsewhere(client, world):
    case = world.dispatched()
    response = _act(client, world.handler, case, "accept", {"next": "/inbox/?tab=pending"})
    assert response["Location"] == "/inbox/?tab=pending"
    case2 = world.dispatched(title="第二件")
    response = _act(client, world.handler, case2, "accept", {"next": "https://evil.example/"})
    assert response["Location"] == reverse("web:case_detail", args=[case2.number])


# ---------------------------------------------------------------------------------------------
# Wrong input


def test_return_without_a_reason_keeps_what_was_typed_and_names_the_field(client, world):
    case = world.dispatched()
    response = _act(client, world.handler, case, "return", {"reason": "   ", "status_seen": "dispatched"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "退单理由" in html and "请填写退单理由" in html
    assert 'id="act-return" open' in html
    case.refresh_from_db()
    assert case.status == "dispatched" and not CaseEvent.objects.filter(case=case, kind="returned").exists()


def test_a_missing_required_field_is_named_in_chinese_and_the_rest_is_kept(client, world):
    case = world.in_progress()
    response = _act(client, world.handler, case, "resolve", {"outcome": "agreement", "result": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请填写办理情况。" in html
    assert '<option value="agreement" selected>' in html


def test_a_service_refusal_lands_on_the_field_it_names_keeping_the_text(client, world):
    case = world.in_progress()
    response = _act(client, world.supervisor, case, "supervise", {"content": "请三日内回复", "unit": world.housing.pk})
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="act-supervise"'):]
    field = field[field.index('for="supervise-unit"'):]
    assert "被督办单位必须是该事项的承办单位" in field[:1500]
    assert "请三日内回复" in html and not SupervisionOrder.objects.exists()


def test_an_unsatisfied_follow_up_without_comment_is_refused_by_the_service(client, world):
    case = _ready_to_follow_up(world)
    response = _act(client, world.clerk, case, "follow_up", {"satisfaction": "unsatisfied", "comment": "", "method": "visit"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "选择“不满意”时，请写明不满意的地方" in html
    assert 'value="unsatisfied"' in html and "checked" in html


def test_a_role_that_may_not_make_the_move_gets_403_with_the_message(client, world):
    case = world.register()
    response = _act(client, world.clerk, case, "escalate", {"reason": "想提级", "status_seen": "registered"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "您的角色不能对该事项执行“提级”" in html and "想提级" in html


def test_a_matter_outside_scope_is_404_for_actions_too(client, world):
    case = world.register()
    response = _act(client, world.other_clerk, case, "withdraw", {"reason": "x"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == "registered"


def test_an_unknown_action_is_404(client, world):
    case = world.register()
    assert _act(client, world.clerk, case, "explode", {}).status_code == 404


# ---------------------------------------------------------------------------------------------
# Stale forms


def test_a_stale_form_is_refused_with_the_current_status_and_the_typed_text_kept(client, world):
    case = world.dispatched()
    t.assignment_accept(actor=world.handler2, case=case)  # a colleague signed for it meanwhile
    response = _act(client, world.handler, case, "return", {"reason": "本单位不负责这类事项", "status_seen": "dispatched"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "该事项已被他人处理，当前状态为“办理中”" in html
    assert "本单位不负责这类事项" in html
    assert not CaseEvent.objects.filter(case=case, kind="returned").exists()


def test_a_stale_form_for_a_move_no_longer_allowed_is_still_shown_as_typed(client, world):
    case = world.register()
    t.case_withdraw(actor=world.dispatcher, case=case, reason="群众撤回")
    response = _act(client, world.clerk, case, "not_accept", {
        "reason": "属法院受理范围", "where_to_go": "青溪县人民法院", "status_seen": "registered",
    })
    html = response.content.decode()
    assert response.status_code == 409
    assert "当前状态为“已撤回”" in html and "青溪县人民法院" in html


# ---------------------------------------------------------------------------------------------
# Mediation sessions


def _post_mediation(client, world, case, **changes):
    return _act(client, world.handler, case, "record_progress", {**MEDIATION, **changes, "status_seen": case.status})


def test_a_mediation_session_is_recorded_with_its_fields_and_shown_in_the_timeline(client, world):
    case = world.in_progress()
    response = _post_mediation(client, world, case)
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case, kind="progress_recorded").latest("id")
    assert event.payload["record_kind"] == "mediation"
    assert event.payload["details"] == {
        "date": "2025-03-01", "method": "back_to_back", "place": "桃源镇调解室", "mediators": "褚调解、陈司法",
        "parties_present": "张三、劳务公司负责人", "result": "双方同意分两期支付", "next_step": "下周一签订协议",
    }
    html = client.get(response["Location"]).content.decode()
    timeline = html[html.index('id="timeline-h"'):]
    for text in ("调解", "调解日期", "2025-03-01", "调解地点", "桃源镇调解室", "调解员", "褚调解、陈司法", "调解方式", "背对背",
                 "到场当事人", "调解结果", "双方同意分两期支付", "下一步安排", "分别听取双方意见"):
        assert text in timeline, text
    assert "“调解记录”已完成" in html


def test_a_mediation_session_with_an_unknown_method_is_refused_naming_the_field(client, world):
    case = world.in_progress()
    response = _post_mediation(client, world, case, method="by_pigeon")
    assert response.status_code == 400
    html = response.content.decode()
    assert "调解方式" in html and 'id="act-mediation" open' in html
    assert "桃源镇调解室" in html and "分别听取双方意见" in html
    assert not CaseEvent.objects.filter(case=case, kind="progress_recorded").exists()


def test_a_mediation_session_dated_in_the_future_is_refused_by_the_shared_rule(client, world):
    case = world.in_progress()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _post_mediation(client, world, case, date=tomorrow)
    assert response.status_code == 400
    assert "调解日期不能晚于今天" in response.content.decode()


def test_a_mediation_session_without_place_names_the_place(client, world):
    case = world.in_progress()
    response = _post_mediation(client, world, case, place="")
    assert response.status_code == 400
    assert "调解地点：" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The form as a partial


def test_get_on_an_action_returns_its_form_as_a_partial(client, world):
    case = world.dispatched()
    client.force_login(world.handler)
    url = reverse("web:case_act", args=[case.number, "return"])
    response = client.get(url, {"next": "/inbox/"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'name="reason"' in html and 'name="status_seen" value="dispatched"' in html and 'value="/inbox/"' in html
    # A mediation session is recorded once the unit has signed for the dispatch.
    assert client.get(reverse("web:case_act", args=[case.number, "record_progress"]), {"kind": "mediation"}).status_code == 403
    client.post(reverse("web:case_act", args=[case.number, "accept"]), {"status_seen": "dispatched"})
    mediation = client.get(reverse("web:case_act", args=[case.number, "record_progress"]), {"kind": "mediation"})
    assert 'name="method"' in mediation.content.decode()


def test_get_on_an_action_the_user_may_not_take_is_403(client, world):
    case = world.dispatched()
    client.force_login(world.clerk)
    assert client.get(reverse("web:case_act", args=[case.number, "accept"])).status_code == 403


def test_the_api_refuses_an_unknown_mediation_method_by_the_same_rule(client, world):
    import json

    from yimen.accounts.models import ApiToken

    case = world.in_progress()
    token = ApiToken.issue(world.handler, name="tests")[1]
    response = client.post(
        f"/api/v1/cases/{case.number}/actions/record_progress",
        json.dumps({"note": "调解", "kind": "mediation", "details": {"date": "2025-03-01", "method": "by_pigeon"}}),
        content_type="application/json", headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    error = response.json()
    assert error["field"] == "details.method" and "调解方式的取值无效" in error["message"] and "面对面" in error["message"]
    assert not CaseEvent.objects.filter(case=case, kind="progress_recorded").exists()


def test_the_mediation_rule_takes_chinese_method_names_and_refuses_unknown_fields():
    from yimen.cases.validators import validate_mediation_session
    from yimen.common.errors import InvalidInput

    today = dt.date(2025, 3, 3)
    assert validate_mediation_session({"method": "面对面"}, today=today)["method"] == "face_to_face"
    assert validate_mediation_session({"method": "电话", "session": "2"}, today=today) == {
        "date": "2025-03-03", "method": "online", "place": "", "mediators": "", "parties_present": "", "result": "",
        "next_step": "", "session": 2,
    }
    with pytest.raises(InvalidInput) as raised:
        validate_mediation_session({"method": "joint", "plcae": "调解室"}, today=today)
    assert raised.value.field == "details.plcae"
    with pytest.raises(InvalidInput) as raised:
        validate_mediation_session({"method": "joint", "date": "3月1日"}, today=today)
    assert raised.value.field == "details.date"


def test_a_progress_record_of_an_unknown_kind_is_refused(client, world):
    case = world.in_progress()
    with pytest.raises(Exception) as raised:
        t.case_record_progress(actor=world.handler, case=case, note="x", kind="gossip")
    assert getattr(raised.value, "field", None) == "kind"


def test_an_htmx_post_is_answered_with_a_redirect_header_or_the_form_in_place(client, world):
    case = world.dispatched()
    client.force_login(world.handler)
    url = reverse("web:case_act", args=[case.number, "return"])
    refused = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    html = refused.content.decode()
    assert refused.status_code == 200 and refused["X-Yimen-Status"] == "400"
    assert "<html" not in html and "请填写退单理由" in html
    done = client.post(reverse("web:case_act", args=[case.number, "accept"]), {"next": "/inbox/"}, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Redirect"] == "/inbox/"
