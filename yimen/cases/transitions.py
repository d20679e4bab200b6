"""The only code that moves a matter through its loop.

Web pages, the API, admin actions, the deadline sweep, importers and management commands all call
these services. Each one:
  1. opens a transaction and re-reads the matter locked (select_for_update), so two people acting at
     the same moment are serialised and the second sees the first one's result;
  2. asks `roles_over_case` (scope) and `check_move` (the table in rules.py) whether the move is allowed;
  3. checks the move's own preconditions (a pending assignment for the actor's unit, a reason …);
  4. writes with update_fields, appends a CaseEvent, and queues notifications in the outbox, all in
     the same transaction.
`actor=None` means the system (the sweep); it may only make the moves in rules.SYSTEM_ACTIONS.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.accounts.models import Role
from yimen.accounts.scopes import can_see_case, roles_over_case, sees_everything, unit_ids_for
from yimen.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yimen.common.words import in_default_language
from yimen.notifications.outbox import outbox_enqueue
from yimen.regions.models import Centre, Unit
from yimen.regions.selectors import centre_nearest, dispatchable_units

from . import deadlines, triage_link
from .models import (
    Assignment,
    AssignmentPart,
    AssignmentStatus,
    Case,
    CaseEvent,
    Category,
    DomainClass,
    EventKind,
    Extension,
    ExtensionStatus,
    FollowUp,
    LIVE_ASSIGNMENT_STATUSES,
    Outcome,
    ReferralTarget,
    Risk,
    Satisfaction,
    Status,
    Step,
    SupervisionOrder,
    SupervisionStatus,
    Urgency,
)
from .rules import MOVES, Action, Move, check_move, is_allowed
from .validators import RecordKind, validate_mediation_session

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
    return _Context(case=locked, actor=actor, roles=roles, now=timezone.now(), assignments=assignments, move=move)


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


# ---------------------------------------------------------------------------------------------
# Triage and dispatch


def case_triage(
    *, actor, case: Case, category: Category | None = None, urgency: str = "", risk: str = "",
    domain_class: str = "", risk_reason: str = "", accept_suggestion: bool = False, expected_status: str | None = None,
) -> Case:
    """Record the analysis (研判): category, urgency, risk colour and domain; ready for dispatch.

    With `accept_suggestion`, grades left blank are taken from the engine's suggestion stored at
    intake. Either way the decision is recorded beside the suggestion (the accuracy figure).
    """
    with transaction.atomic():
        ctx = _begin(Action.TRIAGE, actor=actor, case=case, expected_status=expected_status)
        previous = ctx.case.status
        if accept_suggestion:
            category, urgency, risk, domain_class, risk_reason = triage_link.suggestion_fill(
                ctx.case, category=category, urgency=urgency, risk=risk, domain_class=domain_class, risk_reason=risk_reason
            )
        changed_limits = _apply_grading(ctx, category, urgency, risk, domain_class, risk_reason)
        _set_status(ctx, ctx.target, "category", "urgency", "risk", "domain_class", "risk_reason")
        _petition_decided(ctx)
        if changed_limits:
            _restart_case_limit(ctx)
        record = triage_link.triage_decision_record(case=ctx.case, actor=actor, note=risk_reason)
        _event(
            ctx, EventKind.TRIAGED, from_status=previous, reason=risk_reason,
            category=ctx.case.category.name if ctx.case.category_id else "", urgency=ctx.case.urgency, risk=ctx.case.risk,
            accepted_suggestion=accept_suggestion, suggestion_agreed=record.all_accepted if record else None,
        )
        return ctx.case


def _apply_grading(ctx, category, urgency, risk, domain_class, risk_reason) -> bool:
    case = ctx.case
    before = (case.category_id, case.urgency)
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
    return before != (case.category_id, case.urgency)


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
            dispatched_by=ctx.actor, dispatched_at=ctx.now,
            case_region_code=ctx.case.region_code, case_owning_code=ctx.case.owning_code,
        )
        deadlines.open_assignment_deadlines(
            case=ctx.case, assignment=assignment, starts_at=ctx.now, limit_reason=limit_reason
        )
        ctx.assignments.append(assignment)
        created.append(assignment)
    return created


def _cancel_assignment(assignment: Assignment) -> None:
    assignment.status = AssignmentStatus.CANCELLED
    assignment.save(update_fields=["status"])
    deadlines.cancel_deadlines(case=assignment.case, assignment=assignment)


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


# ---------------------------------------------------------------------------------------------
# The unit's side


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


def _pick_assignment(ctx: _Context, assignment_id: int | None, statuses, *, missing: str) -> Assignment:
    mine = [a for a in ctx.assignments if a.unit_id in ctx.actor_unit_ids or sees_everything(ctx.actor)]
    if assignment_id is not None:
        mine = [a for a in mine if a.pk == assignment_id]
    for assignment in mine:
        if assignment.status in statuses:
            return assignment
    if any(a.status == AssignmentStatus.ACCEPTED for a in mine) and AssignmentStatus.ACCEPTED not in statuses:
        raise Conflict(_("该派单已被签收。"), code="already_accepted")
    raise Conflict(missing, code="no_assignment")


def assignment_accept(*, actor, case: Case, assignment_id: int | None = None, expected_status: str | None = None) -> Case:
    """接单/签收. Two handlers of the same unit at once: the lock makes the second get 409."""
    with transaction.atomic():
        ctx = _begin(Action.ACCEPT, actor=actor, case=case, expected_status=expected_status)
        assignment = _pick_assignment(
            ctx, assignment_id, ASSIGNMENT_NEEDED[Action.ACCEPT], missing=_("本单位没有待签收的派单。")
        )
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
        assignment = _pick_assignment(
            ctx, assignment_id, ASSIGNMENT_NEEDED[Action.RETURN], missing=_("本单位没有可退回的派单。")
        )
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
        assignment = _pick_assignment(ctx, None, ASSIGNMENT_NEEDED[Action.RECORD_PROGRESS], missing=_("请先签收派单再记录办理情况。"))
        _event(ctx, EventKind.PROGRESS_RECORDED, from_status=ctx.case.status, reason=note,
               unit=assignment.unit.name, record_kind=kind, details=details or {})
        return ctx.case


def case_resolve(*, actor, case: Case, outcome: str, result: str, expected_status: str | None = None) -> Case:
    """办结: the lead unit reports the outcome and what was done."""
    with transaction.atomic():
        ctx = _begin(Action.RESOLVE, actor=actor, case=case, expected_status=expected_status)
        _choice(outcome, Outcome, "outcome", _("办理结果"))
        result = _require_text(result, "result", _("办理情况"))
        lead = next((a for a in ctx.live() if a.part == AssignmentPart.LEAD and a.status in ASSIGNMENT_NEEDED[Action.RESOLVE]), None)
        if lead is None or (lead.unit_id not in ctx.actor_unit_ids and not sees_everything(actor)):
            raise PermissionDenied(_("只有已签收的牵头单位可以办结。"), code="not_lead")
        for assignment in ctx.live():
            if assignment.status == AssignmentStatus.ACCEPTED:
                assignment.status = AssignmentStatus.COMPLETED
                assignment.completed_at = ctx.now
                assignment.save(update_fields=["status", "completed_at"])
                deadlines.close_deadlines(case=ctx.case, now=ctx.now, assignment=assignment)
            else:
                _cancel_assignment(assignment)
        return _finish_resolution(ctx, outcome, result, on_spot=False)


def _finish_resolution(ctx: _Context, outcome: str, result: str, *, on_spot: bool) -> Case:
    previous = ctx.case.status
    ctx.case.outcome = outcome
    ctx.case.result = result
    ctx.case.resolved_at = ctx.now
    ctx.case.resolved_on_spot = on_spot
    deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.HANDLE, Step.PETITION_DECIDE])
    ctx.case.overdue = False
    _set_status(ctx, ctx.target, "outcome", "result", "resolved_at", "resolved_on_spot", "overdue", "resolved_within_limit")
    deadlines.open_deadline(case=ctx.case, step=Step.FOLLOW_UP, starts_at=ctx.now)
    _event(ctx, EventKind.RESOLVED, from_status=previous, reason=result, outcome=outcome, on_spot=on_spot)
    _notify(ctx, "case_resolved", _l("事项已办结，请安排回访"), centre=ctx.case.owning_centre)
    return ctx.case


def case_resolve_on_spot(*, actor, case: Case, outcome: str, result: str, expected_status: str | None = None) -> Case:
    """现场办结: answered at the window (a consultation, an explanation) without dispatch."""
    with transaction.atomic():
        ctx = _begin(Action.RESOLVE_ON_SPOT, actor=actor, case=case, expected_status=expected_status)
        _choice(outcome, Outcome, "outcome", _("办理结果"))
        result = _require_text(result, "result", _("办理情况"))
        return _finish_resolution(ctx, outcome, result, on_spot=True)


# ---------------------------------------------------------------------------------------------
# Follow-up, archive, reopen


def case_follow_up(*, actor, case: Case, satisfaction: str, comment: str = "", method: str = "phone", expected_status: str | None = None) -> Case:
    """回访: record satisfaction. An unsatisfied resident reopens the matter when the policy says so."""
    from django.conf import settings

    with transaction.atomic():
        ctx = _begin(Action.FOLLOW_UP, actor=actor, case=case, expected_status=expected_status)
        _choice(satisfaction, Satisfaction, "satisfaction", _("满意度"))
        if satisfaction == Satisfaction.UNSATISFIED and not comment.strip():
            raise InvalidInput(_("选择“不满意”时，请写明不满意的地方。"), field="comment")
        FollowUp.objects.create(case=ctx.case, by=_user(actor), method=method[:20], satisfaction=satisfaction,
                                comment=comment.strip(), created_at=ctx.now)
        deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.FOLLOW_UP])
        previous = ctx.case.status
        ctx.case.satisfaction = satisfaction
        _set_status(ctx, Status.FOLLOWED_UP, "satisfaction")
        _event(ctx, EventKind.FOLLOWED_UP, from_status=previous, reason=comment, satisfaction=satisfaction, method=method)
        if satisfaction == Satisfaction.UNSATISFIED and getattr(settings, "YIMEN_REOPEN_ON_UNSATISFIED", True):
            _reopen(ctx, _("回访不满意，自动重启：%(comment)s") % {"comment": comment.strip()})
        return ctx.case


def _reopen(ctx: _Context, reason: str) -> None:
    previous = ctx.case.status
    ctx.case.reopen_count += 1
    ctx.case.outcome = ""
    ctx.case.resolved_within_limit = None
    ctx.case.closed_at = None
    _set_status(ctx, MOVES[Action.REOPEN].target, "reopen_count", "outcome", "resolved_within_limit", "closed_at")
    deadlines.cancel_deadlines(case=ctx.case, steps=[Step.FOLLOW_UP])
    deadlines.open_deadline(case=ctx.case, step=Step.HANDLE, starts_at=ctx.now)
    _event(ctx, EventKind.REOPENED, from_status=previous, reason=reason)
    _notify(ctx, "case_reopened", _l("事项已重启，请重新派单"), centre=ctx.case.owning_centre, body=reason)


def case_reopen(*, actor, case: Case, reason: str, expected_status: str | None = None) -> Case:
    """重启: a recurrence, or a resolution that did not hold."""
    with transaction.atomic():
        ctx = _begin(Action.REOPEN, actor=actor, case=case, expected_status=expected_status)
        _reopen(ctx, _require_text(reason, "reason", _("重启理由")))
        return ctx.case


def case_archive(*, actor, case: Case, note: str = "", expected_status: str | None = None) -> Case:
    with transaction.atomic():
        ctx = _begin(Action.ARCHIVE, actor=actor, case=case, expected_status=expected_status)
        previous = ctx.case.status
        ctx.case.closed_at = ctx.case.closed_at or ctx.now
        _set_status(ctx, ctx.target, "closed_at")
        _event(ctx, EventKind.ARCHIVED, from_status=previous, reason=note)
        return ctx.case


# ---------------------------------------------------------------------------------------------
# Leaving the loop early


def _close_early(ctx: _Context, status: str, kind: str, reason: str, **payload) -> Case:
    previous = ctx.case.status
    for assignment in ctx.live():
        _cancel_assignment(assignment)
    deadlines.cancel_deadlines(case=ctx.case)
    ctx.case.closed_at = ctx.now
    ctx.case.overdue = False
    _set_status(ctx, status, "closed_at", "overdue", *payload.pop("_fields", ()))
    _event(ctx, kind, from_status=previous, reason=reason, **payload)
    return ctx.case


def case_refer_out(*, actor, case: Case, target: str, reason: str, expected_status: str | None = None) -> Case:
    """转出 to litigation, arbitration, administrative review or the petition channel."""
    with transaction.atomic():
        ctx = _begin(Action.REFER_OUT, actor=actor, case=case, expected_status=expected_status)
        _choice(target, ReferralTarget, "target", _("转出去向"))
        reason = _require_text(reason, "reason", _("转出理由"))
        ctx.case.referral_target = target
        return _close_early(ctx, ctx.target, EventKind.REFERRED_OUT, reason, target=target,
                            _fields=("referral_target",))


def case_not_accept(*, actor, case: Case, reason: str, where_to_go: str, expected_status: str | None = None) -> Case:
    """不予受理 with a reasoned notice (告知) naming where the matter belongs."""
    with transaction.atomic():
        ctx = _begin(Action.NOT_ACCEPT, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("不予受理理由"))
        where_to_go = _require_text(where_to_go, "where_to_go", _("告知去向"))
        with in_default_language():  # stored: read by everyone, in the site's language
            # Both texts as written: wrapping them in a sentence ("请向…反映。") mangled what was typed.
            ctx.case.result = _("不予受理理由：%(reason)s\n告知去向：%(where)s") % {"reason": reason, "where": where_to_go}
        return _close_early(ctx, ctx.target, EventKind.NOT_ACCEPTED, reason, where_to_go=where_to_go,
                            _fields=("result",))


def case_withdraw(*, actor, case: Case, reason: str, expected_status: str | None = None) -> Case:
    """撤回 at the party's request."""
    with transaction.atomic():
        ctx = _begin(Action.WITHDRAW, actor=actor, case=case, expected_status=expected_status)
        return _close_early(ctx, ctx.target, EventKind.WITHDRAWN, _require_text(reason, "reason", _("撤回理由")))


