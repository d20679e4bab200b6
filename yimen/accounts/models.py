"""Users, their roles and the part of the world each role covers (data scope)."""

import datetime as dt
import functools
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("窗口受理员")
    DISPATCHER = "dispatcher", _("研判派单员")
    HANDLER = "handler", _("部门承办人")
    MEDIATOR = "mediator", _("调解员")
    EXPERT = "expert", _("专家")
    GRID_WORKER = "grid_worker", _("网格员")
    SUPERVISOR = "supervisor", _("督办员")
    DIRECTOR = "director", _("中心主任/领导")
    EXTERNAL = "external", _("外部系统")
    # Never a membership: a resident acts on the one matter they proved (number + query code, or a
    # verified phone) through accounts.scopes.ResidentActor, not through an account.
    RESIDENT = "resident", _("群众")
    # 三员分立 (GB/T 22239-2019 level 3, 安全管理中心): three administrators whose powers do not overlap.
    # None of them sees matters by holding the role; see accounts.scopes for what each may do.
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# Roles held for a unit (a membership of one names its unit). The one role group kept here, because
# Membership.clean needs it and models import nothing from accounts.scopes; scopes re-exports it and
# names every other group. Import it from accounts.scopes.
UNIT_ROLES = frozenset({Role.HANDLER, Role.MEDIATOR, Role.EXPERT})


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=40, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # 身份鉴别 (GB/T 22239-2019 8.1.4.1): passwords are changed periodically and an account an
    # administrator opened or reset is changed by its owner at first sign-in (accounts.passwords).
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    must_change_password = models.BooleanField(
        _("下次登录须修改密码"), default=False, help_text=_("管理员新建账号或重设密码后自动勾选。")
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        # The same row: the age rule (accounts.passwords.password_change_reason) counts from here.
        self.password_changed_at = timezone.now()


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, so a new one cannot repeat them (YIMEN_PASSWORD_HISTORY).

    Written by accounts.passwords.PasswordHistoryValidator.password_changed, Django's hook that runs
    after every save of a new password, whichever door set it (the change page, the admin, a command).
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        # The validator reads a user's newest N rows.
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent")]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class Membership(models.Model):
    """One role of a user, with its scope: a region subtree, a unit, or both."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("管辖区划"), on_delete=models.PROTECT, related_name="memberships"
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name=_("所在单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        verbose_name = _("角色与范围")
        verbose_name_plural = _("角色与范围")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region", "unit"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["user", "role", "region"], condition=models.Q(unit__isnull=True), name="membership_unique_no_unit"
            ),
        ]

    def __str__(self):
        where = self.unit.name if self.unit_id else self.region.name
        return f"{self.get_role_display()} · {where}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.role in UNIT_ROLES and not self.unit_id:
            raise ValidationError({"unit": _("该角色必须指定所在单位。")})


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@functools.cache
def _token_query():
    """`ApiToken.find`'s statement and its two row readers, built once per process (the models are fixed)."""
    from yimen.regions.models import Region

    q = connection.ops.quote_name
    token_fields, user_fields = ApiToken._meta.concrete_fields, User._meta.concrete_fields
    columns = ", ".join(
        [f"t.{q(f.column)}" for f in token_fields] + [f"u.{q(f.column)}" for f in user_fields] + ["m.role", "r.code", "m.unit_id"]
    )
    sql = (
        f"SELECT {columns} FROM {q(ApiToken._meta.db_table)} t "
        f"JOIN {q(User._meta.db_table)} u ON u.id = t.user_id "
        f"LEFT JOIN {q(Membership._meta.db_table)} m ON m.user_id = u.id "
        f"LEFT JOIN {q(Region._meta.db_table)} r ON r.id = m.region_id "
        "WHERE t.digest = %s AND u.is_active = %s"
    )
    return sql, _row_reader(ApiToken, token_fields, 0), _row_reader(User, user_fields, len(token_fields))


def _row_reader(model, fields, offset: int):
    """A function making a `model` instance from a raw row's columns offset … offset + len(fields),
    with each value converted as the ORM would (SQLite's datetimes and booleans, for one)."""
    names = [f.attname for f in fields]
    converters = []
    for field in fields:
        col = field.get_col(model._meta.db_table)
        converters.append([(c, col) for c in connection.ops.get_db_converters(col) + col.get_db_converters(connection)])

    def read(row):
        values = list(row[offset:offset + len(fields)])
        for i, chain in enumerate(converters):
            for converter, col in chain:
                values[i] = converter(values[i], col, connection)
        return model.from_db(connection.alias, names, values)

    return read


def default_token_expiry():
    """A token lives YIMEN_API_TOKEN_DAYS days unless issued for another span."""
    return timezone.now() + dt.timedelta(days=settings.YIMEN_API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its digest is stored; the token is shown once."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=60, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有效期至"), default=default_token_expiry)
    revoked = models.BooleanField(_("已吊销"), default=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, user, name: str = "", *, days: int | None = None) -> tuple["ApiToken", str]:
        """A new token for `user`, valid `days` days (default YIMEN_API_TOKEN_DAYS); returns (row, raw)."""
        raw = "ym_" + secrets.token_urlsafe(32)
        span = settings.YIMEN_API_TOKEN_DAYS if days is None else days
        token = cls.objects.create(
            user=user, name=name, prefix=raw[:8], digest=_digest(raw), expires_at=timezone.now() + dt.timedelta(days=span)
        )
        return token, raw

    @classmethod
    def find(cls, raw: str):
        """The token with this secret whoever holds it, revoked or expired too (the caller says which).

        Every API request starts here, so the token, its user and the user's memberships come in ONE
        statement (a row per membership), and the memberships are handed to `scopes.grants_for`, which
        would otherwise read them again. Written in SQL, as the other per-request look-ups are: the ORM
        spent ~1.5 ms of CPU building the token query and ~1 ms the memberships', against ~0.2 ms for
        this one (docs/performance.md, "Registration nearer its floor").
        """
        from yimen.accounts.scopes import Grant, remember_grants

        sql, token_reader, user_reader = _token_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [_digest(raw), True])
            rows = cursor.fetchall()
        if not rows:
            return None
        token, user = token_reader(rows[0]), user_reader(rows[0])
        token.user = user
        remember_grants(user, tuple(Grant(role, code, unit_id) for *_, role, code, unit_id in rows if role is not None))
        return token
