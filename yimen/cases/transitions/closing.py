"""Leaving the loop early — 转出 (`case_refer_out`), 不予受理 (`case_not_accept`), 撤回
(`case_withdraw`) — and the resident's 补充材料 (`case_supplement`)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.errors import InvalidInput
from yimen.common.words import in_default_language

from .. import deadlines
from ..models import Case, EventKind, ReferralTarget
from ..rules import Action
from ._core import _begin, _cancel_assignment, _choice, _Context, _event, _notify, _require_text, _set_status


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
    from ..intake import attachment_add

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
