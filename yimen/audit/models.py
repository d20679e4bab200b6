"""The audit trail (安全审计, GB/T 22239-2019 level 3): one append-only table of security-relevant events.

Rows are only ever inserted (services.audit_record). Updating or deleting one is refused three times:
by the model (save() of an existing row, delete()), by the queryset (update(), delete()), and in the
database by a trigger (migration 0002, yimen.audit.guard) that refuses every UPDATE and any DELETE of a
row younger than the legal floor of 180 days (网络安全法 第二十一条). The pruning job
(services.audit_prune) is the only code that deletes, and only rows older than the retention.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    SIGNED_IN = "signed_in", _("登录")
    SIGN_IN_FAILED = "sign_in_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    SIGNED_OUT = "signed_out", _("退出登录")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    USER_CREATED = "user_created", _("新建用户")
    USER_CHANGED = "user_changed", _("修改用户")
    USER_DEACTIVATED = "user_deactivated", _("停用用户")
    MEMBERSHIP_ADDED = "membership_added", _("授予角色")
    MEMBERSHIP_CHANGED = "membership_changed", _("变更角色范围")
    MEMBERSHIP_REMOVED = "membership_removed", _("撤销角色")
    ADMIN_ADDED = "admin_added", _("后台新增")
    ADMIN_CHANGED = "admin_changed", _("后台修改")
    ADMIN_DELETED = "admin_deleted", _("后台删除")
    EXPORTED = "exported", _("导出数据")
    PERSONAL_DATA_REVEALED = "revealed", _("查看个人信息")
    TOKEN_CREATED = "token_created", _("签发接口令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销接口令牌")


class AppendOnly(Exception):
    """Raised on any attempt to change or remove an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("审计记录不能修改。")

    def delete(self):
        raise AppendOnly("审计记录不能删除（过期记录由保存期限清理任务删除）。")

    def _prune_before(self, cutoff) -> int:
        # The one deleting path: services.audit_prune, for rows the database trigger lets go too.
        deleted, _detail = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # No database constraint and no cascade: deleting a user must not touch (update) its events. The
    # username is kept as text, so the record reads the same after the account is gone.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_username = models.CharField(_("操作人账号"), max_length=150, blank=True)
    kind = models.CharField(_("类型"), max_length=24, choices=AuditKind.choices)
    address = models.CharField(_("客户端地址"), max_length=45, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    summary = models.CharField(_("摘要"), max_length=300)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        default_permissions = ("view",)
        indexes = [
            # The audit page: newest first, within a period (and the pruning job's "older than").
            models.Index(fields=["-at", "-id"], name="audit_event_recent"),
            # The page's filters by kind and by actor, each newest first.
            models.Index(fields=["kind", "-at"], name="audit_event_kind"),
            models.Index(fields=["actor_username", "-at"], name="audit_event_actor"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.actor_username}"

    @property
    def object_label(self) -> str:
        """The object's kind in words (用户, 角色与范围…); the stored label if the model is gone."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name) if self.object_type else ""
        except (LookupError, ValueError):
            return self.object_type

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("审计记录不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("审计记录不能删除。")
