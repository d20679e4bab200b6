"""Escalation and supervision: 提级 (`case_escalate`), 督办 (`supervision_issue`) and its answer
(`supervision_answer`)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.errors import Conflict, InvalidInput
from yimen.regions.models import Unit

from .. import deadlines
from ..models import AssignmentPart, AssignmentStatus, Case, EventKind, Step, SupervisionOrder, SupervisionStatus
from ..rules import Action
from ._core import _begin, _cancel_assignment, _event, _notify, _require_text, _set_status


def case_escalate(*, actor, case: Case, reason: str, expected_status: str | None = None) -> Case:
    """提级: the parent centre takes ownership; units that had accepted keep a duty to assist."""
    with transaction.atomic():
        ctx = _begin(Action.ESCALATE, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("提级理由"))
        parent = ctx.case.owning_centre.parent_centre()
        if parent is None:
            raise Conflict(_("%(centre)s已是最高层级，无法提级。") % {"centre": ctx.case.owning_centre.name}, code="top_level")
        previous, from_centre = ctx.case.status, ctx.case.owning_centre
        for assignment in ctx.live():
            if assignment.status == AssignmentStatus.ACCEPTED:
                assignment.part = AssignmentPart.ASSIST
                assignment.save(update_fields=["part"])
            else:
                _cancel_assignment(assignment)
        ctx.case.owning_centre = parent
        ctx.case.owning_code = parent.region.code
        ctx.case.escalation_count += 1
        _set_status(ctx, ctx.target, "owning_centre", "owning_code", "escalation_count")
        _event(ctx, EventKind.ESCALATED, from_status=previous, reason=reason, from_centre=from_centre.name, to_centre=parent.name)
        _notify(ctx, "case_escalated", _l("下级提级事项，请研判派单"), centre=parent, body=reason)
        return ctx.case


def supervision_issue(*, actor, case: Case, content: str, unit: Unit | None = None, expected_status: str | None = None) -> SupervisionOrder:
    """督办单: order a unit (by default the lead) to act, with a time to answer."""
    with transaction.atomic():
        ctx = _begin(Action.SUPERVISE, actor=actor, case=case, expected_status=expected_status)
        content = _require_text(content, "content", _("督办要求"))
        live_units = {a.unit_id: a.unit for a in ctx.live()}
        if unit is None:
            lead = next((a for a in ctx.live() if a.part == AssignmentPart.LEAD), None)
            if lead is None:
                raise Conflict(_("事项尚无承办单位，请指定被督办单位或先派单。"), code="no_unit")
            unit = lead.unit
        elif unit.pk not in live_units:
            raise InvalidInput(_("被督办单位必须是该事项的承办单位。"), field="unit")
        order = SupervisionOrder.objects.create(case=ctx.case, unit=unit, issued_by=actor, issued_at=ctx.now, content=content)
        limit = deadlines.open_deadline(case=ctx.case, step=Step.SUPERVISION_ANSWER, starts_at=ctx.now, supervision=order)
        if limit is not None:
            order.answer_due_at = limit.due_at
            order.save(update_fields=["answer_due_at"])
        _event(ctx, EventKind.SUPERVISED, from_status=ctx.case.status, reason=content, unit=unit.name, order=order.pk)
        _notify(ctx, "supervision_issued", _l("督办单：请按期回复"), unit=unit, body=content)
        return order


def supervision_answer(*, actor, case: Case, answer: str, order_id: int | None = None, expected_status: str | None = None) -> SupervisionOrder:
    with transaction.atomic():
        ctx = _begin(Action.ANSWER_SUPERVISION, actor=actor, case=case, expected_status=expected_status)
        answer = _require_text(answer, "answer", _("督办回复"))
        orders = SupervisionOrder.objects.filter(case=ctx.case, status=SupervisionStatus.ISSUED, unit_id__in=ctx.actor_unit_ids)
        if order_id is not None:
            orders = orders.filter(pk=order_id)
        order = orders.select_related("unit").first()
        if order is None:
            raise Conflict(_("本单位没有待回复的督办单。"), code="no_supervision")
        order.status, order.answer, order.answered_by, order.answered_at = SupervisionStatus.ANSWERED, answer, actor, ctx.now
        order.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.SUPERVISION_ANSWER], supervision=order)
        _event(ctx, EventKind.SUPERVISION_ANSWERED, from_status=ctx.case.status, reason=answer, unit=order.unit.name, order=order.pk)
        return order
