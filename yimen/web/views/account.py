"""The signed-in user's own account: the second sign-in step (TOTP code), changing the password, and
enrolling or removing the authenticator. Rules live in yimen.accounts (otp, passwords)."""

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from axes.handlers.proxy import AxesProxyHandler

from yimen.accounts import otp
from yimen.accounts.lockout import sign_in_failure
from yimen.accounts.forms import CodeForm, YimenPasswordChangeForm
from yimen.accounts.models import User
from yimen.accounts.passwords import password_change_reason
from yimen.common.errors import InvalidInput

# The password step is valid this long for giving the code.
PENDING_SECONDS = 300


def _pending_user(request):
    pending = request.session.get(otp.PENDING)
    if not pending or int(timezone.now().timestamp()) - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


@require_http_methods(["GET", "POST"])
def signin_code(request):
    """The second step of signing in: the password was right, now the authenticator's code."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(otp.PENDING, None)
        messages.info(request, _("请重新输入用户名和密码。"))
        return redirect("web:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.confirmed_device(user)
        try:
            if not AxesProxyHandler.is_allowed(request, {"username": user.username}):
                # Locked since the password step (wrong codes count as failed sign-ins).
                raise InvalidInput(sign_in_failure(request, user.username).message(), field="code")
            if device is None:
                raise InvalidInput(_("您的身份验证器已被重置，请重新登录。"), field="code")
            otp.code_check(device, form.cleaned_data["code"])
        except InvalidInput as error:
            # A wrong code is a failed sign-in: the audit trail sees it and axes counts it.
            user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
            form.add_error("code", str(error))
        else:
            del request.session[otp.PENDING]
            user.otp_device = device  # django_otp.login() runs on user_logged_in and marks the session
            auth_login(request, user, backend=pending["backend"])
            return redirect(pending["next"])
    return render(request, "web/registration/signin_code.html", {"title": _("双因素认证"), "form": form, "who": user})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = YimenPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay signed in in this browser; others are signed out
        messages.success(request, _("密码已修改。"))
        return redirect("web:home")
    context = {"title": _("修改密码"), "form": form, "reason": password_change_reason(request.user)}
    return render(request, "web/account/password_change.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_otp(request):
    """Enrol (scan, type a code), or remove with a current code."""
    user = request.user
    device = otp.confirmed_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if device is None:
                device = otp.device_confirm(user=user, code=form.cleaned_data["code"])
                user.otp_device = device
                otp.login_device(request, device)
                request.session.pop(otp.ENROL_REQUIRED, None)
                messages.success(request, _("已启用双因素认证：以后登录时，输入密码后还需输入身份验证器上的验证码。"))
            else:
                otp.device_remove(user=user, code=form.cleaned_data["code"])
                messages.success(request, _("已关闭双因素认证。"))
            return redirect("web:account_otp")
        except InvalidInput as error:
            form.add_error("code", str(error))
    context = {"title": _("双因素认证"), "form": form, "device": device, "required": otp.otp_required(user),
               "must_enrol": bool(request.session.get(otp.ENROL_REQUIRED))}
    if device is None:
        pending = otp.device_for_enrolment(user)
        context.update(qr=otp.qr_svg(pending), secret=otp.secret_text(pending))
    return render(request, "web/account/otp.html", context)


def admin_sign_in(request):
    """The admin's login page sends to the workbench's sign-in (one door: lockout, second factor)."""
    if request.user.is_authenticated:
        # Signed in but not staff: the admin would send them back here, round and round.
        messages.error(request, _("您的账号没有管理后台的权限。"))
        return redirect("web:home")
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("web:login") + (f"?{query}" if query else ""))


urlpatterns = [
    path("login/code/", signin_code, name="signin_code"),
    path("account/password/", password_change, name="password_change"),
    path("account/2fa/", account_otp, name="account_otp"),
]
