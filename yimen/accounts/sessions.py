"""Session limits (身份鉴别: 登录连接超时自动退出): an idle timeout and an absolute limit.

The sign-in time and the last activity live in the session itself, as whole seconds. Activity is
written at most once a minute, so a page that fires several htmx requests does not rewrite the
session row each time.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SIGNED_IN_AT = "yimen_signed_in_at"
LAST_ACTIVITY = "yimen_last_activity"
ACTIVITY_RESOLUTION = 60  # seconds

IDLE_MESSAGE = _("长时间未操作，已自动退出，请重新登录。")
MAX_AGE_MESSAGE = _("本次登录已超过 %(hours)d 小时，已自动退出，请重新登录。")


def _stamp(now: dt.datetime) -> int:
    return int(now.timestamp())


def session_start(session, *, now: dt.datetime | None = None) -> None:
    """At sign-in, whichever door (connected to user_logged_in in AccountsConfig.ready)."""
    stamp = _stamp(now or timezone.now())
    session[SIGNED_IN_AT] = stamp
    session[LAST_ACTIVITY] = stamp
    # The cookie and the stored session end with the absolute limit too (Django's default is 14 days).
    session.set_expiry(settings.YIMEN_SESSION_MAX_HOURS * 3600)


def session_end_reason(session, *, now: dt.datetime | None = None) -> str | None:
    """Why this signed-in session is over, or None. A session without stamps (signed in before this
    rule existed) starts counting now."""
    stamp = _stamp(now or timezone.now())
    last = session.get(LAST_ACTIVITY)
    started = session.get(SIGNED_IN_AT)
    if last is None or started is None:
        session_start(session, now=now)
        return None
    if stamp - last >= settings.YIMEN_SESSION_IDLE_MINUTES * 60:
        return str(IDLE_MESSAGE)
    if stamp - started >= settings.YIMEN_SESSION_MAX_HOURS * 3600:
        return str(MAX_AGE_MESSAGE) % {"hours": settings.YIMEN_SESSION_MAX_HOURS}
    if stamp - last >= ACTIVITY_RESOLUTION:
        session[LAST_ACTIVITY] = stamp
    return None
