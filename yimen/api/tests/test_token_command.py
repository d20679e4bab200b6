import pytest
from django.core.management import CommandError, call_command

from yimen.accounts.models import ApiToken


def test_create_prints_the_token_once_and_it_works(client, world, capsys):
    call_command("token", "create", "clerk", "--name", "12345热线")
    out = capsys.readouterr()
    raw = out.out.strip()
    assert raw.startswith("ym_") and "不会再次显示" in out.err
    token = ApiToken.objects.get(user=world.clerk)
    assert token.name == "12345热线" and token.prefix == raw[:8] and raw not in token.digest
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_list_shows_prefixes_and_revoke_stops_the_token(client, world, capsys):
    _token, raw = ApiToken.issue(world.clerk, name="窗口")
    call_command("token", "list", "clerk")
    out = capsys.readouterr().out
    assert raw[:8] in out and "有效" in out and raw not in out
    call_command("token", "revoke", raw[:8])
    assert "已吊销" in capsys.readouterr().out
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    with pytest.raises(CommandError):
        call_command("token", "revoke", raw[:8])


def test_an_unknown_user_is_an_error(world):
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("token", "create", "nobody")
