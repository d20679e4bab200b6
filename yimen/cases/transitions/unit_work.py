"""The unit's side: 签收 (`assignment_accept`), 退单 (`assignment_return`) and recording the handling
(`case_record_progress`)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import deadlines
from ..models import AssignmentPart, AssignmentStatus, Case, EventKind, Status, Step
from ..rules import Action
from ..validators import RecordKind, validate_mediation_session
from ._core import _begin, _choice, _event, _notify, _pick_assignment, _require_text, _set_status


def assignment_accept(*, actor, case: Case, assignment_id: int | None = None, expected_status: str | None = None) -> Case:
    """接单/签收. Two handlers of the same unit at once: the lock makes the second get 409."""
    with transaction.atomic():
        ctx = _begin(Action.ACCEPT, actor=actor, case=case, expected_status=expected_status)
        assignment = _pick_assignment(ctx, assignment_id, missing=_("本单位没有待签收的派单。"))
        assignment.status = AssignmentStatus.ACCEPTED
        assignment.accepted_at = ctx.now
        assignment.accepted_by = actor
        assignment.save(update_fields=["status", "accepted_at", "accepted_by"])
        deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.SIGN], assignment=assignment)
        previous = ctx.case.status
        if assignment.part == AssignmentPart.LEAD:
            if ctx.case.accepted_at is None:
                ctx.case.accepted_at = ctx.now
            _set_status(ctx, Status.IN_PROGRESS, "accepted_at")
        _event(ctx, EventKind.ACCEPTED, from_status=previous, unit=assignment.unit.name, part=assignment.part)
        return ctx.case


def assignment_return(*, actor, case: Case, reason: str, assignment_id: int | None = None, expected_status: str | None = None) -> Case:
    """退单: the unit refuses the dispatch with a reason; a returned lead sends it back to the dispatcher."""
    with transaction.atomic():
        ctx = _begin(Action.RETURN, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("退单理由"))
        assignment = _pick_assignment(ctx, assignment_id, missing=_("本单位没有可退回的派单。"))
        assignment.status = AssignmentStatus.RETURNED
        assignment.returned_at = ctx.now
        assignment.return_reason = reason
        assignment.save(update_fields=["status", "returned_at", "return_reason"])
        deadlines.cancel_deadlines(case=ctx.case, assignment=assignment)
        previous = ctx.case.status
        if assignment.part == AssignmentPart.LEAD:
            _set_status(ctx, Status.RETURNED)
        _event(ctx, EventKind.RETURNED, from_status=previous, reason=reason, unit=assignment.unit.name, part=assignment.part)
        _notify(ctx, "assignment_returned", lambda: _("%(unit)s退单") % {"unit": assignment.unit.name},
                centre=ctx.case.owning_centre, body=reason)
        return ctx.case


def case_record_progress(*, actor, case: Case, note: str, kind: str = "handling", details: dict | None = None, expected_status: str | None = None) -> Case:
    """A handling step or a mediation session (kind="mediation"; details checked by
    validators.validate_mediation_session: date, place, mediators, method, parties present, result, next step)."""
    with transaction.atomic():
        ctx = _begin(Action.RECORD_PROGRESS, actor=actor, case=case, expected_status=expected_status)
        note = _require_text(note, "note", _("办理情况"))
        kind = _choice(kind or RecordKind.HANDLING, RecordKind, "kind", _("记录类型"))
        if kind == RecordKind.MEDIATION:
            details = validate_mediation_session(details, today=timezone.localdate(ctx.now))
        assignment = _pick_assignment(ctx, None, missing=_("请先签收派单再记录办理情况。"))
        _event(ctx, EventKind.PROGRESS_RECORDED, from_status=ctx.case.status, reason=note,
               unit=assignment.unit.name, record_kind=kind, details=details or {})
        return ctx.case
