"""Grading and dispatch: 研判 (`case_triage`), 派单 (`case_dispatch`) and 联合办理 (`case_convene_joint`)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.errors import InvalidInput
from yimen.regions.models import Unit
from yimen.regions.selectors import dispatchable_units

from .. import copies, deadlines, triage_link
from ..models import Assignment, AssignmentPart, AssignmentStatus, Case, Category, DomainClass, EventKind, Risk, Status, Step, Urgency
from ..rules import Action
from ._core import _begin, _cancel_assignment, _choice, _Context, _event, _notify, _require_text, _set_status


def case_triage(
    *, actor, case: Case, category: Category | None = None, urgency: str = "", risk: str = "",
    domain_class: str = "", risk_reason: str = "", accept_suggestion: bool = False, expected_status: str | None = None,
    request_type: str = "",
) -> Case:
    """Record the analysis (研判): category, urgency, risk colour, domain and request type; ready for dispatch.

    With `accept_suggestion`, grades left blank are taken from the engine's suggestion stored at
    intake. Either way the decision is recorded beside the suggestion (the accuracy figure). A new
    category, urgency or request type restarts the matter's handling limit under the policy that now applies.
    """
    request_type = triage_link.request_type_checked(request_type)
    with transaction.atomic():
        ctx = _begin(Action.TRIAGE, actor=actor, case=case, expected_status=expected_status)
        previous = ctx.case.status
        if accept_suggestion:
            category, urgency, risk, domain_class, risk_reason, request_type = triage_link.suggestion_fill(
                ctx.case, category=category, urgency=urgency, risk=risk, domain_class=domain_class, risk_reason=risk_reason,
                request_type=request_type,
            )
        changed_limits = _apply_grading(ctx, category, urgency, risk, domain_class, risk_reason, request_type)
        _set_status(ctx, ctx.target, "category", "urgency", "risk", "domain_class", "risk_reason", "request_type")
        _petition_decided(ctx)
        if changed_limits:
            _restart_case_limit(ctx)
        record = triage_link.triage_decision_record(case=ctx.case, actor=actor, note=risk_reason)
        _event(
            ctx, EventKind.TRIAGED, from_status=previous, reason=risk_reason,
            category=ctx.case.category.name if ctx.case.category_id else "", urgency=ctx.case.urgency, risk=ctx.case.risk,
            request_type=ctx.case.request_type, accepted_suggestion=accept_suggestion, suggestion_agreed=record.all_accepted if record else None,
        )
        return ctx.case


def _apply_grading(ctx, category, urgency, risk, domain_class, risk_reason, request_type="") -> bool:
    case = ctx.case
    before = (case.category_id, case.urgency, case.request_type)
    if request_type:
        case.request_type = request_type
    if category is not None:
        case.category = category
        if not domain_class:
            case.domain_class = category.domain_class
    if urgency:
        case.urgency = _choice(urgency, Urgency, "urgency", _("紧急程度"))
    if risk:
        case.risk = _choice(risk, Risk, "risk", _("风险等级"))
        if risk == Risk.RED and not (risk_reason or case.risk_reason).strip():
            raise InvalidInput(_("定为红色风险须说明研判理由。"), field="risk_reason")
    elif not case.risk:
        # Triage grades the matter: a colour the dispatcher leaves blank is blue from here on (until
        # triage an empty risk means 待研判, see Case.risk).
        case.risk = Risk.BLUE
    if domain_class:
        case.domain_class = _choice(domain_class, DomainClass, "domain_class", _("领域"))
    if risk_reason:
        case.risk_reason = risk_reason.strip()
    return before != (case.category_id, case.urgency, case.request_type)


def _petition_decided(ctx: _Context) -> None:
    """A petition's 15-day decision limit (信访工作条例第22条) is met once the centre decides how to
    handle it: by triage, dispatch, or answering it at once; closing early cancels it instead."""
    deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.PETITION_DECIDE])


def _restart_case_limit(ctx: _Context) -> None:
    deadlines.cancel_deadlines(case=ctx.case, steps=[Step.HANDLE])
    deadlines.open_deadline(case=ctx.case, step=Step.HANDLE, starts_at=ctx.case.received_at)


def _check_units(ctx: _Context, units: list[Unit]) -> None:
    owning = ctx.case.owning_centre
    reachable = set(dispatchable_units(owning).filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
    for unit in units:
        if not unit.active:
            raise InvalidInput(_("单位“%(unit)s”已停用。") % {"unit": unit.name}, field="units")
        if unit.pk not in reachable:
            raise InvalidInput(
                _("单位“%(unit)s”不在%(centre)s的派单范围内。") % {"unit": unit.name, "centre": owning.name}, field="units"
            )


def _assign(
    ctx: _Context, lead: Unit, assists: list[Unit], tasks: dict[int, str], limit_reason: str = ""
) -> list[Assignment]:
    """Make `lead` the lead and `assists` the assisting units, keeping live assignments that stay.
    A new unit's limit ends by the matter's unless `limit_reason` says why not (deadlines).

    Returns the assignments created (their units are notified).
    """
    if lead is None:
        raise InvalidInput(_("请选择牵头单位。"), field="lead_unit")
    assists = [u for u in dict.fromkeys(assists) if u.pk != lead.pk]
    _check_units(ctx, [lead, *assists])
    wanted = {lead.pk: AssignmentPart.LEAD, **{u.pk: AssignmentPart.ASSIST for u in assists}}
    created = []
    for assignment in ctx.live():
        part = wanted.pop(assignment.unit_id, None)
        if part is None:
            _cancel_assignment(assignment)
        elif part != assignment.part:
            assignment.part = part
            assignment.save(update_fields=["part"])
    for unit in [lead, *assists]:
        if unit.pk not in wanted:
            continue
        assignment = Assignment.objects.create(
            case=ctx.case, unit=unit, part=wanted[unit.pk], task=tasks.get(unit.pk, "")[:300],
            dispatched_by=ctx.actor, dispatched_at=ctx.now, **copies.for_new_assignment(ctx.case),
        )
        deadlines.open_assignment_deadlines(
            case=ctx.case, assignment=assignment, starts_at=ctx.now, limit_reason=limit_reason
        )
        ctx.assignments.append(assignment)
        created.append(assignment)
    return created


def _status_after_assigning(ctx: _Context) -> str:
    lead = next((a for a in ctx.live() if a.part == AssignmentPart.LEAD), None)
    return Status.IN_PROGRESS if lead and lead.status == AssignmentStatus.ACCEPTED else Status.DISPATCHED


def case_dispatch(
    *, actor, case: Case, lead_unit: Unit, assist_units: list[Unit] = (), tasks: dict[int, str] | None = None,
    reason: str = "", limit_reason: str = "", expected_status: str | None = None,
) -> Case:
    """派单: name the lead unit and any assisting units; each gets its own limits, ending by the
    matter's own unless `limit_reason` says why a unit needs longer."""
    with transaction.atomic():
        ctx = _begin(Action.DISPATCH, actor=actor, case=case, expected_status=expected_status)
        previous = ctx.case.status
        created = _assign(ctx, lead_unit, list(assist_units), tasks or {}, limit_reason)
        _petition_decided(ctx)
        if ctx.case.dispatched_at is None:
            ctx.case.dispatched_at = ctx.now
        _set_status(ctx, _status_after_assigning(ctx), "dispatched_at")
        _event(ctx, EventKind.DISPATCHED, from_status=previous, reason=reason, **_assignment_payload(ctx),
               unit_limit=deadlines.unit_limit_note(case=ctx.case, starts_at=ctx.now, limit_reason=limit_reason))
        for assignment in created:
            _notify(ctx, "assignment_created", _l("新派单：请在期限内签收"), unit=assignment.unit)
        return ctx.case


