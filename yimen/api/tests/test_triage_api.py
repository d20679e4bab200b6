"""/api/v1: the suggestion in a matter's detail, GET …/suggestions, the triage action's acceptance, accuracy."""

from pathlib import Path

import pytest
from django.utils import timezone

from yimen.cases import transitions as t
from yimen.cases.intake import PartyInput
from yimen.cases.models import Case
from yimen.common.querycount import count_queries
from yimen.triage import classify, legal
from yimen.triage.models import SuggestionRecord
from yimen.triage.statutes import read_statute_file

from .conftest import case_body

LOCAL_RULES = Path(legal.__file__).parent / "tests" / "fixtures" / "示例市邻里纠纷调解办法(2024-01-01).md"
WAGES = "张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清，包工头电话不接。"
NOISE = "楼上邻居每天深夜在家里跳绳、拖动家具，噪音很大，多次上门沟通无果，影响家中老人休息。"


@pytest.fixture(autouse=True)
def _small_statute_library(tmp_path, monkeypatch):
    """A statute index built from a fixture file (the national one takes seconds), no trained model."""
    monkeypatch.setenv("YIMEN_TRIAGE_MODELS_DIR", str(tmp_path / "models"))
    classify.forget_models()
    legal.set_index(legal.build_index(national=False, local=read_statute_file(LOCAL_RULES).articles))
    yield
    legal.set_index(None)
    classify.forget_models()


def test_the_detail_shows_the_suggestion_and_the_earlier_matter_of_the_same_party(api, world):
    first = world.register(description=WAGES)
    again = world.register(description=NOISE, category=None)
    triage = api.get(world.dispatcher, f"/cases/{again.number}").json()["triage"]
    assert triage["category"] == "noise" and triage["risk"]["code"] in ("blue", "yellow", "red")
    assert triage["domain_class"] == {**triage["domain_class"], "code": "ecology", "label": "生态环境"}
    assert all(s["explanation"] for s in triage["signals"])
    (repeat,) = triage["repeats"]
    assert repeat["number"] == first.number and repeat["kind"] == "repeat" and repeat["kind_label"] == "重复来访"
    assert any(s["name"] == "repeat_party" for s in triage["signals"])
    detail = api.get(world.dispatcher, f"/cases/{again.number}").json()
    assert detail["category"] is None and detail["risk"] is None  # proposals, not decisions: 待研判
    assert detail["suggested_risk"] == triage["risk"]["code"]


def test_a_matter_registered_without_the_engine_has_no_suggestion_in_its_detail(api, world, settings):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 201
    case = Case.objects.get(number=response.json()["number"])
    assert case.triage == {} and case.text_simhash is None
    assert api.get(world.dispatcher, f"/cases/{case.number}").json()["triage"] is None


def test_registering_over_the_api_adds_at_most_two_queries_for_the_suggestion(api, world, settings):
    api.post(world.clerk, "/cases", case_body(world))  # warm the token and the engine's caches

    def queries(**overrides):
        with count_queries() as captured:
            assert api.post(world.clerk, "/cases", case_body(world, **overrides)).status_code == 201
        return captured

    settings.YIMEN_TRIAGE_ON_INTAKE = False
    without = queries(description=NOISE)
    settings.YIMEN_TRIAGE_ON_INTAKE = True
    assert queries(description=NOISE) <= without + 2


def test_suggestions_give_legal_basis_guidance_and_repeats(api, world):
    first = world.register(description=WAGES)
    again = world.register(description=NOISE)
    response = api.get(world.dispatcher, f"/cases/{again.number}/suggestions")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "noise" and body["category_reason"].startswith("命中词")
    assert body["legal_basis"] and {"law", "article", "text", "score", "source"} <= set(body["legal_basis"][0])
    assert body["guidance"]["approach"] and body["guidance"]["steps"]
    assert body["guidance"]["llm"]["status"] == "off"
    assert [r["number"] for r in body["repeats"]] == [first.number]
    assert body["units"] and body["rules_version"]


def test_suggestions_show_similar_resolved_matters_from_the_users_scope_only(api, world):
    resolved = world.in_progress(description=WAGES, parties=[PartyInput(name="赵六")])
    t.case_resolve(actor=world.handler, case=resolved, outcome="resolved", result="包工头已支付全部工资")
    elsewhere = world.register(actor=world.other_clerk, region=world.grid2, description=WAGES, parties=[PartyInput(name="钱七")])
    t.case_resolve_on_spot(actor=world.admin, case=elsewhere, outcome="resolved", result="当场结清")
    case = world.register(description=WAGES.replace("12名", "8名"), parties=[PartyInput(name="孙八")])
    similar = api.get(world.dispatcher, f"/cases/{case.number}/suggestions").json()["guidance"]["similar_cases"]
    assert [s["ref"] for s in similar] == [resolved.number]
    assert similar[0]["outcome"] == "包工头已支付全部工资"


