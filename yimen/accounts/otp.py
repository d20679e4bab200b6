"""The optional TOTP second factor (身份鉴别: 两种或两种以上组合的鉴别技术), on django-otp's otp_totp.

Any user may enrol; superusers and holders of YIMEN_OTP_REQUIRED_ROLES must, and are sent to enrol
before anything else after signing in without a device. Codes are checked by django-otp
(TOTPDevice.verify_token: ±1 step tolerance, replay refused, throttled after wrong codes); nothing
here computes a code.
"""

import base64

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from yimen.common.errors import InvalidInput

# Session key: set by the sign-in when the user must enrol before going anywhere else.
ENROL_REQUIRED = "yimen_otp_enrol_required"
# Session key: the user who gave the right password and still owes the code (not yet signed in).
PENDING = "yimen_otp_pending"


def otp_required(user) -> bool:
    """Must this user have a second factor? Not in demo mode: the demo signs in with published passwords."""
    if settings.YIMEN_DEMO or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    roles = settings.YIMEN_OTP_REQUIRED_ROLES
    return bool(roles) and user.memberships.filter(role__in=roles).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def device_for_enrolment(user) -> TOTPDevice:
    """The user's unconfirmed device, created on first visit so the QR code stays the same on reload."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an authenticator app."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG (no script, no outside image: fits the CSP)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, title=_("身份验证器二维码"))


def code_check(device: TOTPDevice, code: str) -> None:
    """Raises InvalidInput in Chinese unless `code` is a current code of `device` (django-otp decides)."""
    code = (code or "").strip().replace(" ", "")
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise InvalidInput(_("验证码错误次数过多，请稍等片刻再试。"), code="otp_throttled", field="code")
    if not (code.isdigit() and len(code) == 6):
        raise InvalidInput(_("请输入身份验证器上显示的 6 位数字验证码。"), code="otp_invalid", field="code")
    if not device.verify_token(code):
        raise InvalidInput(_("验证码不正确或已过期，请输入身份验证器上当前显示的 6 位数字。"), code="otp_invalid", field="code")


def device_confirm(*, user, code: str) -> TOTPDevice:
    """Enrolment's last step: the code proves the app holds the key; older devices are removed.

    The code is checked outside the transaction: django-otp saves its throttle count on a wrong code,
    and a rollback would undo it.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise InvalidInput(_("没有待确认的身份验证器，请刷新页面重新扫码。"), code="otp_no_device")
    code_check(device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    return device


def device_remove(*, user, code: str) -> None:
    """The owner turns the second factor off, proving it with a current code. Refused where required."""
    if otp_required(user):
        raise InvalidInput(_("您的角色必须使用双因素认证，不能关闭；更换手机请联系安全管理员重置。"), code="otp_required")
    device = confirmed_device(user)
    if device is None:
        raise InvalidInput(_("您尚未启用双因素认证。"), code="otp_no_device")
    code_check(device, code)
    TOTPDevice.objects.filter(user=user).delete()


def login_device(request, device: TOTPDevice) -> None:
    """Mark this session verified by `device` (django-otp's own helper)."""
    import django_otp

    django_otp.login(request, device)
