import pytest

from yimen.cases import transitions as t
from yimen.cases.models import RevealAudit
from yimen.common.querycount import count_queries


def test_the_detail_shows_timeline_assignments_limits_and_masked_parties(api, world):
    case = world.in_progress()
    body = api.get(world.handler, f"/cases/{case.number}").json()
    assert body["number"] == case.number and body["status"] == "in_progress" and body["status_label"] == "办理中"
    assert [e["kind"] for e in body["timeline"]] == ["registered", "dispatched", "accepted"]
    dispatched = body["timeline"][1]
    assert dispatched["kind_label"] == "派单" and dispatched["actor_label"] == "王派单"
    assert dispatched["from_status_label"] == "已登记" and dispatched["to_status_label"] == "待签收"
    assert dispatched["payload"]["lead_unit"] == "青溪县人力资源和社会保障局"
    lead, assist = body["assignments"]
    assert lead["unit"]["name"] == "青溪县人力资源和社会保障局" and lead["part_label"] == "牵头单位"
    assert lead["status"] == "accepted" and lead["due_text"].startswith("剩余") and lead["sign_due_text"] == ""
    assert assist["status"] == "pending" and assist["sign_due_text"]
    assert {d["step"] for d in body["deadlines"]} >= {"handle", "unit_handle"}
    assert all(d["due_label"].endswith(("24:00", "（暂定）")) or ":" in d["due_label"] for d in body["deadlines"])
    applicant = body["parties"][0]
    assert applicant["id_number_masked"] == "110101********4477" and applicant["phone_masked"] == "138****8000"
    assert "110101199003074477" not in str(body) and "13800138000" not in str(body)
    assert {a["action"] for a in body["allowed_actions"]} >= {"resolve", "record_progress", "request_extension"}
    assert "query_code" not in body


def test_outside_ones_area_is_404_exactly_like_a_number_that_does_not_exist(api, world):
    case = world.register()
    hidden = api.get(world.outsider, f"/cases/{case.number}")
    missing = api.get(world.outsider, "/cases/449001001-2099-999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.json()["code"] == "not_found" and "权限范围" in hidden.json()["message"]
    # A unit that was never sent the matter does not see it either.
    assert api.get(world.housing_handler, f"/cases/{case.number}").content == missing.content


def _detail_queries(api, user, number) -> int:
    with count_queries() as captured:
        assert api.get(user, f"/cases/{number}").status_code == 200
    return captured


def test_the_detail_costs_the_same_queries_however_long_the_history(api, world):
    short = world.in_progress()
    long = world.in_progress(parties=[__import__("yimen.cases.intake", fromlist=["PartyInput"]).PartyInput(name=f"工人{i}") for i in range(8)])
    for i in range(6):
        t.case_record_progress(actor=world.handler, case=long, note=f"第{i}次调解")
    t.assignment_accept(actor=world.justice_handler, case=long)
    t.extension_request(actor=world.handler, case=long, amount=3, reason="调取考勤")
    t.supervision_issue(actor=world.supervisor, case=long, content="请加快")
    _detail_queries(api, world.handler, short.number)  # warm the token
    assert _detail_queries(api, world.handler, short.number) == _detail_queries(api, world.handler, long.number)
    assert _detail_queries(api, world.handler, long.number) <= 14


def test_a_handler_reveals_a_partys_personal_data_and_it_is_recorded(api, world):
    case = world.in_progress()
    party = case.parties.get(name="张三")
    response = api.post(world.handler, f"/cases/{case.number}/parties/{party.pk}/reveal", {"purpose": "电话联系当事人"})
    assert response.status_code == 200
    assert response.json() == {"party_id": party.pk, "name": "张三", "id_number": "110101199003074477", "phone": "13800138000"}
    audits = RevealAudit.objects.filter(case=case, party=party, user=world.handler)
    assert sorted(a.field for a in audits) == ["id_number", "phone"]
    assert {a.purpose for a in audits} == {"电话联系当事人"}


@pytest.mark.parametrize("role", ["supervisor", "external"])
def test_roles_without_need_may_not_reveal(api, world, role):
    case = world.dispatched()
    party = case.parties.first()
    response = api.post(getattr(world, role), f"/cases/{case.number}/parties/{party.pk}/reveal", {"purpose": "看看"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden_role"
    assert not RevealAudit.objects.exists()


def test_reveal_needs_a_purpose_a_real_party_and_a_visible_case(api, world):
    case = world.register()
    party = case.parties.first()
    url = f"/cases/{case.number}/parties/{party.pk}/reveal"
    response = api.post(world.clerk, url, {})
    assert response.status_code == 400 and response.json()["field"] == "purpose" and "查看用途" in response.json()["message"]
    response = api.post(world.clerk, url, {"purpose": "  "})
    assert response.status_code == 400 and response.json()["field"] == "purpose"
    assert api.post(world.clerk, f"/cases/{case.number}/parties/999999/reveal", {"purpose": "x"}).status_code == 404
    assert api.post(world.outsider, url, {"purpose": "x"}).status_code == 404
    assert not RevealAudit.objects.exists()


def test_an_ungraded_matter_has_risk_null_and_the_engines_suggestion_apart(api, world):
    from yimen.cases.tests.test_grading import _wage_threat

    case = _wage_threat(world)
    body = api.get(world.dispatcher, f"/cases/{case.number}").json()
    assert body["risk"] is None and body["risk_label"] == "待研判"
    assert body["suggested_risk"] == "red" and body["suggested_risk_label"] == "系统建议：红色"
    [item] = [i for i in api.get(world.dispatcher, "/cases").json()["items"] if i["number"] == case.number]
    assert item["risk"] is None and item["suggested_risk"] == "red"
