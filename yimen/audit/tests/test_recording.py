"""Each kind of event is recorded by doing the real thing, through the page or the admin a person uses."""

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from yimen.accounts.models import Membership, Role, User
from yimen.audit.models import AuditEvent, AuditKind
from yimen.cases.models import Category


def _events(kind):
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def _browser(address="10.1.2.3"):
    return Client(REMOTE_ADDR=address)


def test_signing_in_through_the_form_is_recorded_with_the_address(world):
    _browser().post("/login/", {"username": "clerk", "password": "pw"})
    (event,) = _events(AuditKind.SIGNED_IN)
    assert event.actor == world.clerk and event.actor_username == "clerk"
    assert event.address == "10.1.2.3" and "clerk" in event.summary


def test_a_failed_sign_in_records_the_username_tried_but_never_the_password(world):
    _browser().post("/login/", {"username": "clerk", "password": "Secret-Guess-42"})
    (event,) = _events(AuditKind.SIGN_IN_FAILED)
    assert event.actor is None and event.actor_username == "clerk" and event.address == "10.1.2.3"
    assert "Secret-Guess-42" not in str(AuditEvent.objects.values_list())


def test_the_lockout_is_recorded(world, settings):
    settings.YIMEN_LOCKOUT_FAILURES = 3
    browser = _browser()
    for _ in range(3):
        browser.post("/login/", {"username": "clerk", "password": "wrong"})
    locked = _events(AuditKind.LOCKED_OUT)
    assert locked and locked[0].actor_username == "clerk" and "锁定" in locked[0].summary


def test_signing_out_is_recorded(client, world):
    client.post("/login/", {"username": "clerk", "password": "pw"})
    client.post(reverse("web:logout"))
    (event,) = _events(AuditKind.SIGNED_OUT)
    assert event.actor == world.clerk


def test_changing_ones_password_is_recorded(client, world):
    client.force_login(world.clerk)
    response = client.post(reverse("web:password_change"), {
        "old_password": "pw", "new_password1": "Taoyuan#Window2026", "new_password2": "Taoyuan#Window2026"})
    assert response.status_code == 302, response.content.decode()
    (event,) = _events(AuditKind.PASSWORD_CHANGED)
    assert event.actor == world.clerk and event.object_id == str(world.clerk.pk)
    assert "Taoyuan#Window2026" not in str(AuditEvent.objects.values_list())


def test_revealing_a_partys_personal_data_is_recorded_beside_the_reveal_audit(client, world):
    case = world.register()
    party = case.parties.get(name="张三")
    client.force_login(world.clerk)
    client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "联系当事人"})
    (event,) = _events(AuditKind.PERSONAL_DATA_REVEALED)
    assert event.actor == world.clerk and case.number in event.summary
    assert event.details["purpose"] == "联系当事人"
    assert "110101199003074477" not in str(AuditEvent.objects.values_list())


def test_a_refused_reveal_records_nothing(client, world):
    case = world.register()
    party = case.parties.get(name="张三")
    client.force_login(world.supervisor)
    client.post(reverse("web:party_reveal", args=[case.number, party.pk]), {"purpose": "看看"})
    assert not _events(AuditKind.PERSONAL_DATA_REVEALED)


def test_exporting_the_ledger_is_recorded_with_its_row_count_and_filters(client, world):
    world.register(risk="red")
    client.force_login(world.clerk)
    response = client.get("/cases/export.xlsx?risk=red")
    load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    (event,) = _events(AuditKind.EXPORTED)
    assert event.actor == world.clerk and event.details["rows"] == 1
    assert event.details["filters"]["风险等级"] == "红色"


def test_a_role_granted_in_the_admin_is_recorded(client, admins):
    client.force_login(admins.secadmin)
    response = client.post(reverse("admin:accounts_membership_add"), {
        "user": admins.other_clerk.pk, "role": Role.DISPATCHER, "region": admins.township2.pk, "unit": ""})
    assert response.status_code == 302, response.content.decode()
    (event,) = _events(AuditKind.MEMBERSHIP_ADDED)
    assert event.actor == admins.secadmin and event.object_type == "accounts.membership"
    assert "other_clerk" in event.summary


