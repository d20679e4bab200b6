"""What a signed-in user must do before anything else, checked on every request.

SessionLimitsMiddleware signs out an idle or too-old session. AccountRequirementsMiddleware then
sends the user, in this order, to enrol a second factor (accounts.otp) and to change a password
(accounts.passwords). Pages answer a redirect (htmx requests an HX-Redirect), the API a JSON error.
Sign-out, static files, the language switch and the step's own page stay reachable.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import otp
from .passwords import password_change_reason
from .sessions import session_end_reason


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _redirect(request, url: str) -> HttpResponse:
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _always_open(request) -> bool:
    path = request.path
    static = "/" + settings.STATIC_URL.lstrip("/")
    return path.startswith(static) or path.startswith("/i18n/") or path == reverse("web:logout")


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = session_end_reason(request.session)
            if reason:
                logout(request)
                if _is_api(request):
                    return JsonResponse({"code": "session_expired", "message": reason}, status=401)
                messages.info(request, reason)
                login = reverse(settings.LOGIN_URL)
                if request.method == "GET" and request.headers.get("HX-Request") != "true":
                    login += "?" + urlencode({"next": request.get_full_path()})
                return _redirect(request, login)
        return self.get_response(request)


class AccountRequirementsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not _always_open(request):
            blocked = self._first_step(request)
            if blocked is not None:
                return blocked
        return self.get_response(request)

    def _first_step(self, request) -> HttpResponse | None:
        if request.session.get(otp.ENROL_REQUIRED):
            url = reverse("web:account_otp")
            if request.path != url:
                return self._answer(request, url, "otp_enrolment_required",
                                    _("您的角色必须启用双因素认证，请先绑定身份验证器。"))
            return None
        reason = password_change_reason(request.user)
        if reason:
            url = reverse("web:password_change")
            if request.path != url:
                return self._answer(request, url, "password_change_required", reason)
        return None

    def _answer(self, request, url: str, code: str, message: str) -> HttpResponse:
        if _is_api(request):
            return JsonResponse({"code": code, "message": message}, status=403)
        return _redirect(request, url)
