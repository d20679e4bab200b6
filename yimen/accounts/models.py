"""Users, their roles and the part of the world each role covers (data scope)."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
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


# Roles that act for a centre over a region; the others act for a unit.
REGION_ROLES = frozenset({Role.CLERK, Role.DISPATCHER, Role.GRID_WORKER, Role.SUPERVISOR, Role.DIRECTOR, Role.EXTERNAL})
UNIT_ROLES = frozenset({Role.HANDLER, Role.MEDIATOR, Role.EXPERT})


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=40, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or self.username


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


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its digest is stored; the token is shown once."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=60, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple["ApiToken", str]:
        raw = "ym_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:8], digest=_digest(raw))
        return token, raw

    @classmethod
    def find(cls, raw: str):
        return cls.objects.select_related("user").filter(digest=_digest(raw), revoked=False, user__is_active=True).first()
