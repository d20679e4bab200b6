"""API tokens expire and can be revoked; a refused token says why (`yimen token`, the admin action)."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from yimen.accounts.models import ApiToken

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _get(client, raw):
    return client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"})


def _token(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_token_lasts_ninety_days_by_default(client, world):
    with time_machine.travel(T0, tick=False):
        token, raw = ApiToken.issue(world.clerk)
    assert token.expires_at == T0 + dt.timedelta(days=90)
    with time_machine.travel(T0 + dt.timedelta(days=89), tick=False):
        assert _get(client, raw).status_code == 200


def test_an_expired_token_answers_401_with_its_date(client, world):
    with time_machine.travel(T0, tick=False):
        _token_row, raw = ApiToken.issue(world.clerk, days=30)
    with time_machine.travel(T0 + dt.timedelta(days=30), tick=False):
        response = _get(client, raw)
    assert response.status_code == 401
    assert response.json() == {"code": "token_expired", "message": "访问令牌已过期（2027-01-06），请重新申请。"}


def test_a_revoked_token_answers_401_saying_so(client, world):
    token, raw = ApiToken.issue(world.clerk)
    _token("revoke", token.prefix)
    response = _get(client, raw)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"
    assert "已吊销" in response.json()["message"]
    token.refresh_from_db()
    assert token.revoked and token.revoked_at is not None


def test_token_create_prints_the_secret_alone_and_takes_days_and_a_name(client, world):
    with time_machine.travel(T0, tick=False):
        out, err = _token("create", "clerk", "--days", "7", "--name", "12345热线对接")
    raw = out.strip()
    token = ApiToken.objects.get(prefix=raw[:8])
    assert token.name == "12345热线对接" and token.expires_at == T0 + dt.timedelta(days=7)
    assert "有效期至" in err and raw not in err
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert _get(client, raw).status_code == 200


def test_token_create_refuses_a_silly_span(world):
    with pytest.raises(CommandError, match="1 到 3650"):
        _token("create", "clerk", "--days", "0")


def test_token_list_shows_state_expiry_and_owner_for_one_user_or_everyone(world):
    with time_machine.travel(T0, tick=False):
        live, _raw = ApiToken.issue(world.clerk, name="对接")
        old, _raw = ApiToken.issue(world.clerk, days=1)
        other, _raw = ApiToken.issue(world.dispatcher)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        mine, _err = _token("list", "clerk")
        everyone, _err = _token("list")
    rows = {line.split("\t")[0]: line for line in mine.splitlines()}
    assert "有效" in rows[live.prefix] and "有效期至 2027-03-07" in rows[live.prefix]
    assert "已过期" in rows[old.prefix] and other.prefix not in mine
    assert other.prefix in everyone and "dispatcher" in everyone


def test_token_revoke_names_an_unknown_prefix(world):
    with pytest.raises(CommandError, match="没有前缀为 ym_zzzzz 的有效令牌"):
        _token("revoke", "ym_zzzzz")


def test_the_admin_action_revokes_the_selected_tokens(client, world):
    token, raw = ApiToken.issue(world.clerk)
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    response = client.post(reverse("admin:accounts_apitoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert "已吊销 1 个令牌" in response.content.decode()
    client.logout()
    assert _get(client, raw).status_code == 401
