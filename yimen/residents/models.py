"""Residents' door (解纷码): rate-limit counters, one-time phone codes, unfinished registrations.

None of these rows is a record of the matter itself: housekeeping.py deletes them once they are
no longer useful, so the tables stay small and keep as little personal data as they can.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleBucket(models.Model):
    """Hits of one key (a phone, an address) in one fixed window; see throttle.py."""

    scope = models.CharField(_("范围"), max_length=40)
    # sha256 hex of the raw key, so the table never holds a phone number or an address.
    key = models.CharField(_("键(摘要)"), max_length=64)
    window_start = models.DateTimeField(_("窗口开始"))
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("频率计数")
        verbose_name_plural = _("频率计数")
        constraints = [
            # Two processes creating the first hit of a window race here; the loser updates instead.
            models.UniqueConstraint(fields=["scope", "key", "window_start"], name="throttle_bucket_unique"),
        ]
        indexes = [
            # throttle_purge deletes by age.
            models.Index(fields=["window_start"], name="throttle_bucket_age"),
        ]

    def __str__(self):
        return f"{self.scope} {self.key[:8]} {self.window_start:%Y-%m-%d %H:%M} ×{self.count}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS; only its HMAC is kept (otp.py)."""

    phone = models.CharField(_("手机号"), max_length=11)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    purpose = models.CharField(_("用途"), max_length=20, default="register")
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            # phone_code_verify: the newest code of one phone.
            models.Index(fields=["phone", "created_at"], name="phone_code_newest"),
            # residents_housekeeping deletes by age.
            models.Index(fields=["created_at"], name="phone_code_age"),
        ]

    def __str__(self):
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.purpose}"


class Draft(models.Model):
    """An unfinished registration, found again by the random token kept in the resident's session."""

    token = models.CharField(max_length=43, unique=True)
    centre = models.ForeignKey("regions.Centre", verbose_name=_("综治中心"), on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(_("已填内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("登记草稿")
        verbose_name_plural = _("登记草稿")
        indexes = [
            # draft_purge deletes by age.
            models.Index(fields=["updated_at"], name="draft_age"),
        ]

    def __str__(self):
        return f"{self.centre_id}/{self.token[:6]}…"


class DraftFile(models.Model):
    """A file already checked by uploads.check_upload, waiting for the registration to be sent."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    # Stored under a random name: the resident's file name stays in the database, not on disk.
    file = models.FileField(_("文件"), upload_to="drafts/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=100)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("草稿附件")
        verbose_name_plural = _("草稿附件")

    def __str__(self):
        return self.original_name
