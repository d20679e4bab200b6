"""NUL and other control characters in any API input (issue 11): a Chinese 400 naming the field, and
nothing saved. On PostgreSQL a NUL used to reach the database and answer 500. Long free text keeps
tab and line breaks; a single-line field keeps none."""

import inspect

import pytest

from yimen.api import schemas
from yimen.cases.models import Case, RevealAudit

from .conftest import case_body

NUL = "\x00"


def _refused(response, field: str, label: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field
    assert body["message"] == f"“{label}”（{field}）含有不可见的控制字符，请删除后重试。"


@pytest.mark.parametrize("char", [NUL, "\x07", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_body_field_is_refused_naming_it(api, world, char):
    response = api.post(world.clerk, "/cases", case_body(world, description=f"工资未结清{char}包工头失联"))
    _refused(response, "description", "事项描述")
    assert not Case.objects.exists()


def test_a_nul_in_a_nested_party_field_names_the_party_and_field(api, world):
    body = case_body(world)
    body["parties"][1]["name"] = "某建筑\x00劳务公司"
    _refused(api.post(world.clerk, "/cases", body), "parties[1].name", "当事人姓名/名称")
    assert not Case.objects.exists()


def test_a_nul_in_a_list_of_tags_is_refused(api, world):
    _refused(api.post(world.clerk, "/cases", case_body(world, tags=["欠薪", "农民\x00工"])), "tags", "标签")


def test_long_text_keeps_line_breaks_and_tabs_but_a_one_line_field_does_not(api, world):
    response = api.post(world.clerk, "/cases", case_body(world, description="第一段：欠薪。\r\n\t第二段：包工头失联。"))
    assert response.status_code == 201, response.content
    assert Case.objects.get().description.startswith("第一段：欠薪。\r\n\t第二段")
    _refused(api.post(world.clerk, "/cases", case_body(world, title="欠薪\n纠纷")), "title", "标题")


def test_a_nul_in_an_action_reason_is_refused_and_the_matter_does_not_move(api, world):
    case = world.dispatched()
    response = api.act(world.handler, case, "return", reason="不属于本单位\x00职责")
    _refused(response, "reason", "退单理由")
    case.refresh_from_db()
    assert case.status == "dispatched"


def test_a_nul_in_a_dispatch_task_is_refused(api, world):
    case = world.register()
    api.act(world.dispatcher, case, "triage", category="labour", urgency="worrying", risk="yellow")
    response = api.act(world.dispatcher, case, "dispatch", lead_unit=world.hrss.pk,
                       tasks={str(world.hrss.pk): "核查\x00工资"})
    _refused(response, "tasks", "各单位任务")


def test_a_nul_in_a_query_filter_is_refused(api, world):
    world.register()
    _refused(api.get(world.clerk, "/cases", text="工资\x00"), "text", "关键词")
    _refused(api.get(world.clerk, "/cases", cursor="\x00"), "cursor", "分页游标")
    _refused(api.get(world.clerk, "/cases", category="lab\x00our"), "category", "类别")


def test_a_nul_in_the_path_is_refused_naming_the_number(api, world):
    case = world.register()
    _refused(api.get(world.clerk, "/cases/449001001%00"), "number", "事项编号")
    _refused(api.get(world.clerk, f"/cases/{case.number}%00/suggestions"), "number", "事项编号")
    _refused(api.post(world.dispatcher, f"/cases/{case.number}%00/actions/triage", {}), "number", "事项编号")


def test_a_nul_in_a_reveal_purpose_is_refused_and_no_access_is_recorded(api, world):
    case = world.register()
    party = case.parties.first()
    response = api.post(world.clerk, f"/cases/{case.number}/parties/{party.pk}/reveal", {"purpose": "核实\x00身份"})
    _refused(response, "purpose", "查看用途")
    assert not RevealAudit.objects.exists()


def test_every_input_schema_refuses_control_characters_so_a_new_one_cannot_forget():
    inputs = [cls for _name, cls in inspect.getmembers(schemas, inspect.isclass)
              if issubclass(cls, schemas.Schema) and cls.__module__ == schemas.__name__
              and (cls.__name__.endswith(("In", "Query")))]
    assert inputs and all(issubclass(cls, schemas.Input) for cls in inputs), [c for c in inputs if not issubclass(c, schemas.Input)]
    assert all(issubclass(cls, schemas.Input) for cls in schemas.ACTION_SCHEMAS.values())
