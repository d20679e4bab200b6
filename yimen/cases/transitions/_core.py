"""What every move shares: locking and checking (`_begin`), writing the status, the event and the
outbox, the input checks, the assignments a unit move needs, and the centre that registers a matter."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.models import Role
from yimen.accounts.scopes import can_see_case, roles_over_case, sees_everything, unit_ids_for
from yimen.common.errors import Conflict, InvalidInput, NotFound
from yimen.common.words import in_default_language
from yimen.notifications.outbox import outbox_enqueue
from yimen.regions.models import Centre
from yimen.regions.selectors import centre_nearest

from .. import copies, deadlines
from ..models import LIVE_ASSIGNMENT_STATUSES, Assignment, AssignmentStatus, Case, CaseEvent, Status
from ..rules import Action, Move, check_move


SYSTEM_LABEL = "系统"


@dataclass
class _Context:
    """A matter locked for a move, with what the checks learned about the actor."""

    case: Case
    actor: object
    roles: frozenset
    now: datetime
    assignments: list[Assignment] = field(default_factory=list)
    move: Move | None = None
    action: str = ""  # the move being made (its ASSIGNMENT_NEEDED, for a unit move)

    @property
    def target(self) -> str:
        """The status the move table says this move leads to (one home: rules.MOVES)."""
        assert self.move is not None and self.move.target is not None, "this move's service decides its status"
        return self.move.target

    @property
    def actor_unit_ids(self) -> set[int]:
        return unit_ids_for(self.actor) if self.actor is not None else set()

    def actor_assignment(self, statuses, *, part=None) -> Assignment | None:
        for assignment in self.assignments:
            if assignment.unit_id in self.actor_unit_ids and assignment.status in statuses:
                if part is None or assignment.part == part:
                    return assignment
        return None

    def live(self) -> list[Assignment]:
        return [a for a in self.assignments if a.status in LIVE_ASSIGNMENT_STATUSES]


def _begin(action: str, *, actor, case: Case, expected_status: str | None = None) -> _Context:
    """Lock the matter and check that `actor` may make `action` now.

    `expected_status` is the status the actor saw (a form's, an API client's): if someone else moved
    the matter in between, the move is refused naming the status it is in now, rather than applied to
    a matter the actor has not seen.
    """
    # of=("self",): lock the matter only, not its centre and region rows (that would serialise
    # every move in a centre on PostgreSQL).
    locked = Case.objects.select_for_update(of=("self",)).select_related("owning_centre__region").get(pk=case.pk)
    assignments = list(Assignment.objects.filter(case=locked).select_related("unit"))
    assigned_unit_ids = {a.unit_id for a in assignments}
    if actor is None:
        roles = frozenset()
    else:
        if not can_see_case(actor, locked, assigned_unit_ids):
            raise NotFound()
        roles = _roles(actor, locked, assigned_unit_ids)
    if expected_status and expected_status != locked.status:
        raise Conflict(
            _("该事项已被他人处理，当前状态为“%(status)s”。请查看最新情况后再操作。") % {"status": Status(locked.status).label},
            code="stale_status",
            current_status=locked.status,
        )
    move = check_move(action, locked.status, roles, system=actor is None)
    return _Context(case=locked, actor=actor, roles=roles, now=timezone.now(), assignments=assignments, move=move, action=action)


def _roles(actor, case, assigned_unit_ids) -> frozenset:
    if sees_everything(actor):
        # Administrators may step in for any staff role, e.g. to repair a stuck matter; they do not
        # speak for the resident.
        return frozenset(Role.values) - {Role.RESIDENT}
    return roles_over_case(actor, case, assigned_unit_ids)


def _set_status(ctx: _Context, status: str, *fields: str) -> None:
    ctx.case.status = status
    ctx.case.status_changed_at = ctx.now
    ctx.case.save(update_fields=["status", "status_changed_at", *fields])
    if ctx.assignments:  # the copies the unit lists filter on (cases/copies.py)
        copies.refresh(ctx.case, ctx.assignments)


def _user(actor):
    """The actor as a user foreign key: None for the system and for residents (who have no account)."""
    return actor if getattr(actor, "pk", None) else None


def _event(ctx: _Context, kind: str, *, from_status: str, reason: str = "", **payload) -> CaseEvent:
    actor = ctx.actor
    return CaseEvent.objects.create(
        case=ctx.case,
        kind=kind,
        actor=_user(actor),
        actor_label=str(actor) if actor is not None else SYSTEM_LABEL,
        from_status=from_status,
        to_status=ctx.case.status,
        reason=reason,
        payload=payload,
        created_at=ctx.now,
    )


def _notify(ctx: _Context, kind: str, subject, *, unit=None, centre=None, user=None, body: str = "") -> None:
    """Queue a message about the matter. `subject` is a lazy string or a function returning one: it is
    composed here, in the site's language, not in the actor's (common.words.in_default_language)."""
    with in_default_language():
        subject = str(subject() if callable(subject) else subject)
    outbox_enqueue(
        kind=kind,
        subject=f"[{ctx.case.number}] {subject}",
        body=body or ctx.case.title,
        case=ctx.case,
        recipient_unit=unit,
        recipient_centre=centre,
        recipient_user=user,
        payload={"case": ctx.case.number, "status": ctx.case.status},
        now=ctx.now,
    )


def _require_text(value: str, field_name: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("请填写%(label)s。") % {"label": label}, field=field_name)
    return value


def _choice(value, choices, field_name: str, label: str):
    if value not in choices.values:
        raise InvalidInput(_("%(label)s的取值无效：%(value)s") % {"label": label, "value": value}, field=field_name)
    return value


# Unit moves need one of the actor's own assignments in these statuses (resolve: the lead's). The
# services pick by these sets, and allowed_actions offers a move only when such an assignment exists,
# so a handler whose dispatch is already accepted is not offered 签收 again.
ASSIGNMENT_NEEDED = {
    Action.ACCEPT: frozenset({AssignmentStatus.PENDING}),
    Action.RETURN: frozenset({AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED}),
    Action.RECORD_PROGRESS: frozenset({AssignmentStatus.ACCEPTED}),
    Action.RESOLVE: frozenset({AssignmentStatus.ACCEPTED}),
    Action.REQUEST_EXTENSION: frozenset(LIVE_ASSIGNMENT_STATUSES),
}


def _pick_assignment(ctx: _Context, assignment_id: int | None, *, missing: str) -> Assignment:
    """The actor's own assignment (or the one named) in a status the move needs (ASSIGNMENT_NEEDED)."""
    statuses = ASSIGNMENT_NEEDED[ctx.action]
    mine = [a for a in ctx.assignments if a.unit_id in ctx.actor_unit_ids or sees_everything(ctx.actor)]
    if assignment_id is not None:
        mine = [a for a in mine if a.pk == assignment_id]
    for assignment in mine:
        if assignment.status in statuses:
            return assignment
    if any(a.status == AssignmentStatus.ACCEPTED for a in mine) and AssignmentStatus.ACCEPTED not in statuses:
        raise Conflict(_("该派单已被签收。"), code="already_accepted")
    raise Conflict(missing, code="no_assignment")


def _cancel_assignment(assignment: Assignment) -> None:
    assignment.status = AssignmentStatus.CANCELLED
    assignment.save(update_fields=["status"])
    deadlines.cancel_deadlines(case=assignment.case, assignment=assignment)


def centre_for_actor(actor, region=None) -> Centre:
    """The centre that registers a matter: the actor's own centre when the place lies in its region
    (a township clerk registers for the township), else the nearest centre at or above the place
    (a grid worker's report lands at the village, 小事不出村)."""
    from yimen.accounts.scopes import CENTRE_ROLES, grants_for

    own = sorted(
        (g.region_code for g in grants_for(actor) if g.role in CENTRE_ROLES and (region is None or region.code.startswith(g.region_code))),
        key=len,
        reverse=True,
    )
    for code in own[:1] + ([region.code] if region is not None else []):
        centre = centre_nearest(code)
        if centre:
            return centre
    raise InvalidInput(_("找不到负责该区划的综治中心。"), field="region")
