"""Outside demo mode, no account may still sign in with the published demo password."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.checks import Error, register
from django.db import DatabaseError
from django.db.models import Count, Q

from yimen.common.checks import SAFETY_TAG

from .staff import DEMO_PASSWORD, DEMO_PASSWORD_SALT

# Hashing is slow on purpose (PBKDF2); only so many candidate hashes are tried at start-up.
MAX_HASHES_TRIED = 20


def accounts_on_demo_password() -> list[str]:
    """Usernames whose password is the demo one.

    The demo loader hashes its password once, with a fixed salt, and gives every account the same hash;
    real accounts get their own salt. So the candidates are hashes with the demo's salt, or shared by
    several accounts — a handful of PBKDF2 runs however many users there are.
    """
    from yimen.accounts.models import User

    shared = (
        User.objects.values("password").annotate(n=Count("id")).filter(n__gt=1).values_list("password", flat=True)
    )
    salted = User.objects.filter(password__contains=f"${DEMO_PASSWORD_SALT}$").values_list("password", flat=True)
    candidates = list(dict.fromkeys([*salted.distinct()[:MAX_HASHES_TRIED], *shared[:MAX_HASHES_TRIED]]))
    demo_hashes = [h for h in candidates[:MAX_HASHES_TRIED] if check_password(DEMO_PASSWORD, h)]
    if not demo_hashes:
        return []
    return list(
        User.objects.filter(Q(password__in=demo_hashes), is_active=True).order_by("username").values_list("username", flat=True)
    )


@register(SAFETY_TAG, deploy=True)
def check_demo_passwords(app_configs=None, databases=None, **kwargs):
    if settings.YIMEN_DEMO or not databases:
        return []
    try:
        names = accounts_on_demo_password()
    except DatabaseError:
        # `migrate` runs the checks before it creates the tables: nothing to check yet.
        return []
    if not names:
        return []
    shown = "、".join(names[:5]) + (f" 等 {len(names)} 个" if len(names) > 5 else "")
    return [Error(
        f"以下账号仍在使用公开的演示密码：{shown}。演示模式之外不能启动：请改掉这些账号的密码或停用它们，"
        "或者只在试用时设置 YIMEN_DEMO=true。/ These accounts still use the published demo password: "
        f"{', '.join(names[:5])}{' …' if len(names) > 5 else ''} ({len(names)}). Change or deactivate them "
        "before starting outside demo mode, or set YIMEN_DEMO=true for a trial only.",
        hint="yimen changepassword USERNAME",
        id="yimen.E010",
    )]
