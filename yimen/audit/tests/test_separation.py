"""三员分立: what each administrator sees in /admin/, decided once in accounts.scopes."""

import pytest
from django.urls import reverse

from yimen.accounts.models import Membership, Role, User

CONFIGURATION = ["regions_region", "regions_unit", "cases_category", "cases_timelimitpolicy", "triage_triagesetting"]
ACCOUNTS = ["accounts_user", "accounts_membership", "accounts_apitoken", "axes_accessattempt", "otp_totp_totpdevice"]
MATTERS = ["cases_case", "cases_revealaudit", "residents_phonecode", "triage_suggestionrecord"]


def _status(client, name) -> int:
    return client.get(reverse(f"admin:{name}_changelist")).status_code


def test_the_security_administrator_sees_users_and_memberships_but_not_configuration(client, admins):
    client.force_login(admins.secadmin)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:accounts_user_changelist") in index
    assert reverse("admin:cases_category_changelist") not in index
    assert all(_status(client, name) == 200 for name in ACCOUNTS)
    assert all(_status(client, name) == 403 for name in CONFIGURATION + MATTERS + ["audit_auditevent"])


def test_the_system_administrator_sees_configuration_but_not_users_or_the_trail(client, admins):
    client.force_login(admins.sysadmin)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:cases_category_changelist") in index
    assert reverse("admin:accounts_user_changelist") not in index
    assert all(_status(client, name) == 200 for name in CONFIGURATION)
    assert all(_status(client, name) == 403 for name in ACCOUNTS + MATTERS + ["audit_auditevent"])


def test_the_audit_administrator_sees_only_the_trail(client, admins):
    client.force_login(admins.auditor)
    assert _status(client, "audit_auditevent") == 200
    assert all(_status(client, name) == 403 for name in CONFIGURATION + ACCOUNTS + MATTERS)


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_no_administrator_sees_matters_by_holding_the_role(client, admins, who):
    case = admins.register()
    client.force_login(getattr(admins, who))
    assert case.number not in client.get("/cases/").content.decode()
    assert client.get(reverse("web:case_detail", args=[case.number])).status_code == 404


def test_granting_an_administrator_role_opens_the_admin_and_removing_it_closes_it(client, admins):
    client.force_login(admins.secadmin)
    client.post(reverse("admin:accounts_membership_add"), {
        "user": admins.clerk.pk, "role": Role.SYSTEM_ADMIN, "region": admins.city.pk, "unit": ""})
    admins.clerk.refresh_from_db()
    assert admins.clerk.is_staff
    membership = Membership.objects.get(user=admins.clerk, role=Role.SYSTEM_ADMIN)
    client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    admins.clerk.refresh_from_db()
    assert not admins.clerk.is_staff


def test_the_security_administrator_cannot_make_anyone_a_superuser(client, admins):
    client.force_login(admins.secadmin)
    page = client.get(reverse("admin:accounts_user_change", args=[admins.clerk.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    client.post(reverse("admin:accounts_user_change", args=[admins.clerk.pk]), {
        "username": "clerk", "is_active": "on", "is_superuser": "on", "is_staff": "on",
        "date_joined_0": "2026-12-01", "date_joined_1": "09:00:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    clerk = User.objects.get(pk=admins.clerk.pk)
    assert not clerk.is_superuser and not clerk.is_staff


def test_an_administrator_cannot_grant_themselves_a_role(client, admins):
    client.force_login(admins.secadmin)
    response = client.post(reverse("admin:accounts_membership_add"), {
        "user": admins.secadmin.pk, "role": Role.AUDIT_ADMIN, "region": admins.city.pk, "unit": ""})
    assert response.status_code == 200
    assert "不能为自己的账号授予或变更角色" in response.content.decode()
    assert not Membership.objects.filter(user=admins.secadmin, role=Role.AUDIT_ADMIN).exists()
    own = Membership.objects.get(user=admins.secadmin)
    assert client.post(reverse("admin:accounts_membership_delete", args=[own.pk]), {"post": "yes"}).status_code == 403


def test_the_security_administrator_cannot_change_a_superusers_account(client, admins):
    client.force_login(admins.secadmin)
    page = client.get(reverse("admin:accounts_user_change", args=[admins.admin.pk])).content.decode()
    assert 'name="username"' not in page
    assert client.get(reverse("admin:auth_user_password_change", args=[admins.admin.pk])).status_code == 403


def test_unlocking_an_account_is_the_security_administrators_and_is_recorded(client, admins, settings):
    from axes.models import AccessAttempt
    from django.test import Client

    from yimen.audit.models import AuditEvent, AuditKind

    settings.YIMEN_LOCKOUT_FAILURES = 2
    browser = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(2):
        browser.post("/login/", {"username": "clerk", "password": "wrong"})
    attempt = AccessAttempt.objects.get(username="clerk")
    client.force_login(admins.sysadmin)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    client.force_login(admins.secadmin)
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(kind=AuditKind.ADMIN_DELETED, actor=admins.secadmin,
                                     object_type="axes.accessattempt").exists()


def test_the_security_administrators_part_of_the_admin_is_named_in_chinese(client, db):
    from django.apps import apps

    assert apps.get_app_config("axes").verbose_name == "登录锁定"
    assert apps.get_model("axes", "AccessAttempt")._meta.verbose_name_plural == "登录失败记录（删除即解锁）"
    assert apps.get_model("otp_totp", "TOTPDevice")._meta.verbose_name == "动态口令设备"
