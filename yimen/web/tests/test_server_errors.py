"""Errors reveal nothing (issue 11): with DEBUG off a server error is a plain page — residents' or
staff's — or JSON under /api/, carrying only a reference id that the log line with the traceback
also carries, so an operator can find it. Unknown /api/ addresses answer JSON, whatever the method."""

import logging
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from yimen.web.tests.urls_failing import PRIVATE

REFERENCE = re.compile(r"E-[0-9A-Z]{6}")
pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    # A real browser gets the response; the test client would re-raise the exception instead.
    return Client(raise_request_exception=False)


def _reveals_nothing(text: str) -> None:
    for secret in ("Traceback", "RuntimeError", "bug while saving", *PRIVATE.split(), settings.SECRET_KEY,
                   "DATABASES", "SECRET_KEY", "/work/", ".py"):
        assert secret not in text, secret


def _logged_reference(caplog) -> tuple[str, logging.LogRecord]:
    records = [r for r in caplog.records if r.levelno >= logging.ERROR and REFERENCE.search(r.getMessage())]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    return REFERENCE.search(records[0].getMessage())[0], records[0]


@override_settings(DEBUG=False, ROOT_URLCONF="yimen.web.tests.urls_failing")
def test_a_server_error_on_a_staff_page_shows_a_plain_page_with_the_reference_in_the_log(browser, world, caplog):
    browser.force_login(world.clerk)
    response = browser.get("/failing/", {"id_number": "110101199003074477"})
    html = response.content.decode()
    assert response.status_code == 500 and "系统出错了" in html and "回到工作台" in html
    _reveals_nothing(html)
    reference, record = _logged_reference(caplog)
    assert f"参考编号：<strong>{reference}</strong>" in html
    assert record.exc_info and "bug while saving" in str(record.exc_info[1])  # the traceback is in the log
    assert "/failing/" in record.getMessage()


@override_settings(DEBUG=False, ROOT_URLCONF="yimen.web.tests.urls_failing")
def test_a_server_error_on_a_residents_page_shows_the_residents_way_back(browser, world, caplog):
    response = browser.post("/r/failing/", {"phone": "13800138000", "description": "身份证110101199003074477"})
    html = response.content.decode()
    assert response.status_code == 500 and "系统出错了" in html
    assert 'href="/r/track/"' in html and "回到工作台" not in html
    _reveals_nothing(html)
    reference, _record = _logged_reference(caplog)
    assert reference in html


def test_references_are_short_and_differ():
    from yimen.common.incidents import new_reference

    references = {new_reference() for _ in range(200)}
    assert len(references) == 200 and all(REFERENCE.fullmatch(r) for r in references)


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
def test_an_unknown_api_address_answers_json_404_whatever_the_method(client, world, method):
    response = getattr(client, method)("/api/v1/no-such-thing/here")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "message": "请求的资源不存在。"}


def test_outside_the_api_a_missing_page_is_still_the_plain_page(client, world):
    response = client.get("/apis/no-such-page/")
    assert response.status_code == 404 and "找不到这个页面" in response.content.decode()


@override_settings(DEBUG=False, ROOT_URLCONF="yimen.web.tests.urls_failing")
def test_a_nul_that_slipped_past_every_check_is_still_a_400_not_a_server_error(browser, world, caplog):
    response = browser.get("/forgot/", {"q": "\x00"})
    assert response.status_code == 400 and "含有不可见的控制字符" in response.content.decode()
    assert any("lacks the check" in r.getMessage() for r in caplog.records)


def test_a_nul_in_the_category_search_of_the_window_is_not_a_server_error(client, world):
    client.force_login(world.clerk)
    response = client.get(reverse("web:window_categories"), {"q": "劳\x00"})
    assert response.status_code in (200, 400)  # SQLite stores NUL; PostgreSQL refuses it: the backstop's 400
