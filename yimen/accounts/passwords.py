"""Password rules and changes (身份鉴别, GB/T 22239-2019 8.1.4.1 a: 口令具有复杂度要求并定期更换).

The rules are Django password validators (settings.AUTH_PASSWORD_VALIDATORS), so every door that sets
a password checks them: the change page, the admin's add and reset forms, `changepassword`. Two are
ours: three of four character classes, and not one of the last YIMEN_PASSWORD_HISTORY passwords.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PasswordHistory, User

_CLASSES = (
    ("upper", lambda c: c.isascii() and c.isupper()),
    ("lower", lambda c: c.isascii() and c.islower()),
    ("digit", lambda c: c.isdigit()),
    ("symbol", lambda c: not c.isalnum() or not c.isascii()),
)


class MinimumLengthValidator:
    """At least YIMEN_PASSWORD_MIN_LENGTH characters (read at call time; Django's own validator has no
    Chinese for its message in this Django version)."""

    def validate(self, password, user=None):
        if len(password) < settings.YIMEN_PASSWORD_MIN_LENGTH:
            raise ValidationError(self.get_help_text(), code="password_too_short")

    def get_help_text(self):
        return _("密码太短，至少需要 %(n)d 个字符。") % {"n": settings.YIMEN_PASSWORD_MIN_LENGTH}


class CharacterClassesValidator:
    """At least `required` of: upper-case letter, lower-case letter, digit, other symbol."""

    def __init__(self, required: int = 3):
        self.required = required

    def validate(self, password, user=None):
        present = sum(1 for _name, test in _CLASSES if any(test(c) for c in password))
        if present < self.required:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号这四类中的至少 %(n)d 类。") % {"n": self.required}


class PasswordHistoryValidator:
    """Not the current password nor one of the last YIMEN_PASSWORD_HISTORY; records each new one."""

    def _recent(self, user) -> list[str]:
        keep = settings.YIMEN_PASSWORD_HISTORY
        if keep <= 0 or user is None or user.pk is None:
            return []
        return list(user.password_history.order_by("-created_at", "-pk").values_list("password", flat=True)[:keep])

    def validate(self, password, user=None):
        if user is None or user.pk is None or settings.YIMEN_PASSWORD_HISTORY <= 0:
            return
        # The stored hash, not user.password: a form may already have set the new one on the instance.
        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        for encoded in [current, *self._recent(user)]:
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": settings.YIMEN_PASSWORD_HISTORY},
                    code="password_reused",
                )

    def password_changed(self, password, user=None):
        """Django calls this after saving a new password (AbstractBaseUser.save)."""
        keep = settings.YIMEN_PASSWORD_HISTORY
        if user is None or user.pk is None or keep <= 0:
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = user.password_history.order_by("-created_at", "-pk").values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self):
        return _("不能与最近 %(n)d 次使用过的密码相同。") % {"n": settings.YIMEN_PASSWORD_HISTORY}


def password_change_reason(user, *, now: dt.datetime | None = None) -> str | None:
    """Why this signed-in user must change their password before anything else, or None.

    In demo mode the age rule is skipped: the demo's accounts keep their published password however
    long ago the demo was loaded (the demo loader leaves must_change_password false).
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return _("这是您首次登录或管理员刚为您设置了密码，请先修改密码。")
    days = settings.YIMEN_PASSWORD_MAX_AGE_DAYS
    if days > 0 and not settings.YIMEN_DEMO and user.password_changed_at:
        if (now or timezone.now()) - user.password_changed_at >= dt.timedelta(days=days):
            return _("您的密码已使用超过 %(n)d 天，请修改密码。") % {"n": days}
    return None


def password_change(*, user: User, new_password: str) -> User:
    """The owner sets a new password (already validated by the form): stamps the time, lifts the
    first-sign-in requirement and records the hash in the history, in one transaction."""
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    return user