def case_supplement(*, actor, case: Case, note: str, attachments=(), expected_status: str | None = None) -> Case:
    """补充材料: the resident adds information or documents to an open matter.

    The owning centre and every unit now handling it are told. Files written to storage before a
    rollback are removed again, as at intake.
    """
    from .intake import attachment_add

    stored = []
    try:
        with transaction.atomic():
            ctx = _begin(Action.SUPPLEMENT, actor=actor, case=case, expected_status=expected_status)
            note = (note or "").strip()
            if not note and not attachments:
                raise InvalidInput(_("请写下要补充的情况，或选择要上传的文件。"), field="note")
            for attachment in attachments:
                stored.append(attachment_add(case=ctx.case, actor=actor, attachment=attachment))
            _event(ctx, EventKind.SUPPLEMENTED, from_status=ctx.case.status, reason=note,
                   files=[record.original_name for record in stored])
            subject = _l("群众补充了材料")
            _notify(ctx, "case_supplemented", subject, centre=ctx.case.owning_centre, body=note)
            for assignment in ctx.live():
                _notify(ctx, "case_supplemented", subject, unit=assignment.unit, body=note)
            return ctx.case
    except BaseException:
        for record in stored:
            record.file.delete(save=False)
        raise


# ---------------------------------------------------------------------------------------------
# Escalation, extension, supervision


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
        Assignment.objects.filter(case=ctx.case).update(case_owning_code=parent.region.code)
        ctx.case.escalation_count += 1
        _set_status(ctx, ctx.target, "owning_centre", "owning_code", "escalation_count")
        _event(ctx, EventKind.ESCALATED, from_status=previous, reason=reason, from_centre=from_centre.name, to_centre=parent.name)
        _notify(ctx, "case_escalated", _l("下级提级事项，请研判派单"), centre=parent, body=reason)
        return ctx.case


def extension_request(*, actor, case: Case, amount: int, reason: str, assignment_id: int | None = None, expected_status: str | None = None) -> Extension:
    """延期申请 by the handling unit; counted in the unit of its own limit."""
    with transaction.atomic():
        ctx = _begin(Action.REQUEST_EXTENSION, actor=actor, case=case, expected_status=expected_status)
        reason = _require_text(reason, "reason", _("延期理由"))
        if not isinstance(amount, int) or amount <= 0:
            raise InvalidInput(_("延期时长必须是正整数。"), field="amount")
        assignment = _pick_assignment(ctx, assignment_id, ASSIGNMENT_NEEDED[Action.REQUEST_EXTENSION], missing=_("本单位没有办理中的派单。"))
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


# ---------------------------------------------------------------------------------------------
# Questions the doors ask


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
