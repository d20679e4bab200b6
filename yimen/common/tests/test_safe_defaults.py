"""What a centre gets by default is safe: no debug pages, no demo key, no demo password, no SMS code
on the page — and the demo exists only where someone asked for it."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core import checks
from django.core.management import CommandError, call_command

from yimen.accounts.models import User
from yimen.common.checks import SAFETY_TAG
from yimen.common.startup import UnsafeStart, refuse_unsafe_start, safety_errors
from yimen.demo.staff import DEMO_PASSWORD, DEMO_PASSWORD_SALT

GOOD_KEY = "k" * 20 + "-not-the-demo-key-" + "q" * 20


def _ids(**kwargs):
    return {m.id for m in checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True, **kwargs)}


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")}
    env.update(extra)
    return env


def test_a_fresh_start_has_debug_demo_and_the_sms_echo_off():
    code = "from django.conf import settings as s; print(s.DEBUG, s.YIMEN_DEMO, s.YIMEN_SMS_ECHO_CODE)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yimen.settings'; django.setup(); {code}"],
        env=_clean_env(), capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out == ["False", "False", "False"]


def test_the_default_secret_key_is_refused_outside_demo_mode_naming_the_variable(settings):
    settings.YIMEN_DEMO = False
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    errors = [m for m in checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True) if m.id == "yimen.E001"]
    assert errors and "YIMEN_SECRET_KEY" in errors[0].msg and "默认密钥" in errors[0].msg
    settings.SECRET_KEY = "short"
    assert "yimen.E002" in _ids()
    settings.SECRET_KEY = GOOD_KEY
    assert not {"yimen.E001", "yimen.E002"} & _ids()


def test_the_demo_key_and_the_sms_echo_are_accepted_in_demo_mode_only(settings):
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    settings.YIMEN_SMS_ECHO_CODE = True
    settings.YIMEN_DEMO = True
    assert _ids() == set()
    settings.YIMEN_DEMO = False
    assert {"yimen.E001", "yimen.E003"} <= _ids()


@pytest.mark.django_db
def test_an_account_on_the_demo_password_stops_the_start_outside_demo_mode(settings):
    settings.YIMEN_DEMO = False
    settings.SECRET_KEY = GOOD_KEY
    demo_hash = make_password(DEMO_PASSWORD, salt=DEMO_PASSWORD_SALT)
    User.objects.create(username="clerk_taoyuan", password=demo_hash)
    User.objects.create(username="someone_real", password=make_password("Another-Pass-2026"))
    errors = [m for m in checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True, databases=["default"]) if m.id == "yimen.E010"]
    assert len(errors) == 1 and "clerk_taoyuan" in errors[0].msg and "someone_real" not in errors[0].msg
    # Two accounts sharing a hash of the demo password with another salt (an older demo) are found too.
    older = make_password(DEMO_PASSWORD)
    User.objects.filter(username="clerk_taoyuan").update(password=make_password("Changed-Pass-2026"))
    User.objects.create(username="a", password=older)
    User.objects.create(username="b", password=older)
    errors = [m for m in checks.run_checks(tags=[SAFETY_TAG], include_deployment_checks=True, databases=["default"]) if m.id == "yimen.E010"]
    assert len(errors) == 1 and "a、b" in errors[0].msg
    User.objects.filter(username__in=["a", "b"]).update(is_active=False)
    assert "yimen.E010" not in _ids(databases=["default"])
    settings.YIMEN_DEMO = True
    User.objects.filter(username__in=["a", "b"]).update(is_active=True)
    assert "yimen.E010" not in _ids(databases=["default"])


@pytest.mark.django_db
def test_refusing_to_start_prints_every_reason(settings, capsys):
    settings.YIMEN_DEMO = False
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    settings.YIMEN_SMS_ECHO_CODE = True
    assert len(safety_errors()) == 2
    with pytest.raises(UnsafeStart):
        refuse_unsafe_start()
    err = capsys.readouterr().err
    assert "一门拒绝启动" in err and "yimen.E001" in err and "yimen.E003" in err


def test_the_wsgi_application_refuses_to_load_on_the_default_key_while_migrate_runs(tmp_path):
    # A plain `gunicorn yimen.wsgi:application` is held to the same checks (an unmigrated database
    # skips only the checks that need rows).
    env = _clean_env(YIMEN_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", YIMEN_VAR_DIR=str(tmp_path))
    refused = subprocess.run([sys.executable, "-c", "import yimen.wsgi"], env=env, capture_output=True, text=True)
    assert refused.returncode == 3 and "YIMEN_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
    # Setting up is not held to the start-up checks: migrate runs before any key or account exists.
    migrate = subprocess.run([sys.executable, "-m", "yimen", "migrate", "--noinput", "-v", "0"], env=env,
                             capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr
    env["YIMEN_SECRET_KEY"] = GOOD_KEY
    started = subprocess.run([sys.executable, "-c", "import yimen.wsgi"], env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    env["YIMEN_DEMO"] = "true"
    env.pop("YIMEN_SECRET_KEY")
    assert subprocess.run([sys.executable, "-c", "import yimen.wsgi"], env=env, capture_output=True).returncode == 0


@pytest.mark.django_db
def test_the_demo_loads_only_in_demo_mode(settings):
    settings.YIMEN_DEMO = False
    with pytest.raises(CommandError, match="YIMEN_DEMO=true"):
        call_command("demo", "load", "--matters", "0", stdout=StringIO())
    assert not User.objects.exists()


def test_behind_https_cookies_are_secure_and_hsts_is_sent():
    code = ("from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_PROXY_SSL_HEADER)")
    run = lambda **env: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yimen.settings'; django.setup(); {code}"],
        env=_clean_env(**env), capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert run() == "False False 0 False None"
    assert run(YIMEN_HTTPS="true", YIMEN_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO") == \
        "True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
