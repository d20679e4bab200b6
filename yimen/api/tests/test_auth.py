import datetime as dt

import time_machine
from django.test import Client

from yimen.accounts.models import ApiToken


def test_a_request_without_credentials_gets_401_in_chinese(client, world):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "令牌" in response.json()["message"]


def test_a_post_without_credentials_is_401_not_a_csrf_failure(client, world):
    response = client.post("/api/v1/cases", "{}", content_type="application/json")
    assert response.status_code == 401


def test_an_unknown_or_revoked_token_gets_401(client, world):
    token, raw = ApiToken.issue(world.clerk)
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer ym_nonsense"}).status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_token_of_a_deactivated_user_gets_401(client, world):
    _token, raw = ApiToken.issue(world.clerk)
    world.clerk.is_active = False
    world.clerk.save()
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client, world):
    token, raw = ApiToken.issue(world.clerk)
    headers = {"Authorization": f"Bearer {raw}"}
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        client.get("/api/v1/cases", headers=headers)
        token.refresh_from_db()
        first = token.last_used_at
        assert first is not None
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, 30, tzinfo=dt.UTC), tick=False):
        client.get("/api/v1/cases", headers=headers)
        token.refresh_from_db()
        assert token.last_used_at == first
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 1, 5, tzinfo=dt.UTC), tick=False):
        client.get("/api/v1/cases", headers=headers)
        token.refresh_from_db()
        assert token.last_used_at > first


def test_the_browser_session_works_and_unsafe_methods_need_csrf(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.clerk)
    assert browser.get("/api/v1/cases").status_code == 200
    response = browser.post("/api/v1/cases", "{}", content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    browser.get("/api/v1/docs")  # sets the CSRF cookie, as the docs page does in a browser
    csrf = browser.cookies["csrftoken"].value
    response = browser.post("/api/v1/cases", "{}", content_type="application/json", headers={"X-CSRFToken": csrf})
    assert response.status_code == 400  # past authentication; the empty body is bad input
