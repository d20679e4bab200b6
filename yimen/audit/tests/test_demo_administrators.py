"""The demo has the three administrators, each with the demo password, listed in the sign-in table."""

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from yimen.accounts.models import Role, User
from yimen.demo.geography import CITY_CODE
from yimen.demo.signin import signin_table
from yimen.demo.staff import DEMO_PASSWORD


@pytest.mark.django_db
def test_the_demo_has_a_system_a_security_and_an_audit_administrator(settings, client):
    settings.YIMEN_DEMO = True
    call_command("demo", "load", "--matters", "5", stdout=StringIO())
    for username, role in (("sysadmin", Role.SYSTEM_ADMIN), ("secadmin", Role.SECURITY_ADMIN), ("auditor", Role.AUDIT_ADMIN)):
        user = User.objects.get(username=username)
        assert check_password(DEMO_PASSWORD, user.password) and user.is_staff and not user.is_superuser
        assert list(user.memberships.values_list("role", "region__code")) == [(role, CITY_CODE)]
    table = signin_table()
    assert all(name in table for name in ("sysadmin", "secadmin", "auditor", "安全管理员", "审计管理员"))
    client.force_login(User.objects.get(username="auditor"))
    assert client.get("/audit/").status_code == 200
