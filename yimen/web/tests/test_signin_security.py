"""Signing in as an attacker and as a careful user would (身份鉴别): lockout with the tries left and
the unlock time, per account and per address; the forced password change; the idle and absolute
session limits; the TOTP second factor."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yimen.accounts.models import Membership, Role, User

LOGIN = "/login/"
# A Monday morning in the centre's time zone (Asia/Shanghai), after the personas were created.
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _browser(address="10.0.0.1") -> Client:
    return Client(REMOTE_ADDR=address)


def _sign_in(browser, username, password="pw", **extra):
    return browser.post(LOGIN, {"username": username, "password": password, **extra})


def _page(response) -> str:
    return response.content.decode()


# ---- Lockout ------------------------------------------------------------------------------------


def test_each_wrong_password_says_how_many_tries_remain(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        first = _sign_in(browser, "clerk", "wrong")
        second = _sign_in(browser, "clerk", "wrong")
    assert first.status_code == 200 and "还可尝试 4 次" in _page(first)
    assert "还可尝试 3 次" in _page(second)


def test_the_fifth_wrong_password_locks_the_account_and_says_until_when(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            _sign_in(browser, "clerk", "wrong")
        fifth = _sign_in(browser, "clerk", "wrong")
        right = _sign_in(browser, "clerk", "pw")
    assert fifth.status_code == 429
    assert "该账号已锁定，请于 09:30 后再试，或联系安全管理员解锁" in _page(fifth)
    # Even the right password is refused while locked, and the page says the same unlock time.
    assert right.status_code == 429 and "09:30" in _page(right)
    assert "_auth_user_id" not in browser.session


def test_the_account_is_locked_from_every_address(world):
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            _sign_in(_browser(f"10.0.1.{n}"), "clerk", "wrong")
        response = _sign_in(_browser("10.0.2.1"), "clerk", "pw")
    assert response.status_code == 429 and "该账号已锁定" in _page(response)


def test_one_address_is_locked_across_accounts(world):
    browser = _browser("10.9.9.9")
    with time_machine.travel(T0, tick=False):
        for username in ["clerk", "dispatcher", "director", "handler", "nobody"]:
            _sign_in(browser, username, "wrong")
        from_there = _sign_in(browser, "supervisor", "pw")
        elsewhere = _sign_in(_browser("10.0.0.2"), "supervisor", "pw")
    assert from_there.status_code == 429 and "_auth_user_id" not in browser.session
    assert elsewhere.status_code == 302  # the account itself is not locked


def test_the_address_comes_from_the_proxy_header_when_configured(world, settings):
    settings.YIMEN_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            # One proxy address, five different clients: no lock for the sixth client.
            _sign_in(Client(REMOTE_ADDR="10.0.0.254", HTTP_X_REAL_IP=f"192.0.2.{n}"), f"user{n}", "wrong")
        response = _sign_in(Client(REMOTE_ADDR="10.0.0.254", HTTP_X_REAL_IP="192.0.2.99"), "clerk", "pw")
    assert response.status_code == 302


def test_a_proxy_header_that_is_not_an_address_counts_against_the_connection(world, settings):
    settings.YIMEN_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            _sign_in(Client(REMOTE_ADDR="10.0.0.8", HTTP_X_REAL_IP="<script>"), f"user{n}", "wrong")
        response = _sign_in(Client(REMOTE_ADDR="10.0.0.8", HTTP_X_REAL_IP="nonsense"), "clerk", "pw")
    assert response.status_code == 429


def test_the_lock_lifts_after_thirty_minutes(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            _sign_in(browser, "clerk", "wrong")
    with time_machine.travel(T0 + dt.timedelta(minutes=29), tick=False):
        assert _sign_in(browser, "clerk", "pw").status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=30, seconds=1), tick=False):
        response = _sign_in(browser, "clerk", "pw")
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_the_limits_are_configurable(world, settings):
    settings.YIMEN_LOCKOUT_FAILURES = 2
    settings.YIMEN_LOCKOUT_MINUTES = 5
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        assert "还可尝试 1 次" in _page(_sign_in(browser, "clerk", "wrong"))
        assert "请于 09:05 后再试" in _page(_sign_in(browser, "clerk", "wrong"))


def test_the_admin_login_page_sends_to_the_workbench_sign_in(client, world):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"


def test_a_signed_in_non_staff_user_is_not_sent_round_in_circles_by_the_admin(client, world):
    client.force_login(world.clerk)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert "没有管理后台的权限" in _page(response)


def test_the_admin_is_reached_through_the_one_sign_in(world, settings):
    settings.YIMEN_DEMO = True  # the superuser's second factor is not required in demo mode
    browser = _browser()
    response = _sign_in(browser, "admin", next="/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


# ---- Forced password change ---------------------------------------------------------------------


def _flag_for_change(user):
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])


def test_an_account_an_administrator_opened_must_change_its_password_first(world):
    _flag_for_change(world.clerk)
    browser = _browser()
    response = _sign_in(browser, "clerk")
    assert response.status_code == 302
    home = browser.get("/")
    assert home.status_code == 302 and home["Location"] == reverse("web:password_change")
    page = browser.get(reverse("web:password_change"))
    assert "首次登录或管理员刚为您设置了密码" in _page(page)


def test_the_forced_change_answers_htmx_with_hx_redirect_and_the_api_with_403(client, world):
    _flag_for_change(world.clerk)
    client.force_login(world.clerk)
    htmx = client.get("/inbox/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == reverse("web:password_change")
    api = client.get("/api/v1/cases")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    assert "修改密码" in api.json()["message"]


def test_sign_out_static_files_and_the_language_switch_stay_open_during_a_forced_change(client, world):
    _flag_for_change(world.clerk)
    client.force_login(world.clerk)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("web:logout"))["Location"] == reverse("web:login")
    assert "_auth_user_id" not in client.session


def test_changing_the_password_lifts_the_requirement(client, world):
    _flag_for_change(world.clerk)
    client.force_login(world.clerk)
    response = client.post(reverse("web:password_change"), {
        "old_password": "pw", "new_password1": "Qingxi-2026-Spring", "new_password2": "Qingxi-2026-Spring",
    })
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.get("/").status_code == 200  # still signed in, no longer sent to the change page
    world.clerk.refresh_from_db()
    assert world.clerk.must_change_password is False and world.clerk.check_password("Qingxi-2026-Spring")


def test_a_weak_new_password_is_refused_with_the_rule_in_chinese(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:password_change"), {
        "old_password": "pw", "new_password1": "abcdefghij", "new_password2": "abcdefghij",
    })
    assert response.status_code == 200
    assert "至少 3 类" in _page(response)


def test_a_password_older_than_ninety_days_must_be_changed(client, world):
    client.force_login(world.clerk)
    User.objects.filter(pk=world.clerk.pk).update(password_changed_at=T0 - dt.timedelta(days=90))
    with time_machine.travel(T0, tick=False):
        client.force_login(world.clerk)
        response = client.get("/")
        page = client.get(reverse("web:password_change"))
    assert response.status_code == 302 and response["Location"] == reverse("web:password_change")
    assert "已使用超过 90 天" in _page(page)


def test_the_age_rule_is_skipped_in_demo_mode_and_when_set_to_zero(client, world, settings):
    User.objects.filter(pk=world.clerk.pk).update(password_changed_at=T0 - dt.timedelta(days=400))
    with time_machine.travel(T0, tick=False):
        client.force_login(world.clerk)
        settings.YIMEN_DEMO = True
        assert client.get("/").status_code == 200
        settings.YIMEN_DEMO = False
        settings.YIMEN_PASSWORD_MAX_AGE_DAYS = 0
        assert client.get("/").status_code == 200


# ---- Session limits -----------------------------------------------------------------------------


def test_thirty_idle_minutes_sign_the_user_out_with_a_message(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        _sign_in(browser, "clerk")
        assert browser.get("/").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        response = browser.get("/inbox/")
        assert response.status_code == 302 and response["Location"] == "/login/?next=%2Finbox%2F"
        page = browser.get(response["Location"])
    assert "长时间未操作，已自动退出，请重新登录" in _page(page)
    assert "_auth_user_id" not in browser.session


def test_the_session_cookie_of_a_signed_in_user_lasts_twelve_hours_not_fourteen_days(world):
    browser = _browser()
    _sign_in(browser, "clerk")
    assert browser.cookies["sessionid"]["max-age"] == 12 * 3600


def test_activity_keeps_the_session_alive(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "clerk")
        for _ in range(4):
            traveller.shift(dt.timedelta(minutes=25))
            assert browser.get("/").status_code == 200


def test_an_htmx_request_after_the_timeout_gets_hx_redirect_to_sign_in(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        _sign_in(browser, "clerk")
    with time_machine.travel(T0 + dt.timedelta(minutes=45), tick=False):
        response = browser.get("/inbox/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("web:login")


def test_the_api_over_an_idle_session_answers_401(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        _sign_in(browser, "clerk")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        response = browser.get("/api/v1/cases")
    assert response.status_code == 401 and "长时间未操作" in response.json()["message"]


def test_twelve_hours_end_the_session_however_busy(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "clerk")
        for _ in range(35):  # 11 h 40 min of steady work
            traveller.shift(dt.timedelta(minutes=20))
            assert browser.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=20))
        response = browser.get("/")
        assert response.status_code == 302
        page = browser.get(response["Location"])
    assert "已超过 12 小时" in _page(page)


# ---- TOTP second factor -------------------------------------------------------------------------


def _code(device: TOTPDevice) -> str:
    """The authenticator app's current code, computed by django-otp from the device key."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _enrol(browser, user) -> TOTPDevice:
    page = browser.get(reverse("web:account_otp"))
    assert "<svg" in _page(page)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = browser.post(reverse("web:account_otp"), {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_user_enrols_an_authenticator_and_then_signs_in_with_its_code(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "director")
        page = _page(browser.get(reverse("web:account_otp")))
        device = TOTPDevice.objects.get(user=world.director)
        qr = page[page.index("<svg"):page.index("</svg>")]
        assert "<script" not in qr
        # The key is also shown for typing: base32 in groups of four.
        from yimen.accounts.otp import secret_text

        assert secret_text(device) in page
        _enrol(browser, world.director)
        browser.post(reverse("web:logout"))

        traveller.shift(dt.timedelta(minutes=1))
        second = _browser()
        response = _sign_in(second, "director")
        assert response.status_code == 302 and response["Location"] == reverse("web:signin_code")
        assert "_auth_user_id" not in second.session  # not signed in on the password alone
        assert second.get("/").status_code == 302
        signed_in = second.post(reverse("web:signin_code"), {"code": _code(device)})
        assert signed_in.status_code == 302 and signed_in["Location"] == reverse("web:home")
        assert second.get("/").status_code == 200


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(world):
    device = TOTPDevice.objects.create(user=world.director, name="手机", confirmed=True)
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        _sign_in(browser, "director")
        right = int(_code(device))
        response = browser.post(reverse("web:signin_code"), {"code": f"{(right + 1) % 1000000:06d}"})
    assert response.status_code == 200 and "验证码不正确或已过期" in _page(response)
    assert "_auth_user_id" not in browser.session
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username="director").exists()


def test_five_wrong_codes_lock_the_account_even_for_the_right_code(world):
    device = TOTPDevice.objects.create(user=world.director, name="手机", confirmed=True)
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "director")
        for _ in range(5):
            traveller.shift(dt.timedelta(seconds=30))  # past django-otp's own growing delay
            right = int(_code(device))
            browser.post(reverse("web:signin_code"), {"code": f"{(right + 1) % 1000000:06d}"})
        response = browser.post(reverse("web:signin_code"), {"code": _code(device)})
    assert "该账号已锁定" in _page(response) and "_auth_user_id" not in browser.session


