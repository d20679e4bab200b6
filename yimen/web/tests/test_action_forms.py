"""The workbench's action forms are derived from the action registry's bodies (yimen.cases.actions):
every staff action has a form with the body's fields, and a new move with an ordinary body gets a
working form without an edit in web/."""

import datetime as dt
from typing import Annotated, Literal

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from pydantic import Field

from yimen.cases.actions import ACTIONS, STAFF_ACTIONS, ActionIn
from yimen.cases.models import Urgency
from yimen.common.inputs import LongText, enum_field
from yimen.web.forms.actions import ACTION_FORMS, CUSTOM_FORMS, derive_form, derived_form, form_class_for

PAGE_FIELDS = {"status_seen", "next"}


def _is_dict(info) -> bool:
    return getattr(info.annotation, "__origin__", None) is dict


@pytest.mark.parametrize("action", [str(a) for a in STAFF_ACTIONS])
def test_each_staff_action_has_the_fields_of_its_body_with_the_same_required_flags(action):
    schema = ACTIONS[action].schema
    wanted = [name for name, info in schema.model_fields.items() if name != "expected_status" and not _is_dict(info)]
    form = derived_form(action)(action=action)
    assert list(form.body_fields) == wanted
    assert set(form.fields) == set(wanted) | PAGE_FIELDS
    for name in wanted:
        assert form.fields[name].required == schema.model_fields[name].is_required(), name
        assert form.fields[name].label, f"{action}.{name} has no Chinese label"


@pytest.mark.parametrize("action", [str(a) for a in STAFF_ACTIONS])
def test_a_form_with_behaviour_of_its_own_keeps_the_derived_fields(action):
    """The custom forms subclass the derived one, so the body's shape is never declared twice; a
    body's dict (tasks, a session's details) has no input and only a form of its own can fill it."""
    assert issubclass(form_class_for(action), derived_form(action))
    assert ACTION_FORMS[action] is form_class_for(action)
    if any(_is_dict(info) for info in ACTIONS[action].schema.model_fields.values()):
        assert action in CUSTOM_FORMS


def test_every_staff_action_and_only_those_has_a_form():
    assert set(ACTION_FORMS) == {str(a) for a in STAFF_ACTIONS} == set(ACTIONS)


# ---------------------------------------------------------------------------------------------
# A move the workbench has never heard of


class HearWitnessIn(ActionIn):
    statement: LongText = Field(max_length=2000, description="证人陈述")
    urgency: Annotated[Urgency | None, enum_field(Urgency)] = None
    public: bool = Field(False, description="公开陈述")
    witness_id: int | None = Field(None, ge=1, description="证人编号")
    heard_on: dt.date | None = Field(None, description="询问日期")
    where: Literal["office", "home"] = Field("office", description="询问地点")


def _post(data: dict) -> QueryDict:
    q = QueryDict(mutable=True)
    q.update(data)
    return q


@pytest.fixture
def hear_witness():
    return derive_form("hear_witness", HearWitnessIn)


def test_a_new_move_gets_a_form_that_renders_with_chinese_labels_and_fitting_inputs(hear_witness):
    html = render_to_string("web/case/_fields.html", {"form": hear_witness(initial={"status_seen": "in_progress"})})
    assert '<label for="hear_witness-statement">证人陈述<span class="req"' in html
    assert '<textarea name="statement" cols="40" rows="3" maxlength="2000" required id="hear_witness-statement">' in html
    assert '<label for="hear_witness-urgency">紧急程度</label>' in html
    assert '<option value="" selected>请选择</option>' in html and '<option value="urgent">急难事·马上办</option>' in html
    assert '<input type="checkbox" name="public" id="hear_witness-public">' in html and "公开陈述" in html
    assert '<input type="hidden" name="witness_id" id="hear_witness-witness_id">' in html
    assert '<input type="date" name="heard_on" id="hear_witness-heard_on">' in html
    assert '<option value="office" selected>office</option>' in html
    assert '<input type="hidden" name="status_seen" value="in_progress"' in html


def test_a_new_move_turns_a_good_post_into_the_body_its_schema_accepts(hear_witness):
    form = hear_witness(_post({
        "statement": "当晚看见包工头离开", "urgency": "urgent", "public": "on", "witness_id": "7",
        "heard_on": "2025-03-01", "where": "home", "status_seen": "in_progress",
    }))
    assert form.is_valid(), form.errors
    body = HearWitnessIn.model_validate(form.to_body())
    assert body == HearWitnessIn(
        statement="当晚看见包工头离开", urgency=Urgency.URGENT, public=True, witness_id=7,
        heard_on=dt.date(2025, 3, 1), where="home",
    )


def test_a_new_move_leaves_the_optional_fields_to_the_schema_defaults(hear_witness):
    form = hear_witness(_post({"statement": "没有看见", "urgency": "", "witness_id": "", "heard_on": ""}))
    assert form.is_valid(), form.errors
    assert form.to_body() == {"statement": "没有看见", "public": False}
    assert HearWitnessIn.model_validate(form.to_body()) == HearWitnessIn(statement="没有看见")


def test_a_new_move_refuses_a_missing_required_field_in_chinese(hear_witness):
    form = hear_witness(_post({"statement": "", "urgency": "urgent"}))
    assert not form.is_valid()
    assert form.errors["statement"] == ["请填写证人陈述。"]
    form = hear_witness(_post({"statement": "x", "urgency": "whenever", "witness_id": "0"}))
    assert not form.is_valid() and set(form.errors) == {"urgency", "witness_id"}


def test_a_body_field_the_builder_cannot_show_is_refused_when_the_form_is_built():
    class WithRequiredMapIn(ActionIn):
        shares: dict[str, int]

    with pytest.raises(TypeError, match="with_required_map.shares"):
        derive_form("with_required_map", WithRequiredMapIn)
