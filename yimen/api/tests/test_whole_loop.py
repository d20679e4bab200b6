"""The closed loop (闭环) through the API only, as an integrating system or the workbench drives it."""

from yimen.cases.models import Case

from .conftest import case_body


def test_the_whole_loop_through_the_api(api, world):
    w = world

    def act(user, action, expect_status, **body):
        response = api.act(user, number, action, key=f"{action}-{len(seen)}", **body)
        assert response.status_code == 200, (action, response.content)
        detail = response.json()
        assert detail["status"] == expect_status, (action, detail["status"])
        seen.append(action)
        return detail

    seen = []
    created = api.post(w.clerk, "/cases", case_body(w), key="register-1")
    assert created.status_code == 201
    number = created.json()["number"]

    act(w.dispatcher, "triage", "pending_dispatch", risk="yellow", urgency="worrying", risk_reason="12名工人欠薪")
    detail = act(w.dispatcher, "dispatch", "dispatched", lead_unit=w.housing.pk, assist_units=[w.justice_office.pk])
    assert "accept" in {a["action"] for a in api.get(w.housing_handler, f"/cases/{number}").json()["allowed_actions"]}
    act(w.housing_handler, "return", "returned", reason="欠薪不属住建职责，建议派人社")
    act(w.dispatcher, "dispatch", "dispatched", lead_unit=w.hrss.pk, assist_units=[w.justice_office.pk],
        tasks={str(w.hrss.pk): "核实欠薪数额", str(w.justice_office.pk): "组织调解"})
    detail = act(w.handler, "accept", "in_progress")
    lead = next(a for a in detail["assignments"] if a["unit"]["id"] == w.hrss.pk and a["status"] == "accepted")
    due_before = lead["due_at"]

    detail = act(w.handler, "request_extension", "in_progress", amount=5, reason="需调取考勤记录")
    extension_id = detail["extensions"][-1]["id"]
    detail = act(w.supervisor, "approve_extension", "in_progress", reason="同意", extension_id=extension_id)
    lead = next(a for a in detail["assignments"] if a["id"] == lead["id"])
    assert lead["due_at"] > due_before and detail["extensions"][-1]["status"] == "approved"

    detail = act(w.supervisor, "supervise", "in_progress", content="请三日内报告进展")
    order_id = detail["supervision_orders"][-1]["id"]
    act(w.handler, "answer_supervision", "in_progress", answer="已约谈劳务公司负责人", order_id=order_id)

    detail = act(w.director, "escalate", "pending_dispatch", reason="包工头失联，需县级协调")
    assert detail["owning_centre"]["name"] == "青溪县综治中心"
    act(w.county_dispatcher, "dispatch", "dispatched", lead_unit=w.housing.pk, reason="涉及工程款，住建牵头")
    act(w.housing_handler, "accept", "in_progress")
    act(w.housing_handler, "resolve", "resolved", outcome="agreement", result="劳务公司承诺分两期支付")

    detail = act(w.grid_worker, "follow_up", "pending_dispatch", satisfaction="unsatisfied", comment="第二期没付")
    assert detail["reopen_count"] == 1

    act(w.county_dispatcher, "dispatch", "dispatched", lead_unit=w.hrss.pk)
    act(w.handler, "accept", "in_progress")
    act(w.handler, "resolve", "resolved", outcome="resolved", result="已全部支付")
    act(w.grid_worker, "follow_up", "followed_up", satisfaction="satisfied")
    detail = act(w.county_dispatcher, "archive", "archived", note="结案归档")

    assert [e["kind"] for e in detail["timeline"]] == [
        "registered", "triaged", "dispatched", "returned", "dispatched", "accepted", "extension_requested",
        "extension_approved", "supervised", "supervision_answered", "escalated", "dispatched", "accepted",
        "resolved", "followed_up", "reopened", "dispatched", "accepted", "resolved", "followed_up", "archived",
    ]
    assert all(e["actor_label"] and e["created_at"] for e in detail["timeline"])
    assert detail["deadlines"] == []
    assert detail["allowed_actions"] == [{"action": "reopen", "label": "重启"}]
    case = Case.objects.get(number=number)
    assert case.status == "archived" and case.escalation_count == 1 and case.reopen_count == 1

    # Every step was sent with an Idempotency-Key: replaying them all changes nothing.
    events_before = list(case.events.values_list("id", flat=True))
    assert api.post(w.clerk, "/cases", case_body(w), key="register-1").json()["number"] == number
    assert Case.objects.count() == 1
    assert api.act(w.handler, number, "accept", key="accept-4").status_code == 200
    assert list(case.events.values_list("id", flat=True)) == events_before
