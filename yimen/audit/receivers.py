"""The sign-in events, from the documented hooks: Django's auth signals and django-axes' lockout signal.

A password change is caught by Django's own hook for "a password was set" (a password validator's
password_changed, called by User.save() whichever door set it: the change page, the admin, a command).
"""

from django.utils.translation import gettext as _

from .models import AuditKind
from .services import audit_record


def _signed_in(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.SIGNED_IN, actor=user, request=request, obj=user,
                 summary=lambda: _("%(user)s 登录") % {"user": user.get_username()})


def _signed_out(sender, request, user, **kwargs):
    if user is None:
        return
    audit_record(kind=AuditKind.SIGNED_OUT, actor=user, request=request, obj=user,
                 summary=lambda: _("%(user)s 退出登录") % {"user": user.get_username()})


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` with stars; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    audit_record(kind=AuditKind.SIGN_IN_FAILED, request=request, actor_username=username,
                 object_type="accounts.user", summary=lambda: _("以账号 %(user)s 登录失败") % {"user": username})


def _locked_out(sender, request, username, ip_address, **kwargs):
    username = str(username or "")[:150]
    audit_record(kind=AuditKind.LOCKED_OUT, request=request, actor_username=username, object_type="accounts.user",
                 summary=lambda: _("账号 %(user)s 因多次登录失败被锁定（地址 %(ip)s）") % {"user": username, "ip": ip_address or "—"},
                 details={"ip_address": ip_address or ""})


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_signed_in, dispatch_uid="yimen.audit.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="yimen.audit.signed_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="yimen.audit.sign_in_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="yimen.audit.locked_out")


class PasswordChangeRecorder:
    """Listed in AUTH_PASSWORD_VALIDATORS only for Django's password_changed hook; it refuses nothing."""

    def validate(self, password, user=None):
        return None

    def get_help_text(self):
        return ""

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        from .context import current_request

        request = current_request()
        # The actor is whoever is signed in on the request (the owner, or an administrator setting it).
        audit_record(kind=AuditKind.PASSWORD_CHANGED, request=request, obj=user,
                     summary=lambda: _("账号 %(user)s 的密码已修改") % {"user": user.get_username()})