def test_a_code_cannot_be_used_twice(world):
    device = TOTPDevice.objects.create(user=world.director, name="手机", confirmed=True)
    with time_machine.travel(T0, tick=False):
        first, second = _browser(), _browser("10.0.0.2")
        _sign_in(first, "director")
        code = _code(device)
        assert first.post(reverse("web:signin_code"), {"code": code}).status_code == 302
        _sign_in(second, "director")
        replay = second.post(reverse("web:signin_code"), {"code": code})
    assert replay.status_code == 200 and "_auth_user_id" not in second.session


def test_the_code_page_without_a_password_step_sends_back_to_sign_in(client, world):
    response = client.get(reverse("web:signin_code"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")


def test_a_user_removes_their_authenticator_with_a_current_code(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "director")
        device = _enrol(browser, world.director)
        traveller.shift(dt.timedelta(minutes=1))
        response = browser.post(reverse("web:account_otp"), {"code": _code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.director).exists()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_an_administrator_without_a_device_is_sent_to_enrol_before_anything_else(world, role):
    Membership.objects.create(user=world.county_dispatcher, role=role, region=world.county)
    browser = _browser()
    with time_machine.travel(T0, tick=False):
        _sign_in(browser, "county_dispatcher")
        for path in ["/", "/inbox/", reverse("web:password_change")]:
            response = browser.get(path)
            assert response.status_code == 302 and response["Location"] == reverse("web:account_otp"), path
        api = browser.get("/api/v1/cases")
        assert api.status_code == 403 and api.json()["code"] == "otp_enrolment_required"
        page = browser.get(reverse("web:account_otp"))
        assert "必须启用双因素认证" in _page(page)
        _enrol(browser, world.county_dispatcher)
        assert browser.get("/").status_code == 200


def test_a_superuser_is_sent_to_enrol_and_cannot_remove_the_device(world):
    browser = _browser()
    with time_machine.travel(T0, tick=False) as traveller:
        _sign_in(browser, "admin")
        assert browser.get("/admin/")["Location"] == reverse("web:account_otp")
        device = _enrol(browser, world.admin)
        traveller.shift(dt.timedelta(minutes=1))
        refused = browser.post(reverse("web:account_otp"), {"code": _code(device)})
    assert refused.status_code == 200 and "不能关闭" in _page(refused)
    assert TOTPDevice.objects.filter(user=world.admin, confirmed=True).exists()


def test_the_security_administrator_may_require_it_for_directors(world, settings):
    settings.YIMEN_OTP_REQUIRED_ROLES = ["system_admin", "security_admin", "audit_admin", "director"]
    browser = _browser()
    _sign_in(browser, "director")
    assert browser.get("/")["Location"] == reverse("web:account_otp")
    other = _browser("10.0.0.3")
    _sign_in(other, "clerk")
    assert other.get("/").status_code == 200


def test_demo_mode_requires_no_second_factor(world, settings):
    settings.YIMEN_DEMO = True
    browser = _browser()
    _sign_in(browser, "admin")
    assert browser.get("/").status_code == 200


def test_the_sign_in_fires_the_signals_the_audit_trail_listens_to(world):
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    heard = []

    def listener(name):
        return lambda sender, **kwargs: heard.append(name)

    receivers = {name: listener(name) for name in ("in", "failed", "locked")}
    user_logged_in.connect(receivers["in"])
    user_login_failed.connect(receivers["failed"])
    user_locked_out.connect(receivers["locked"])
    try:
        with time_machine.travel(T0, tick=False):
            _sign_in(_browser("10.0.0.7"), "dispatcher")
            for _ in range(5):
                _sign_in(_browser(), "clerk", "wrong")
    finally:
        user_logged_in.disconnect(receivers["in"])
        user_login_failed.disconnect(receivers["failed"])
        user_locked_out.disconnect(receivers["locked"])
    assert heard.count("in") == 1 and heard.count("failed") == 5 and heard.count("locked") == 1


def test_the_admin_can_reset_a_device_but_never_sees_its_key(client, world):
    device = TOTPDevice.objects.create(user=world.director, name="手机", confirmed=True)
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in _page(page)
    from yimen.accounts.otp import secret_text

    assert secret_text(device).replace(" ", "") not in _page(page).replace(" ", "")
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
