"""A server error inside the API (DEBUG off): JSON with a reference id that the log line with the
traceback also carries; nothing of the request, the settings or the traceback in the body."""

import pytest
from django.test import override_settings

from yimen.web.tests.test_server_errors import _logged_reference, _reveals_nothing
from yimen.web.tests.urls_failing import PRIVATE

from .conftest import case_body

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_a_server_error_in_the_api_is_json_with_a_reference_and_nothing_of_the_request(api, world, caplog, monkeypatch):
    from yimen.api import cases

    def failing(**kwargs):
        raise RuntimeError(f"bug while saving party {PRIVATE}")

    monkeypatch.setattr(cases, "case_register", failing)
    api.client.raise_request_exception = False
    response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "reference"} and body["code"] == "server_error"
    _reveals_nothing(response.content.decode())
    reference, record = _logged_reference(caplog)
    assert body["reference"] == reference and reference in body["message"]
    assert record.exc_info and "POST /api/v1/cases" in record.getMessage()


def test_a_nul_that_slipped_past_every_schema_is_a_400_not_a_server_error(api, world, monkeypatch):
    from django.db import DataError

    from yimen.api import cases

    def forgot_the_check(**kwargs):  # what psycopg raises when a NUL reaches PostgreSQL
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr(cases, "case_register", forgot_the_check)
    response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "提交的内容含有不可见的控制字符，请删除后重试。"}
