"""Rules the API needs that belong in the domain apps, kept here only until they move.

Each name is imported from its proper home when it exists there; the fallback below is used only
until then (see the API report: `can_register` is proposed for yimen/accounts/scopes.py).
Delete the fallback once the domain module has it.
"""

try:  # pragma: no cover - depends on whether scopes has it yet
    from yimen.accounts.scopes import can_register
except ImportError:  # pragma: no cover
    from yimen.accounts.models import Role
    from yimen.accounts.scopes import grants_for, sees_everything

    REGISTER_ROLES = frozenset({Role.CLERK, Role.DISPATCHER, Role.DIRECTOR, Role.GRID_WORKER, Role.EXTERNAL})

    def can_register(user, region) -> bool:
        """Whether `user` may register a matter that happened in `region` (a role that registers,
        over that region or an ancestor)."""
        if sees_everything(user):
            return True
        return any(g.role in REGISTER_ROLES and region.code.startswith(g.region_code) for g in grants_for(user))


__all__ = ["can_register"]
