"""诉求类型 through the API: stated at registration, proposed in the detail's triage, set at triage."""

import pytest

from yimen.cases.deadlines import compute_due
from yimen.cases.models import Case, LimitUnit

from .conftest import case_body

pytestmark = pytest.mark.usefixtures("lexicon_only")

CONSULT = "请问灵活就业人员的养老保险每年最低交多少钱，在哪里可以缴纳？"


def test_a_request_type_registered_comes_back_in_the_detail_with_its_limit(api, world):
    response = api.post(world.clerk, "/cases", case_body(world, title="咨询养老保险", description=CONSULT, request="",
                                                        category=None, urgency=None, request_type="consult"))
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert response.json()["due_at"] is not None
    assert case.due_at == compute_due(case.received_at, 2, LimitUnit.WORKING_DAYS).at
    detail = api.get(world.dispatcher, f"/cases/{case.number}").json()
    assert (detail["request_type"], detail["request_type_label"]) == ("consult", "咨询")
    proposal = detail["triage"]["request_type"]
    assert proposal["code"] == "consult" and "请问" in proposal["cues"] and proposal["reason"].startswith("命中提示语")


def test_an_unknown_request_type_is_400_naming_the_field(api, world):
    response = api.post(world.clerk, "/cases", case_body(world, request_type="gossip"))
    assert response.status_code == 400
    assert "request_type" in response.content.decode() and "诉求类型" in response.content.decode()
    assert not Case.objects.exists()


def test_the_triage_action_sets_the_request_type(api, world):
    case = world.register()
    response = api.act(world.dispatcher, case, "triage", category="labour", request_type="help")
    assert response.status_code == 200, response.content
    detail = api.get(world.dispatcher, f"/cases/{case.number}").json()
    assert (detail["request_type"], detail["request_type_label"]) == ("help", "求助")
    assert detail["due_at"] is not None
    case.refresh_from_db()
    assert case.due_at == compute_due(case.received_at, 10, LimitUnit.WORKING_DAYS).at


def test_the_triage_action_refuses_an_unknown_request_type(api, world):
    case = world.register()
    response = api.act(world.dispatcher, case, "triage", category="labour", request_type="gossip")
    assert response.status_code == 400 and "诉求类型" in response.content.decode()
