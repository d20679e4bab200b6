"""Lockout after repeated failed sign-ins (身份鉴别: 登录失败处理), on django-axes' database handler.

Axes counts failures per account and, separately, per client address (AXES_LOCKOUT_PARAMETERS), and
refuses authenticate() while either count is at YIMEN_LOCKOUT_FAILURES within YIMEN_LOCKOUT_MINUTES.
This module gives axes its limits (read at call time, so override_settings works) and tells the sign-in
page, in Chinese, how many tries remain or until when the lock holds.
"""

import datetime as dt
import ipaddress
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def client_ip(request) -> str | None:
    """The client's address as the residents' rate limits read it (YIMEN_CLIENT_ADDRESS_HEADER), when
    it is an address: axes stores it in an address column, which PostgreSQL checks. A header that
    carries something else falls back to the connection's address."""
    from yimen.web.residents import client_address

    for candidate in (client_address(request), request.META.get("REMOTE_ADDR", "")):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return None


def failure_limit(request, credentials) -> int:
    return settings.YIMEN_LOCKOUT_FAILURES


def cool_off(request=None) -> dt.timedelta:
    return dt.timedelta(minutes=settings.YIMEN_LOCKOUT_MINUTES)


def lockout_response(request, original_response, credentials):
    """Axes' answer when it refused a sign-in: the page the view already drew (saying why), as 429."""
    if original_response is None:  # pragma: no cover - every sign-in door renders a page
        from django.http import HttpResponse

        return HttpResponse(_("登录失败次数过多，账号已锁定。"), status=429)
    original_response.status_code = 429
    return original_response


@dataclass(frozen=True)
class SignInFailure:
    locked_until: dt.datetime | None  # when the lock lifts, if locked
    remaining: int  # tries left before the lock

    def message(self) -> str:
        if self.locked_until is not None:
            return _("该账号已锁定，请于 %(time)s 后再试，或联系安全管理员解锁。") % {
                "time": timezone.localtime(self.locked_until).strftime("%H:%M")
            }
        return _("用户名或密码不正确，还可尝试 %(n)d 次。") % {"n": self.remaining}


def _unlock_time(attempts: list[AccessAttempt], limit: int, span: dt.timedelta) -> dt.datetime | None:
    """The lock holds while the failures of rows seen within `span` add up to `limit`; each row keeps
    its count until `span` after its last failure, so the lock lifts when the newest rows that still
    reach the limit age out."""
    total = 0
    for attempt in sorted(attempts, key=lambda a: a.attempt_time, reverse=True):
        total += attempt.failures_since_start
        if total >= limit:
            return attempt.attempt_time + span
    return None


def sign_in_failure(request, username: str) -> SignInFailure:
    """After a refused sign-in: how many tries remain for this account and address, or the unlock time.

    Reads axes' own rows for the account and for the address, each within the cool-off window.
    """
    credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
    if not hasattr(request, "axes_ip_address"):
        AxesProxyHandler.update_request(request)
    now = timezone.now()
    limit = failure_limit(request, credentials)
    span = cool_off(request)
    values = {"username": get_client_username(request, credentials), "ip_address": get_client_ip_address(request)}
    locked_until, worst = None, 0
    for parameter in get_lockout_parameters(request, credentials):
        fields = [parameter] if isinstance(parameter, str) else list(parameter)
        rows = list(AccessAttempt.objects.filter(attempt_time__gte=now - span, **{f: values[f] for f in fields}))
        worst = max(worst, sum(r.failures_since_start for r in rows))
        until = _unlock_time(rows, limit, span)
        if until is not None and until > now and (locked_until is None or until > locked_until):
            locked_until = until
    return SignInFailure(locked_until=locked_until, remaining=max(0, limit - worst))
