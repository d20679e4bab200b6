import pytest

from yimen.cases import transitions as t
from yimen.cases.models import CaseEvent, Extension, SupervisionOrder
from yimen.cases.rules import RESIDENT_ONLY_ACTIONS, Action


def _events(case):
    return list(CaseEvent.objects.filter(case=case).order_by("created_at", "id").values_list("kind", flat=True))


def _ready_to_follow_up(w):
    case = w.in_progress()
    return t.case_resolve(actor=w.handler, case=case, outcome="resolved", result="已支付")


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


# (setup, actor, action, body, status after, event written)
HAPPY = [
    ("register", "dispatcher", "triage", {"category": "labour", "urgency": "worrying", "risk": "yellow", "risk_reason": "12人"}, "pending_dispatch", "triaged"),
    ("register", "dispatcher", "dispatch", {"lead_unit": "hrss", "assist_units": ["justice_office"], "tasks": {"hrss": "核实欠薪"}}, "dispatched", "dispatched"),
    ("dispatched", "handler", "accept", {}, "in_progress", "accepted"),
    ("dispatched", "handler", "return", {"reason": "不属本单位职责"}, "returned", "returned"),
    ("in_progress", "handler", "record_progress", {"note": "第一次调解", "kind": "mediation", "details": {"date": "2025-03-01", "place": "调解室", "method": "face_to_face"}}, "in_progress", "progress_recorded"),
    ("in_progress", "handler", "resolve", {"outcome": "agreement", "result": "达成协议"}, "resolved", "resolved"),
    ("register", "clerk", "resolve_on_spot", {"outcome": "explained", "result": "现场解释政策"}, "resolved", "resolved"),
    (_ready_to_follow_up, "clerk", "follow_up", {"satisfaction": "satisfied", "method": "phone"}, "followed_up", "followed_up"),
    (_followed_up, "clerk", "archive", {"note": "归档"}, "archived", "archived"),
    ("in_progress", "director", "escalate", {"reason": "包工头失联"}, "pending_dispatch", "escalated"),
    ("in_progress", "handler", "request_extension", {"amount": 5, "reason": "调取考勤"}, "in_progress", "extension_requested"),
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


def _ids(world, body):
    """Unit names in the table stand for the world's units; the API takes their ids."""
    def unit(name):
        return getattr(world, name).pk if isinstance(name, str) else name

    body = dict(body)
    for key in ("lead_unit",):
        if key in body:
            body[key] = unit(body[key])
    for key in ("assist_units", "units"):
        if key in body:
            body[key] = [unit(n) for n in body[key]]
    if "tasks" in body:
        body["tasks"] = {str(unit(n)): text for n, text in body["tasks"].items()}  # JSON keys are strings
    return body


def test_the_happy_table_covers_every_action():
    assert {row[2] for row in HAPPY} == set(Action.values) - RESIDENT_ONLY_ACTIONS


@pytest.mark.parametrize(("setup", "actor", "action", "body", "status", "event"), HAPPY, ids=[row[2] for row in HAPPY])
def test_each_action_moves_the_matter_writes_the_event_and_returns_the_detail(api, world, setup, actor, action, body, status, event):
    case = _setup(world, setup)
    before = _events(case)
    response = api.act(getattr(world, actor), case, action, **_ids(world, body))
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["number"] == case.number and detail["status"] == status
    after = _events(case)
    assert after[: len(before)] == before and event in after[len(before):]
    assert detail["timeline"][-1]["kind"] == after[-1]
    written = CaseEvent.objects.filter(case=case, kind=event).latest("id")
    assert written.actor == getattr(world, actor) and written.created_at


def test_the_answer_is_the_same_detail_as_get(api, world):
    case = world.dispatched()
    acted = api.act(world.handler, case, "accept").json()
    read = api.get(world.handler, f"/cases/{case.number}").json()
    assert acted["timeline"] == read["timeline"] and acted["assignments"] == read["assignments"]
    assert acted.keys() == read.keys()


def test_a_move_not_allowed_from_the_status_is_409_naming_it(api, world):
    case = world.register()
    response = api.act(world.clerk, case, "archive", note="x")
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "invalid_transition"
    assert error["message"] == "事项当前状态为“已登记”，不能执行“归档”。"
    assert error["current_status"] == "registered" and error["current_status_label"] == "已登记"
    assert _events(case) == ["registered"]


def test_a_role_that_may_not_make_the_move_is_403(api, world):
    case = world.register()
    response = api.act(world.clerk, case, "dispatch", lead_unit=world.hrss.pk)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role" and "派单" in response.json()["message"]
    assert _events(case) == ["registered"]


def test_outside_ones_area_every_action_is_404_like_a_missing_number(api, world):
    case = world.register()
    hidden = api.act(world.outsider, case, "dispatch", lead_unit=world.hrss.pk)
    missing = api.act(world.outsider, "449001001-2099-999999", "dispatch", lead_unit=world.hrss.pk)
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert _events(case) == ["registered"]


def test_an_unknown_action_is_404_listing_the_valid_ones(api, world):
    case = world.register()
    response = api.act(world.dispatcher, case, "teleport")
    assert response.status_code == 404
    error = response.json()
    assert error["code"] == "unknown_action" and error["field"] == "action"
    assert "dispatch（派单）" in error["message"] and set(error["valid_actions"]) == set(Action.values) - RESIDENT_ONLY_ACTIONS


@pytest.mark.parametrize(
    ("action", "body", "field", "words"),
    [
        ("dispatch", {}, "lead_unit", "请填写牵头单位（lead_unit）"),
        ("dispatch", {"lead_unit": 99999}, "lead_unit", "单位编号99999不存在"),
        ("dispatch", {"lead_unit": "hrss", "assist_units": [99998]}, "assist_units", "99998"),
        ("dispatch", {"lead_unit": "minghu_hrss"}, "units", "派单范围"),
        ("dispatch", {"lead_unit": "hrss", "tasks": {"housing": "x"}}, "tasks", "不在本次派出的单位"),
        ("dispatch", {"lead_unit": "hrss", "lead": 1}, "lead", "不认识的字段"),
        ("triage", {"risk": "red"}, "risk_reason", "红色风险须说明研判理由"),
        ("triage", {"category": "astrology"}, "category", "纠纷类别"),
        ("triage", {"urgency": "whenever"}, "urgency", "urgent（急难事·马上办）"),
        ("withdraw", {}, "reason", "请填写撤回理由（reason）"),
        ("withdraw", {"reason": "   "}, "reason", "撤回理由"),
        ("refer_out", {"target": "moon", "reason": "x"}, "target", "转出去向"),
        ("convene_joint", {"lead_unit": "hrss", "units": [], "reason": "x"}, "units", "参与单位"),
    ],
)
def test_bad_action_input_is_400_naming_the_field_in_chinese(api, world, action, body, field, words):
    case = world.register()
    response = api.act(world.dispatcher, case, action, **_ids(world, body))
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "invalid" and error["field"] == field
    assert words in error["message"], error["message"]
    assert _events(case) == ["registered"]


def test_bad_input_of_a_unit_action_is_400(api, world):
    case = world.in_progress()
    response = api.act(world.handler, case, "request_extension", amount=0, reason="x")
    assert response.status_code == 400 and response.json()["field"] == "amount"
    assert "延期时长" in response.json()["message"]
    response = api.act(world.handler, case, "resolve", outcome="agreement")
    assert response.status_code == 400 and response.json()["message"] == "请填写办理情况（result）。"


def test_a_body_that_is_not_json_is_400(api, world):
    case = world.register()
    response = api.post(world.dispatcher, f"/cases/{case.number}/actions/withdraw", raw="reason=x")
    assert response.status_code == 400 and "JSON" in response.json()["message"]


def test_a_retried_move_with_the_same_key_happens_once(api, world):
    case = world.register()
    body = {"lead_unit": world.hrss.pk}
    first = api.act(world.dispatcher, case, "dispatch", key="d-1", **body)
    again = api.act(world.dispatcher, case, "dispatch", key="d-1", **body)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert _events(case).count("dispatched") == 1
    # Without the key the second dispatch is a new (allowed) re-dispatch: the key is what makes it safe.
    assert api.act(world.dispatcher, case, "dispatch", **body).status_code == 409


def test_a_retried_extension_request_creates_one_extension(api, world):
    case = world.in_progress()
    for _ in range(3):
        assert api.act(world.handler, case, "request_extension", key="ext-1", amount=2, reason="调取考勤").status_code == 200
    assert Extension.objects.filter(case=case).count() == 1


def test_supervision_names_a_unit_by_id_and_refuses_unknown_ones(api, world):
    case = world.in_progress()
    response = api.act(world.supervisor, case, "supervise", content="请回复", unit=99999)
    assert response.status_code == 400 and response.json()["field"] == "unit"
    response = api.act(world.supervisor, case, "supervise", content="请回复", unit=world.justice_office.pk)
    assert response.status_code == 200
    order = SupervisionOrder.objects.get(case=case)
    assert order.unit == world.justice_office
    assert response.json()["supervision_orders"][0]["id"] == order.pk


def test_a_move_on_a_matter_someone_else_moved_first_is_409_naming_the_current_status(api, world):
    case = world.register()
    t.case_dispatch(actor=world.director, case=case, lead_unit=world.hrss)
    response = api.act(world.dispatcher, case, "dispatch", lead_unit=world.housing.pk, expected_status="registered")
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "stale_status"
    assert "当前状态为“待签收”" in error["message"]
    assert error["current_status"] == "dispatched" and error["current_status_label"] == "待签收"
    assert not case.assignments.filter(unit=world.housing).exists()
    assert api.act(world.handler, case, "accept", expected_status="dispatched").status_code == 200