def _assignment_payload(ctx: _Context) -> dict:
    live = ctx.live()
    lead = next((a for a in live if a.part == AssignmentPart.LEAD), None)
    return {
        "lead_unit": lead.unit.name if lead else "",
        "assist_units": [a.unit.name for a in live if a.part == AssignmentPart.ASSIST],
    }


def case_convene_joint(
    *, actor, case: Case, lead_unit: Unit, units: list[Unit], reason: str, tasks: dict[int, str] | None = None, expected_status: str | None = None,
) -> Case:
    """联合办理 (中心吹哨、部门报到): convene several units at once with a named lead."""
    with transaction.atomic():
        ctx = _begin(Action.CONVENE_JOINT, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("会商事由"))
        assists = [u for u in units if u.pk != lead_unit.pk]
        if not assists:
            raise InvalidInput(_("联合办理至少需要牵头单位之外的一个协办单位。"), field="units")
        previous = ctx.case.status
        created = _assign(ctx, lead_unit, assists, tasks or {})
        ctx.case.is_joint = True
        if ctx.case.dispatched_at is None:
            ctx.case.dispatched_at = ctx.now
        _set_status(ctx, _status_after_assigning(ctx), "is_joint", "dispatched_at")
        _event(ctx, EventKind.JOINT_CONVENED, from_status=previous, reason=reason, **_assignment_payload(ctx))
        for assignment in created:
            _notify(ctx, "joint_convened", _l("联合办理：请报到并签收"), unit=assignment.unit, body=reason)
        return ctx.case