def test_a_role_removed_in_the_admin_is_recorded(client, admins):
    membership = Membership.objects.get(user=admins.other_clerk)
    client.force_login(admins.secadmin)
    client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    (event,) = _events(AuditKind.MEMBERSHIP_REMOVED)
    assert event.object_id == str(membership.pk)


INLINE = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}


def test_creating_and_deactivating_a_user_in_the_admin_is_recorded(client, admins):
    client.force_login(admins.secadmin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "newclerk", "password1": "Shimen#Window2026", "password2": "Shimen#Window2026",
        "usable_password": "true", **INLINE})
    assert response.status_code == 302
    user = User.objects.get(username="newclerk")
    assert _events(AuditKind.USER_CREATED)[0].object_id == str(user.pk)
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), {
        "username": "newclerk", "date_joined_0": "2026-12-01", "date_joined_1": "09:00:00", **INLINE})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    (event,) = _events(AuditKind.USER_DEACTIVATED)
    assert event.actor == admins.secadmin and "newclerk" in event.summary
    assert _events(AuditKind.USER_CHANGED)


def test_any_admin_change_to_configuration_is_recorded(client, admins):
    client.force_login(admins.sysadmin)
    category = Category.objects.get(code="neighbour")
    client.post(reverse("admin:cases_category_delete", args=[category.pk]), {"post": "yes"})
    (event,) = _events(AuditKind.ADMIN_DELETED)
    assert event.actor == admins.sysadmin and event.object_type == "cases.category" and "邻里纠纷" in event.summary


def test_revoking_a_token_in_the_admin_is_recorded(client, admins):
    from yimen.accounts.models import ApiToken

    token, _raw = ApiToken.issue(admins.external, "热线")
    client.force_login(admins.secadmin)
    client.post(reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    (event,) = _events(AuditKind.TOKEN_REVOKED)
    assert token.prefix in event.summary and event.actor == admins.secadmin


def test_issuing_and_revoking_a_token_at_the_command_line_is_recorded(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("token", "create", "external", "--name", "热线", stdout=out, stderr=StringIO())
    (created,) = _events(AuditKind.TOKEN_CREATED)
    prefix = out.getvalue().strip()[:8]
    assert prefix in created.summary and created.actor_username.startswith("cli:")
    assert out.getvalue().strip() not in str(AuditEvent.objects.values_list())  # the secret never
    call_command("token", "revoke", prefix, stdout=StringIO())
    (revoked,) = _events(AuditKind.TOKEN_REVOKED)
    assert revoked.object_id == created.object_id


def test_deleting_several_rows_with_the_admins_action_records_each(client, admins):
    client.force_login(admins.sysadmin)
    ids = list(Category.objects.filter(code__in=["neighbour", "property"]).values_list("pk", flat=True))
    client.post(reverse("admin:cases_category_changelist"),
                {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert not Category.objects.filter(pk__in=ids).exists()
    assert sorted(e.object_id for e in _events(AuditKind.ADMIN_DELETED)) == sorted(str(i) for i in ids)


def test_a_reveal_through_the_api_is_recorded_with_the_token_holder_and_address(client, world):
    import json

    from yimen.accounts.models import ApiToken

    case = world.in_progress()
    party = case.parties.get(name="张三")
    _token, raw = ApiToken.issue(world.handler, "tests")
    response = client.post(f"/api/v1/cases/{case.number}/parties/{party.pk}/reveal", json.dumps({"purpose": "电话联系"}),
                           content_type="application/json", headers={"Authorization": f"Bearer {raw}"},
                           REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 200
    (event,) = _events(AuditKind.PERSONAL_DATA_REVEALED)
    assert event.actor == world.handler and event.address == "10.7.7.7" and event.object_id == str(party.pk)


def test_records_are_written_in_the_sites_language_whoever_reads_english(world, settings):
    # The trail is read by every auditor: an English-reading clerk's sign-in and export are stored in Chinese.
    browser = _browser()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    browser.post("/login/", {"username": "clerk", "password": "pw"})
    (event,) = _events(AuditKind.SIGNED_IN)
    assert event.summary == "clerk 登录"
    stranger = _browser("10.9.9.9")
    stranger.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    stranger.post("/login/", {"username": "clerk", "password": "wrong"})
    assert _events(AuditKind.SIGN_IN_FAILED)[0].summary == "以账号 clerk 登录失败"
