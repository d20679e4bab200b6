"""Start-up check: the audit trail is kept at least six months (网络安全法 第二十一条)."""

from django.conf import settings
from django.core.checks import Error, register

from yimen.common.checks import SAFETY_TAG

from .guard import FLOOR_DAYS


@register(SAFETY_TAG)
def check_audit_retention(app_configs=None, **kwargs):
    days = getattr(settings, "YIMEN_AUDIT_RETENTION_DAYS", FLOOR_DAYS)
    if days >= FLOOR_DAYS:
        return []
    return [Error(
        f"YIMEN_AUDIT_RETENTION_DAYS={days} 低于法定下限：网络安全法第二十一条要求网络日志至少保存六个月，"
        f"请设为 {FLOOR_DAYS} 或更大，或删除该变量（默认 {FLOOR_DAYS}）。/ YIMEN_AUDIT_RETENTION_DAYS={days} is "
        f"below the legal minimum: the Cybersecurity Law (art. 21) requires logs to be kept at least six months. "
        f"Set it to {FLOOR_DAYS} or more, or unset it (default {FLOOR_DAYS}).",
        id="yimen.E031",
    )]
