"""The outbox: messages written in the same transaction as the change that caused them.

A worker delivers them afterwards. Because the row is committed with the change, a crash between
the change and the send loses nothing; because each row is claimed by compare-and-set and marked
sent before the claim expires, nothing is sent twice by two workers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutboxMessage(models.Model):
    kind = models.CharField(_("类型"), max_length=40)
    case = models.ForeignKey("cases.Case", verbose_name=_("事项"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient_unit = models.ForeignKey("regions.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient_centre = models.ForeignKey("regions.Centre", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient_address = models.CharField(_("地址(手机号/URL)"), max_length=300, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # Writers that may run twice (the sweep) set this so the second write is refused by the database.
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发件箱")
        verbose_name_plural = _("通知发件箱")
        indexes = [
            # The delivery loop reads only undelivered rows that are due.
            models.Index(fields=["next_attempt_at"], name="outbox_due", condition=Q(status__in=["pending", "sending"])),
        ]

    def __str__(self):
        return self.subject
