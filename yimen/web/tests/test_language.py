"""Chinese by default, English on request: the switch on every page, the cookie it leaves, the
Accept-Language header of API clients. The English words are read from the catalogue itself, so
these tests fail if a page is not translated, not if a translator rewords a label."""

import re

from django.urls import reverse
from django.utils import translation

CJK = re.compile(r"[\u4e00-\u9fff]")


def english(chinese: str) -> str:
    with translation.override("en"):
        words = translation.gettext(chinese)
    assert words != chinese and not CJK.search(words), f"no English for {chinese!r}"
    return words


def _switch(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_pages_are_chinese_until_someone_asks_for_english(client, world):
    client.force_login(world.clerk)
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="zh-hans">' in html and "退出" in html
    assert 'name="language" value="en"' in html  # the switch is offered


def test_a_clerk_switches_the_workbench_to_english_and_back(client, world):
    client.force_login(world.clerk)
    response = _switch(client, "en", reverse("web:home"))
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    html = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in html
    assert english("退出") in html and english("管理后台") not in html  # a clerk is not staff
    assert english("登记新事项") in html
    assert 'name="language" value="zh-hans"' in html
    _switch(client, "zh-hans", reverse("web:home"))
    assert "退出" in client.get(reverse("web:home")).content.decode()


def test_the_sign_in_page_offers_the_switch_too(client):
    assert 'name="language" value="en"' in client.get(reverse("web:login")).content.decode()
    _switch(client, "en", reverse("web:login"))
    html = client.get(reverse("web:login")).content.decode()
    assert '<html lang="en">' in html and english("登录") in html


def test_a_resident_reads_the_start_page_in_english(client, world):
    start = reverse("web:resident_start", kwargs={"code": world.township.code})
    assert 'name="language" value="en"' in client.get(start).content.decode()
    _switch(client, "en", start)
    html = client.get(start).content.decode()
    assert '<html lang="en">' in html and english("查询办理进度") in html
    assert "桃源镇综治中心" in html  # names are data, shown as written


def test_a_form_error_is_shown_in_the_users_language(client, world):
    client.force_login(world.clerk)
    _switch(client, "en", reverse("web:home"))
    html = client.get(reverse("web:window")).content.decode()
    assert english("附件") in html and english("已选择：") in html  # the drop zone's words, for window.js


def test_an_api_client_asks_for_english_with_accept_language(client, world):
    from yimen.accounts.models import ApiToken

    token = ApiToken.issue(world.clerk)[1]
    body = {"channel": "walk_in", "region_code": world.grid.code, "description": " ", "parties": [{"name": "张三"}]}
    headers = {"Authorization": f"Bearer {token}"}
    chinese = client.post("/api/v1/cases", body, content_type="application/json", headers=headers).json()
    assert chinese["message"] == "请填写事项描述。"
    response = client.post("/api/v1/cases", body, content_type="application/json",
                           headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 400 and response.json()["message"] == english("请填写事项描述。")
    assert response.json()["field"] == "description"


def test_an_api_error_lists_the_allowed_values_in_english_words_and_punctuation(client, world):
    from yimen.accounts.models import ApiToken

    token = ApiToken.issue(world.clerk)[1]
    body = {"channel": "fax", "region_code": world.grid.code, "description": "欠薪", "parties": [{"name": "张三"}]}
    response = client.post("/api/v1/cases", body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    message = response.json()["message"]
    assert response.status_code == 400 and response.json()["field"] == "channel"
    assert f"walk_in ({english('来访')})" in message and "、" not in message and "（" not in message


def test_what_an_english_reading_dispatcher_stores_or_sends_stays_in_the_sites_language(world):
    """The record and the notifications are read by everyone: one person's language is not data."""
    from yimen.cases import transitions as t
    from yimen.notifications.models import OutboxMessage

    dispatched, turned_down = world.register(), world.register(title="不属于本中心的事")
    with translation.override("en"):
        t.case_dispatch(actor=world.dispatcher, case=dispatched, lead_unit=world.hrss)
        t.case_not_accept(actor=world.dispatcher, case=turned_down, reason="属于法院管辖", where_to_go="人民法院")
    assert OutboxMessage.objects.get(kind="assignment_created").subject == f"[{dispatched.number}] 新派单：请在期限内签收"
    turned_down.refresh_from_db()
    assert turned_down.result == "不予受理理由：属于法院管辖\n告知去向：人民法院"
