"""Error pages in the interface's language, with a way back that fits who is reading: residents get
the residents' links, staff the workbench; nothing on them needs a request (a 500 has none)."""

from django.test import Client
from django.urls import reverse

RESIDENTS_TRACK = 'href="/r/track/"'
WORKBENCH_HOME = 'href="/"'


def test_a_resident_following_a_wrong_code_gets_a_chinese_page_with_the_residents_link(client, world):
    response = client.get(reverse("web:resident_start", kwargs={"code": "999999"}))
    html = response.content.decode()
    assert response.status_code == 404 and '<html lang="zh-hans">' in html
    assert "找不到这个页面" in html and RESIDENTS_TRACK in html and "回到工作台" not in html


def test_staff_on_a_missing_page_get_the_way_back_to_the_workbench(client, world):
    client.force_login(world.clerk)
    html = client.get("/no-such-page/").content.decode()
    assert "找不到这个页面" in html and WORKBENCH_HOME in html and "回到工作台" in html


def test_the_404_page_speaks_english_to_those_who_chose_it(client, world):
    from django.utils import translation

    client.post(reverse("set_language"), {"language": "en"})
    html = client.get("/r/c/999999/").content.decode()
    with translation.override("en"):
        assert translation.gettext("找不到这个页面") in html
    assert '<html lang="en">' in html


def test_an_expired_form_says_so_in_plain_words_and_changes_nothing(world):
    from yimen.cases.models import Case

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("web:resident_register", kwargs={"code": world.township.code}), {"intent": "submit"})
    html = response.content.decode()
    assert response.status_code == 403 and "页面已过期" in html and "什么也没有改变" in html
    assert not Case.objects.exists()


def test_the_500_page_renders_without_a_request(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and "系统出错了" in html and RESIDENTS_TRACK in html
