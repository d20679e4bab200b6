"""The password rules (Django's validators and ours), the history, and who must change a password."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from yimen.accounts.models import PasswordHistory, User
from yimen.accounts.passwords import password_change, password_change_reason

GOOD = "Qingxi-2026-Spring"


def _refusal(password, user=None) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_password(password, user)
    return " ".join(caught.value.messages)


def test_a_strong_password_passes_every_rule(world):
    validate_password(GOOD, world.clerk)


def test_a_password_shorter_than_ten_characters_is_refused(world):
    assert "至少需要 10 个字符" in _refusal("Ab3-xyz", world.clerk)


def test_the_minimum_length_is_configurable(world, settings):
    settings.YIMEN_PASSWORD_MIN_LENGTH = 14
    assert "至少需要 14 个字符" in _refusal("Ab3-xyzwvu12", world.clerk)


@pytest.mark.parametrize("password", ["alllowercaseletters", "ALLUPPER123456", "lower-and-symbols!"])
def test_fewer_than_three_character_classes_are_refused(world, password):
    assert "至少 3 类" in _refusal(password, world.clerk)


@pytest.mark.parametrize("password", ["Abcdefghij1", "abcdefgh1!", "ABCDEFGH1!", "Abcdefgh!!"])
def test_any_three_of_the_four_classes_pass_that_rule(world, password):
    from yimen.accounts.passwords import CharacterClassesValidator

    CharacterClassesValidator().validate(password)


def test_a_password_like_the_username_is_refused(world):
    world.clerk.username = "liwindow2026"
    assert "太相似" in _refusal("Liwindow2026", world.clerk)


def test_a_common_password_is_refused(world):
    assert "太常见" in _refusal("Password123", world.clerk)


def test_none_of_the_last_five_passwords_may_come_back(world):
    user = world.clerk
    used = [f"Qingxi-{n}-Spring" for n in range(6)]
    for password in used:
        password_change(user=user, new_password=password)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    for recent in used[1:]:
        assert "最近 5 次" in _refusal(recent, user)
    validate_password(used[0], user)  # the sixth-last is allowed again


def test_the_current_password_is_refused_even_without_history(world):
    User.objects.filter(pk=world.clerk.pk).update(password=make_password(GOOD))  # as the personas' is set
    assert not PasswordHistory.objects.filter(user=world.clerk).exists()
    assert "最近 5 次" in _refusal(GOOD, world.clerk)


def test_history_length_is_configurable(world, settings):
    settings.YIMEN_PASSWORD_HISTORY = 2
    user = world.clerk
    for n in range(3):
        password_change(user=user, new_password=f"Qingxi-{n}-Spring")
    validate_password("Qingxi-0-Spring", user)
    assert "最近 2 次" in _refusal("Qingxi-1-Spring", user)


def test_changing_the_password_stamps_the_time_and_lifts_the_first_sign_in_rule(world):
    user = world.clerk
    user.must_change_password = True
    user.password_changed_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    password_change(user=user, new_password=GOOD)
    user.refresh_from_db()
    assert user.must_change_password is False
    assert password_change_reason(user) is None


def test_an_account_an_administrator_adds_must_change_its_password(client, world):
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "new_clerk", "password1": GOOD, "password2": GOOD, "usable_password": "true",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="new_clerk").must_change_password is True


def test_a_password_an_administrator_sets_must_be_changed_by_its_owner(client, world):
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    url = reverse("admin:auth_user_password_change", args=[world.clerk.pk])
    response = client.post(url, {"password1": GOOD, "password2": GOOD, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    world.clerk.refresh_from_db()
    assert world.clerk.must_change_password is True and world.clerk.check_password(GOOD)
    assert PasswordHistory.objects.filter(user=world.clerk).exists()


def test_the_admin_refuses_a_weak_password_in_chinese(client, world):
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    url = reverse("admin:auth_user_password_change", args=[world.clerk.pk])
    response = client.post(url, {"password1": "short", "password2": "short", "usable_password": "true"})
    assert response.status_code == 200 and "至少需要 10 个字符" in response.content.decode()
