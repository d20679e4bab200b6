"""What a user is offered now (`allowed_actions`): the doors' buttons, never instead of the checks."""

from yimen.accounts.scopes import sees_everything, unit_ids_for

from ..models import LIVE_ASSIGNMENT_STATUSES, Assignment, AssignmentPart, Case, Extension, ExtensionStatus, SupervisionOrder, SupervisionStatus
from ..rules import MOVES, Action, is_allowed
from ._core import ASSIGNMENT_NEEDED, _roles


def allowed_actions(user, case: Case, assignments: list[Assignment] | None = None) -> list[str]:
    """The actions `user` may take on `case` now: for showing buttons, never instead of the checks.

    A move is offered only when it can succeed: besides the table (role, status), a unit move needs
    the unit's own assignment in the right state, 回复督办 an issued order for the user's unit, an
    extension decision a pending request, and 督办 a unit to supervise. The orders and requests are
    read from what the page prefetched (`all_supervision_orders`, `all_extensions`) when it did.
    """
    if assignments is None:
        assignments = list(case.assignments.all())
    assigned = {a.unit_id for a in assignments}
    roles = _roles(user, case, assigned)
    allowed = [action for action in MOVES if is_allowed(action, case.status, roles)]
    everyone = sees_everything(user)
    own_units = unit_ids_for(user) if not everyone else set()
    own = [a for a in assignments if everyone or a.unit_id in own_units]

    def has_assignment(action) -> bool:
        needed = ASSIGNMENT_NEEDED[action]
        return any(a.status in needed and (action != Action.RESOLVE or a.part == AssignmentPart.LEAD) for a in own)

    def possible(action) -> bool:
        if action in ASSIGNMENT_NEEDED and not everyone:
            return has_assignment(action)
        if action == Action.SUPERVISE:
            return any(a.status in LIVE_ASSIGNMENT_STATUSES for a in assignments)
        if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
            return _has_pending_extension(case)
        if action == Action.ANSWER_SUPERVISION:
            return any(everyone or unit_id in own_units for unit_id in _units_with_issued_orders(case))
        return True

    return [action for action in allowed if possible(action)]


def _has_pending_extension(case: Case) -> bool:
    prefetched = getattr(case, "all_extensions", None)
    if prefetched is not None:
        return any(e.status == ExtensionStatus.PENDING for e in prefetched)
    return Extension.objects.filter(case=case, status=ExtensionStatus.PENDING).exists()


def _units_with_issued_orders(case: Case) -> set[int]:
    prefetched = getattr(case, "all_supervision_orders", None)
    if prefetched is not None:
        return {o.unit_id for o in prefetched if o.status == SupervisionStatus.ISSUED}
    return set(SupervisionOrder.objects.filter(case=case, status=SupervisionStatus.ISSUED).values_list("unit_id", flat=True))
