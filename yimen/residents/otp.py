"""One-time codes sent by SMS to prove a resident holds a phone.

A code is 6 random digits, valid for settings.YIMEN_SMS_CODE_TTL_SECONDS, good for one use and
for settings.YIMEN_SMS_CODE_MAX_ATTEMPTS tries. Only an HMAC keyed with SECRET_KEY is stored,
so a copy of the database does not reveal a code that is still valid.
"""

import datetime as dt
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from yimen.cases.models import mask_phone
from yimen.cases.validators import validate_mobile
from yimen.common.errors import InvalidInput

from .models import PhoneCode
from .sms import load_sms_sender
from .throttle import throttle_hit

logger = logging.getLogger("yimen.residents")


@dataclass
class SentCode:
    phone: str
    expires_at: dt.datetime
    # Returned only so the page may echo it in demo mode (settings.YIMEN_SMS_ECHO_CODE).
    code: str


def normalise_phone(value: str) -> str:
    """A mainland mobile number as 11 digits (the rule is cases.validators.validate_mobile)."""
    return validate_mobile(value, field="phone")


def phone_code_send(*, phone: str, address: str, purpose: str = "register", now=None) -> SentCode:
    """Send a new code to `phone`.

    1. Check the number; 2. refuse when the address or the phone asked too often (the address
       first, so a flood from one address cannot use up a victim phone's allowance);
    3. store the code's HMAC; 4. send it, and forget it if sending failed.
    """
    phone = normalise_phone(phone)
    now = now or timezone.now()
    too_often = _("获取验证码太频繁")
    throttle_hit(scope="sms-address", key=address, rate=settings.YIMEN_RATE_SMS_PER_ADDRESS, message=too_often, now=now)
    throttle_hit(scope="sms-phone", key=phone, rate=settings.YIMEN_RATE_SMS_PER_PHONE, message=too_often, now=now)

    ttl = settings.YIMEN_SMS_CODE_TTL_SECONDS
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        phone=phone, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
        created_at=now, expires_at=now + dt.timedelta(seconds=ttl),
    )
    text = _("【一门】您的验证码是%(code)s，%(minutes)d分钟内有效。请勿告诉他人。") % {
        "code": code, "minutes": max(1, ttl // 60),
    }
    try:
        load_sms_sender().send(phone=phone, text=text)
    except Exception:
        logger.exception("SMS to %s failed", mask_phone(phone))
        row.delete()
        raise InvalidInput(_("短信发送失败，请稍后再试。"), field="phone") from None
    return SentCode(phone=phone, expires_at=row.expires_at, code=code)


def phone_code_verify(*, phone: str, code: str, purpose: str = "register", now=None) -> None:
    """Accept `code` for `phone` once, or raise InvalidInput(field="code") saying what to do."""
    phone = normalise_phone(phone)
    now = now or timezone.now()
    max_attempts = settings.YIMEN_SMS_CODE_MAX_ATTEMPTS
    row = (
        PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-pk").first()
    )
    if row is None:
        raise InvalidInput(_("请先获取验证码。"), field="code")
    entered = unicodedata.normalize("NFKC", code or "").strip()
    if not entered:
        raise InvalidInput(_("请填写短信验证码。"), field="code")
    expired = InvalidInput(_("验证码已失效，请重新获取。"), field="code")
    # Every check uses up one attempt before comparing, atomically, so parallel guesses cannot
    # test more codes than the limit allows.
    claimed = PhoneCode.objects.filter(
        pk=row.pk, used_at__isnull=True, expires_at__gt=now, attempts__lt=max_attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        raise expired
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, entered)):
        row.refresh_from_db(fields=["attempts"])
        left = max_attempts - row.attempts
        if left <= 0:
            raise expired
        raise InvalidInput(_("验证码不正确，还可以再试%(n)d次。") % {"n": left}, field="code")
    if not PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise expired  # the same code was accepted a moment ago by a parallel request
    # Older codes sent to this phone must not open a second door.
    PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(used_at=now)


def _code_hash(phone: str, purpose: str, code: str) -> str:
    # Bound to phone and purpose, so a code for one number or purpose never matches another.
    return salted_hmac("yimen.residents.otp", f"{purpose}:{phone}:{code}", algorithm="sha256").hexdigest()
