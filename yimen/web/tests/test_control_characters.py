"""NUL and other control characters in the workbench's and the residents' forms (issue 11): a 400
naming the field in Chinese, what was typed kept, nothing saved. One validator for all forms
(yimen/web/forms/base.py); on PostgreSQL a NUL used to end in a server error."""

import inspect
import pkgutil
from importlib import import_module

import pytest
from django import forms
from django.urls import reverse

import yimen.web.forms
from yimen.cases.models import Case, CaseEvent
from yimen.residents.models import Draft
from yimen.web.forms.base import Form

from .test_case_actions import _act
from .test_resident_intake import _residents, filled, register_url, send_code  # noqa: F401 (fixture)
from .test_window import window_post


def _message(label: str, field: str) -> str:
    return f"“{label}”（{field}）含有不可见的控制字符，请删除后重试。"


def test_every_form_of_the_web_derives_from_the_base_that_refuses_control_characters():
    found = []
    for module in pkgutil.iter_modules(yimen.web.forms.__path__):
        mod = import_module(f"yimen.web.forms.{module.name}")
        found += [cls for _n, cls in inspect.getmembers(mod, inspect.isclass)
                  if issubclass(cls, forms.BaseForm) and cls.__module__ == mod.__name__]
    assert len(found) > 10
    assert [cls for cls in found if not issubclass(cls, Form)] == []


def test_a_nul_in_the_window_form_is_refused_naming_the_field_and_keeping_the_text(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world, description="张三等12名工人\x00工资未结清。"))
    html = response.content.decode()
    assert response.status_code == 400 and not Case.objects.exists()
    assert _message("事项描述", "description") in html
    assert 'value="杏花村工地"' in html and "请求协调支付拖欠工资" in html


def test_the_window_keeps_line_breaks_in_long_text_but_not_in_a_one_line_field(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world, title="欠薪\x1b[31m纠纷"))
    assert response.status_code == 400 and _message("标题", "title") in response.content.decode()
    response = client.post(reverse("web:window"), window_post(world, description="第一段：欠薪。\r\n第二段：\t包工头失联。"))
    assert response.status_code == 302 and "\r\n第二段：\t" in Case.objects.get().description


def test_a_nul_in_a_party_row_is_refused(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:window"), window_post(world, **{"parties-1-name": "某建筑\x00劳务公司"}))
    assert response.status_code == 400 and not Case.objects.exists()
    assert "含有不可见的控制字符" in response.content.decode()


def test_a_nul_in_an_action_reason_is_refused_and_the_matter_does_not_move(client, world):
    case = world.dispatched()
    response = _act(client, world.handler, case, "return", {"reason": "不属于\x00本单位", "status_seen": "dispatched"})
    assert response.status_code == 400
    assert _message("退单理由", "reason") in response.content.decode()
    case.refresh_from_db()
    assert case.status == "dispatched" and not CaseEvent.objects.filter(case=case, kind="returned").exists()


def test_a_nul_in_a_list_filter_names_the_field_instead_of_failing(client, world):
    world.register()
    client.force_login(world.clerk)
    response = client.get("/cases/", {"text": "工资\x00"})
    assert response.status_code == 200
    assert _message("关键词或事项编号", "text") in response.content.decode()


def test_a_resident_typing_a_control_character_gets_it_named_and_keeps_the_rest(client, world):
    code = send_code(client, world)
    data = {**filled(world, name="王\x00五"), "code": code, "intent": "submit"}
    response = client.post(register_url(world.centre_township), data)
    html = response.content.decode()
    assert response.status_code == 400 and not Case.objects.exists()
    assert _message("您的姓名", "name") in html
    assert "老板拖欠我们三个月工资" in html and "请帮我们要回工资" in html
    assert Draft.objects.get().data["request"] == "请帮我们要回工资"


def test_a_nul_in_the_residents_track_form_is_refused(client, world):
    response = client.post(reverse("web:resident_track"), {"number": "449001001\x00", "code": "ABCD"})
    assert response.status_code == 400 and _message("事项编号", "number") in response.content.decode()


@pytest.mark.parametrize("text", ["\x00", "\x08", "\x7f", "\x9b"])
def test_the_base_form_refuses_each_kind_of_control_character(text):
    class Note(Form):
        note = forms.CharField(label="说明", widget=forms.Textarea)
        title = forms.CharField(label="标题")

    form = Note({"note": f"a{text}b", "title": "ok"})
    assert not form.is_valid() and form.errors["note"] == [_message("说明", "note")]
    assert Note({"note": "a\n\tb", "title": "ok"}).is_valid()
    assert not Note({"note": "a", "title": "a\nb"}).is_valid()


def test_a_nul_in_a_reveal_purpose_is_refused_and_nothing_is_shown_or_recorded(client, world):
    from yimen.cases.models import RevealAudit

    case = world.register()
    party = case.parties.get(name="张三")
    client.force_login(world.clerk)
    response = client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "联系\x00当事人"})
    html = response.content.decode()
    assert response.status_code == 400 and _message("查看用途", "purpose") in html
    assert party.id_number not in html and not RevealAudit.objects.exists()
