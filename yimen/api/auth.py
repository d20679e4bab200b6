"""Who is calling: a bearer token (`yimen token create USERNAME`) or the browser's Django session.

The token is looked up by its digest (ApiToken.find). An expired or revoked token answers 401 saying
which, so an integration's operator knows to ask for a new one rather than hunt for a typo.
`last_used_at` is written at most once a minute per token, so a busy integration does not turn every
read into a write.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from yimen.accounts.models import ApiToken
from yimen.common.errors import DomainError, PermissionDenied

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class TokenRefused(DomainError):
    status = 401
    code = "token_invalid"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ym_…`."""

    def authenticate(self, request, token: str):
        token = (token or "").strip()
        if not token:
            return None
        found = ApiToken.find(token)
        if found is None:
            return None
        if found.revoked:
            raise TokenRefused(_("访问令牌已吊销，请重新申请。"), code="token_revoked")
        now = timezone.now()
        if found.expires_at <= now:
            day = timezone.localtime(found.expires_at).strftime("%Y-%m-%d")
            raise TokenRefused(_("访问令牌已过期（%(day)s），请重新申请。") % {"day": day}, code="token_expired")
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            # A plain UPDATE of one column: no read-modify-write of the row, no signals.
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser (docs page, workbench). Unsafe methods must carry the CSRF token.

    Unlike Ninja's SessionAuth, a request without a session falls through to 401 instead of failing
    the CSRF check first (403), so "not logged in" always reads the same.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in _SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request):
                raise PermissionDenied(_("CSRF 校验失败：请刷新页面后重试，或改用访问令牌。"), code="csrf_failed")
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


def current_user(request):
    """The authenticated user of an API request (set by one of the classes above)."""
    return request.auth
