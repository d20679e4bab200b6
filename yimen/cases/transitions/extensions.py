"""Extensions: 延期申请 (`extension_request`) and its decision (`extension_decide`), which moves the
unit's limit and, when the unit leads, the matter's."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.errors import Conflict, InvalidInput

from .. import deadlines
from ..models import AssignmentPart, Case, EventKind, Extension, ExtensionStatus, Step
from ..rules import Action
from ._core import _begin, _Context, _event, _notify, _pick_assignment, _require_text


def extension_request(*, actor, case: Case, amount: int, reason: str, assignment_id: int | None = None, expected_status: str | None = None) -> Extension:
    """延期申请 by the handling unit; counted in the unit of its own limit."""
    with transaction.atomic():
        ctx = _begin(Action.REQUEST_EXTENSION, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("延期理由"))
        if not isinstance(amount, int) or amount <= 0:
            raise InvalidInput(_("延期时长必须是正整数。"), field="amount")
        assignment = _pick_assignment(ctx, assignment_id, missing=_("本单位没有办理中的派单。"))
        limit = deadlines.extension_check(assignment, amount)
        if assignment.extensions.filter(status=ExtensionStatus.PENDING).exists():
            raise Conflict(_("已有一份待审批的延期申请。"), code="extension_pending")
        extension = Extension.objects.create(
            case=ctx.case, assignment=assignment, amount=amount, unit=limit.unit, reason=reason,
            requested_by=actor, requested_at=ctx.now,
        )
        _event(ctx, EventKind.EXTENSION_REQUESTED, from_status=ctx.case.status, reason=reason,
               extension=extension.pk, amount=amount, unit=limit.unit, assignment_unit=assignment.unit.name)
        _notify(ctx, "extension_requested", _l("延期申请待审批"), centre=ctx.case.owning_centre, body=reason)
        return extension


def extension_decide(*, actor, case: Case, approve: bool, reason: str = "", extension_id: int | None = None, expected_status: str | None = None) -> Extension:
    """批准/驳回延期. Approval moves the unit's limit, and the matter's when the unit leads."""
    action = Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION
    with transaction.atomic():
        ctx = _begin(action, actor=actor, case=case, expected_status=expected_status)
        pending = Extension.objects.select_related("assignment__unit").filter(case=ctx.case, status=ExtensionStatus.PENDING)
        if extension_id is not None:
            pending = pending.filter(pk=extension_id)
        extension = pending.first()
        if extension is None:
            raise Conflict(_("没有待审批的延期申请。"), code="no_pending_extension")
        if not approve:
            _require_text(reason, "reason", _("驳回理由"))
        extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        extension.decided_by, extension.decided_at, extension.decision_reason = actor, ctx.now, reason.strip()
        extension.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        payload = {"extension": extension.pk, "amount": extension.amount, "unit": extension.unit}
        if approve:
            payload["new_due_at"] = _extend_limits(ctx, extension)
        kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_REFUSED
        _event(ctx, kind, from_status=ctx.case.status, reason=reason, **payload)
        _notify(ctx, kind, lambda: f"{Extension._meta.verbose_name}: {extension.get_status_display()}", unit=extension.assignment.unit)
        return extension


def _extend_limits(ctx: _Context, extension: Extension) -> str:
    assignment = extension.assignment
    new_due = ""
    for limit in assignment.deadlines.filter(step=Step.UNIT_HANDLE, state="open"):
        new_due = deadlines.extend_deadline(deadline=limit, amount=extension.amount).due_at.isoformat()
    if assignment.part == AssignmentPart.LEAD:
        for limit in ctx.case.deadlines.filter(step=Step.HANDLE, state="open"):
            if limit.unit == extension.unit:
                deadlines.extend_deadline(deadline=limit, amount=extension.amount)
        ctx.case.refresh_from_db(fields=["due_at", "due_provisional", "overdue"])
    return new_due
