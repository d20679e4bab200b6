"""Resolution and after: 办结 (`case_resolve`), 现场办结 (`case_resolve_on_spot`), 回访
(`case_follow_up`), 重启 (`case_reopen`) and 归档 (`case_archive`)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.accounts.scopes import sees_everything
from yimen.common.errors import InvalidInput, PermissionDenied

from .. import deadlines, triage_link
from ..models import AssignmentPart, AssignmentStatus, Case, DomainClass, EventKind, FollowUp, Outcome, Satisfaction, Status, Step
from ..rules import MOVES, Action
from ._core import (
    ASSIGNMENT_NEEDED,
    _begin,
    _cancel_assignment,
    _choice,
    _Context,
    _event,
    _notify,
    _require_text,
    _set_status,
    _user,
)


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


def _finish_resolution(ctx: _Context, outcome: str, result: str, *, on_spot: bool, fields=(), **payload) -> Case:
    previous = ctx.case.status
    ctx.case.outcome = outcome
    ctx.case.result = result
    ctx.case.resolved_at = ctx.now
    ctx.case.resolved_on_spot = on_spot
    deadlines.close_deadlines(case=ctx.case, now=ctx.now, steps=[Step.HANDLE, Step.PETITION_DECIDE])
    ctx.case.overdue = False
    _set_status(ctx, ctx.target, "outcome", "result", "resolved_at", "resolved_on_spot", "overdue", "resolved_within_limit", *fields)
    deadlines.open_deadline(case=ctx.case, step=Step.FOLLOW_UP, starts_at=ctx.now)
    _event(ctx, EventKind.RESOLVED, from_status=previous, reason=result, outcome=outcome, on_spot=on_spot, **payload)
    _notify(ctx, "case_resolved", _l("事项已办结，请安排回访"), centre=ctx.case.owning_centre)
    return ctx.case


def case_resolve_on_spot(*, actor, case: Case, outcome: str, result: str, expected_status: str | None = None) -> Case:
    """现场办结: answered at the window (a consultation, an explanation) without dispatch.

    No dispatcher grades such a matter, so it keeps the category the clerk chose at the window or,
    when the clerk left it open, takes the one the engine proposed at intake: answered on the spot,
    it still counts by category in the ledger and the figures. Likewise an ungraded risk takes the
    engine's proposal — a closed matter is never left 待研判, waiting for a grading no one will do.
    """
    with transaction.atomic():
        ctx = _begin(Action.RESOLVE_ON_SPOT, actor=actor, case=case, expected_status=expected_status)
        _choice(outcome, Outcome, "outcome", _("办理结果"))
        result = _require_text(result, "result", _("办理情况"))
        fields, payload = _grades_given(ctx)
        return _finish_resolution(ctx, outcome, result, on_spot=True, fields=fields, **payload)


def _grades_given(ctx: _Context) -> tuple[tuple[str, ...], dict]:
    """What the engine proposed fills what the clerk left open: an unclassified matter takes the
    proposed category (and domain), an ungraded one the proposed risk. Returns the fields to save and
    what the `resolved` event says; what the clerk chose is kept, and with no proposal nothing changes."""
    fields: list[str] = []
    payload: dict = {}
    if ctx.case.category_id is None:
        category, domain_class = triage_link.suggested_category(ctx.case)
        if category is not None:
            ctx.case.category = category
            ctx.case.domain_class = domain_class if domain_class in DomainClass.values else category.domain_class
            fields += ["category", "domain_class"]
            payload["category"] = category.name
    if not ctx.case.risk and ctx.case.suggested_risk:
        ctx.case.risk = ctx.case.suggested_risk
        fields.append("risk")
        payload["risk"] = ctx.case.risk
    if fields:
        payload["accepted_suggestion"] = True
    return tuple(fields), payload


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
