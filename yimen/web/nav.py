"""The workbench's navigation: which sections a user sees, from the roles they hold.

Only what to *show*; whether a user may open a page or take an action is decided by the pages'
selectors and the transitions module (a hidden link is not a permission).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from yimen.accounts.models import Role
from yimen.accounts.scopes import (
    BOARD_ROLES,
    CENTRE_ROLES,
    FOLLOW_UP_ROLES,
    REGISTER_ROLES,
    UNIT_WORK_ROLES,
    grants_for,
    may_read_audit,
    sees_everything,
)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url_name: str
    roles: frozenset | None  # None: every signed-in user
    allowed: Callable | None = None  # instead of roles: a scopes rule of its own (user -> bool)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS = (
    Section("home", _("工作台"), "web:home", None),
    Section("window", _("受理窗口"), "web:window", REGISTER_ROLES),
    Section("cases", _("事项台账"), "web:case_list", None),
    Section("inbox", _("部门待办"), "web:inbox", UNIT_WORK_ROLES),
    Section("supervise", _("督办看板"), "web:supervise", BOARD_ROLES),
    Section("followups", _("回访"), "web:followups", FOLLOW_UP_ROLES),
    Section("posters", _("解纷码海报"), "web:resident_posters", CENTRE_ROLES),
    # Only the audit administrator, not a superuser by itself (三员分立).
    Section("audit", _("安全审计"), "web:audit", None, allowed=may_read_audit),
)


class Workbench:
    """What the templates need to know about the signed-in user, computed once per request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def roles(self) -> frozenset:
        if sees_everything(self.user):
            return frozenset(Role.values) - {Role.RESIDENT}
        return frozenset(g.role for g in grants_for(self.user))

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))

    @cached_property
    def sections(self) -> list[Section]:
        return [s for s in SECTIONS
                if (s.allowed(self.user) if s.allowed is not None else s.roles is None or self.has_any(s.roles))]

    @cached_property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in Role.values if r in self.roles]


def workbench(request) -> dict:
    """Context processor: `wb` (navigation and roles) for signed-in users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"wb": Workbench(user)}