def test_numbers_of_matters_outside_the_users_scope_are_masked(api, world):
    elsewhere = world.register(actor=world.other_clerk, region=world.grid2, description=WAGES)
    here = world.register(description=NOISE)
    for path in (f"/cases/{here.number}/suggestions", f"/cases/{here.number}"):
        body = api.get(world.dispatcher, path).json()
        triage = body.get("triage") or body
        (repeat,) = triage["repeats"]
        assert repeat["number"] is None and repeat["label"] == "其他辖区事项"
        assert elsewhere.number not in str(triage)
    (seen,) = api.get(world.county_dispatcher, f"/cases/{here.number}/suggestions").json()["repeats"]
    assert seen["number"] == elsewhere.number


def test_suggestions_outside_ones_area_are_404_like_a_missing_number(api, world):
    case = world.register()
    hidden = api.get(world.outsider, f"/cases/{case.number}/suggestions")
    missing = api.get(world.outsider, "/cases/449001001-2099-999999/suggestions")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert api.get(world.housing_handler, f"/cases/{case.number}/suggestions").status_code == 404


def test_suggestions_need_authentication(client, world):
    case = world.register()
    assert client.get(f"/api/v1/cases/{case.number}/suggestions").status_code == 401
    assert client.get("/api/v1/triage/accuracy").status_code == 401


def test_the_dispatcher_accepts_the_suggestion_and_the_decision_is_recorded(api, world):
    case = world.register(title="", description=WAGES, category=None)
    response = api.act(world.dispatcher, case, "triage", accept_suggestion=True)
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["category"]["code"] == "labour" and detail["risk"] == "yellow" and detail["status"] == "pending_dispatch"
    assert detail["timeline"][-1]["payload"]["accepted_suggestion"] is True
    record = SuggestionRecord.objects.get(case_ref=case.number)
    assert record.all_accepted and record.decided_by_ref == str(world.dispatcher.pk)


def test_accepting_without_a_suggestion_is_a_400_naming_the_field(api, world, settings):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    case = world.register()
    response = api.act(world.dispatcher, case, "triage", accept_suggestion=True)
    assert response.status_code == 400 and response.json()["field"] == "accept_suggestion"
    assert api.act(world.dispatcher, case, "triage", accept_suggestion="maybe").status_code == 400


def test_accuracy_reflects_accepted_and_overridden_suggestions_in_scope(api, world):
    accepted = world.register(title="", description=WAGES, category=None)
    assert api.act(world.dispatcher, accepted, "triage", accept_suggestion=True).status_code == 200
    overridden = world.register(title="", description=NOISE, category=None, parties=[PartyInput(name="王五")])
    assert api.act(world.dispatcher, overridden, "triage", category="neighbour", risk="blue").status_code == 200

    body = api.get(world.dispatcher, "/triage/accuracy").json()
    assert body["decisions"] == 2 and body["category_accuracy"] == 0.5
    assert body["category_top3_accuracy"] == 1.0  # 邻里纠纷 was the suggestion's second choice for the noise
    assert body["by_category"]["labour"] == {"decisions": 1, "recall": 1.0, "precision": 1.0}
    assert body["lead_unit_accuracy"] is None and "建议准确率" in body["definition"]
    assert api.get(world.outsider, "/triage/accuracy").json()["decisions"] == 0
    assert api.get(world.dispatcher, "/triage/accuracy", until="2020-01-01").json()["decisions"] == 0
    today = timezone.localdate().isoformat()  # a date is a local day
    assert api.get(world.dispatcher, "/triage/accuracy", since=today, until=today).json()["decisions"] == 2


def test_accuracy_refuses_a_date_it_cannot_read(api, world):
    response = api.get(world.dispatcher, "/triage/accuracy", since="昨天")
    assert response.status_code == 400 and response.json()["field"] == "since"
    assert "起始时间" in response.json()["message"]


def test_accuracy_costs_the_same_queries_however_many_decisions(api, world):
    def queries():
        with count_queries() as captured:
            assert api.get(world.dispatcher, "/triage/accuracy").status_code == 200
        return captured

    t.case_triage(actor=world.dispatcher, case=world.register(), accept_suggestion=True)
    queries()  # warm the token
    few = queries()
    for i in range(4):
        case = world.register(parties=[PartyInput(name=f"工人{i}")], description=f"{WAGES}第{i}批")
        t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True)
    assert queries() == few


def test_suggestions_cost_the_same_queries_however_many_earlier_matters(api, world):
    def queries(case, repeats):
        with count_queries() as captured:
            response = api.get(world.dispatcher, f"/cases/{case.number}/suggestions")
        assert response.status_code == 200 and len(response.json()["repeats"]) == repeats
        return captured

    world.register(description=WAGES, parties=[PartyInput(name="甲", phone="13700137001")])
    few = world.register(description=NOISE, parties=[PartyInput(name="甲", phone="13700137001")])
    for i in range(4):
        world.register(description=f"{WAGES}（第{i}次）", parties=[PartyInput(name="乙", phone="13700137002")])
    many = world.register(description=NOISE, parties=[PartyInput(name="乙", phone="13700137002")])
    queries(few, 1)  # warm the token
    assert queries(few, 1) == queries(many, 5)  # 4 by the same party, and the same text as `few`
