from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _stamp_session(sender, request, user, **kwargs):
    """Every sign-in starts the idle and absolute clocks (accounts.sessions), whichever door it used."""
    from .sessions import session_start

    if request is not None and hasattr(request, "session"):
        session_start(request.session)


class AccountsConfig(AppConfig):
    name = "yimen.accounts"
    verbose_name = _("用户与角色")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_stamp_session, dispatch_uid="yimen.accounts.session_start")
