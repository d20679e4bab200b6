from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _stamp_session(sender, request, user, **kwargs):
    """Every sign-in starts the idle and absolute clocks (accounts.sessions), whichever door it used."""
    from .sessions import session_start

    if request is not None and hasattr(request, "session"):
        session_start(request.session)


# django-axes and django-otp ship no Chinese: the security administrator's part of the admin names their
# models in the interface's language (through our catalogue) instead of "Access attempts".
_THIRD_PARTY_NAMES = {
    "axes": (_("登录锁定"), {
        "accessattempt": (_("登录失败记录（删除即解锁）"), _("登录失败记录（删除即解锁）")),
        "accessfailurelog": (_("登录失败日志"), _("登录失败日志")),
        "accesslog": (_("登录日志"), _("登录日志")),
    }),
    "otp_totp": (_("双因素认证"), {"totpdevice": (_("动态口令设备"), _("动态口令设备"))}),
}


def _name_third_party_models(apps) -> None:
    installed = {config.label for config in apps.get_app_configs()}
    for label, (app_name, models) in _THIRD_PARTY_NAMES.items():
        if label not in installed:
            continue
        config = apps.get_app_config(label)
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural


class AccountsConfig(AppConfig):
    name = "yimen.accounts"
    verbose_name = _("用户与角色")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_stamp_session, dispatch_uid="yimen.accounts.session_start")
        from django.apps import apps

        _name_third_party_models(apps)
