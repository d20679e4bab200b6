"""A matter as its resident sees it: plain words, no staff names, no internal notes.

The staff timeline (cases.presenting) shows every event with its reason. A resident sees the steps
that concern them: received, who handles it and by when, what was done, the result; internal
remarks (return reasons, handling notes, supervision orders) stay inside, since they may name other
people. Pure functions over rows the page already loaded: two queries in all.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.accounts.scopes import RESIDENT_ROLES
from yimen.cases.deadlines import due_label
from yimen.cases.models import (
    LIVE_ASSIGNMENT_STATUSES,
    AssignmentPart,
    EventKind,
    Outcome,
    ReferralTarget,
    Satisfaction,
    Status,
)
from yimen.cases.presenting import RESIDENT_RATING_METHOD
from yimen.cases.rules import Action, is_allowed
from yimen.common.words import join_list


_STATUS_WORDS = {
    Status.REGISTERED: _l("已收到，正在安排办理单位"),
    Status.PENDING_DISPATCH: _l("已收到，正在安排办理单位"),
    Status.RETURNED: _l("正在重新安排办理单位"),
    Status.DISPATCHED: _l("已交办，等待办理单位接手"),
    Status.IN_PROGRESS: _l("正在办理"),
    Status.RESOLVED: _l("已办结，请您评价"),
    Status.FOLLOWED_UP: _l("已办结"),
    Status.ARCHIVED: _l("已办结"),
    Status.NOT_ACCEPTED: _l("不予受理"),
    Status.WITHDRAWN: _l("已撤回"),
    Status.REFERRED_OUT: _l("已转到其他渠道"),
}

# The staff labels of outcomes are for the ledger; "解释说明(诉求不合理)" reads as a verdict on the
# person, so a resident is told what was done instead.
_OUTCOME_WORDS = {
    Outcome.AGREEMENT: _l("调解成功"),
    Outcome.RESOLVED: _l("问题已解决"),
    Outcome.EXPLAINED: _l("已向您答复说明"),
    Outcome.NOT_RESOLVED: _l("未能化解"),
}


def resident_status_words(status: str) -> str:
    """A status as a resident reads it ("正在办理"), for the page's badge and the phone's list."""
    return str(_STATUS_WORDS.get(status, ""))


@dataclass
class ResidentStep:
    when: dt.datetime
    title: str
    text: str = ""


@dataclass
class ResidentCaseView:
    number: str
    status: str
    status_words: str
    centre: str
    received_at: dt.datetime
    description: str
    request: str
    handlers: list[str]
    due: str
    result: str
    satisfaction: str
    steps: list[ResidentStep] = field(default_factory=list)
    can_supplement: bool = False
    can_withdraw: bool = False
    can_rate: bool = False
    due_provisional: bool = False


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


def _step(event) -> ResidentStep | None:
    p, kind = event.payload or {}, event.kind
    if kind == EventKind.REGISTERED:
        return ResidentStep(event.created_at, _("已收到您的反映"), p.get("centre", ""))
    if kind in (EventKind.DISPATCHED, EventKind.JOINT_CONVENED):
        units = [p.get("lead_unit", "")] + list(p.get("assist_units") or [])
        return ResidentStep(event.created_at, _("已交给办理单位"), join_list(u for u in units if u))
    if kind == EventKind.ACCEPTED:
        return ResidentStep(event.created_at, _("办理单位已接手"), p.get("unit", ""))
    if kind == EventKind.RETURNED:
        if p.get("part") == AssignmentPart.ASSIST:  # the lead goes on; only the helpers changed
            return ResidentStep(event.created_at, _("协办单位有调整"))
        return ResidentStep(event.created_at, _("正在重新安排办理单位"))
    if kind == EventKind.PROGRESS_RECORDED:
        return ResidentStep(event.created_at, _("有新的办理进展"), p.get("unit", ""))
    if kind == EventKind.ESCALATED:
        return ResidentStep(event.created_at, _("已提交上级中心协调"), p.get("to_centre", ""))
    if kind == EventKind.EXTENSION_APPROVED:
        return ResidentStep(event.created_at, _("办理期限已延长"))
    if kind == EventKind.SUPERVISED:
        return ResidentStep(event.created_at, _("上级已督促加快办理"))
    if kind in (EventKind.RESOLVED, EventKind.NOT_ACCEPTED, EventKind.WITHDRAWN, EventKind.REFERRED_OUT):
        return _closing_step(event, p)
    if kind == EventKind.FOLLOWED_UP:
        return _rating_step(event, p)
    if kind == EventKind.REOPENED:
        return ResidentStep(event.created_at, _("重新办理"))
    if kind == EventKind.SUPPLEMENTED:
        files = join_list(p.get("files") or [])
        return ResidentStep(event.created_at, _("您补充了材料"), _("；").join(x for x in (event.reason, files) if x))
    return None  # triage, deadlines, extension requests, supervision answers: internal


def _rating_step(event, p) -> ResidentStep:
    text = _label(Satisfaction, p.get("satisfaction"))
    if p.get("method") == RESIDENT_RATING_METHOD:
        shown = _("%(rating)s：%(comment)s") % {"rating": text, "comment": event.reason} if event.reason else text
        return ResidentStep(event.created_at, _("您的评价"), shown)
    # A staff follow-up's comment is the caller's own note of the call: it stays inside.
    return ResidentStep(event.created_at, _("中心已回访"), text)


def _closing_step(event, p) -> ResidentStep:
    kind = event.kind
    if kind == EventKind.RESOLVED:
        words = _OUTCOME_WORDS.get(p.get("outcome"))
        title = _("已办结（%(outcome)s）") % {"outcome": words} if words else _("已办结")
        return ResidentStep(event.created_at, title, event.reason)
    if kind == EventKind.NOT_ACCEPTED:
        reason = (event.reason or "").rstrip("。.；; ")
        where = p.get("where_to_go", "")
        # Where to go as the clerk wrote it: wrapping it ("请向…反映。") mangled "请持合同到…申请仲裁".
        return ResidentStep(event.created_at, _("不予受理"), _("%(reason)s。告知去向：%(where)s") % {"reason": reason, "where": where})
    if kind == EventKind.REFERRED_OUT:
        return ResidentStep(event.created_at, _("已引导至%(target)s") % {"target": _label(ReferralTarget, p.get("target"))}, event.reason)
    return ResidentStep(event.created_at, _("已撤回"), event.reason)


def resident_case_view(case, events, assignments) -> ResidentCaseView:
    """`events` in time order and `assignments` with their units, as loaded by the page's selector."""
    live = [a for a in assignments if a.status in LIVE_ASSIGNMENT_STATUSES]
    live.sort(key=lambda a: a.part != AssignmentPart.LEAD)
    handlers = [_("%(unit)s（%(part)s）") % {"unit": a.unit.name, "part": a.get_part_display()} for a in live]
    due = due_label(case.due_at, case.due_provisional) if case.due_at and case.is_open else ""
    steps = [step for step in (_step(e) for e in events) if step is not None]
    return ResidentCaseView(
        number=case.number,
        status=case.status,
        status_words=resident_status_words(case.status),
        centre=case.owning_centre.name,
        received_at=case.received_at,
        description=case.description,
        request=case.request,
        handlers=handlers,
        due=due,
        result=case.result if case.status in (Status.RESOLVED, Status.FOLLOWED_UP, Status.ARCHIVED, Status.NOT_ACCEPTED) else "",
        satisfaction=_label(Satisfaction, case.satisfaction) if case.satisfaction else "",
        steps=steps,
        can_supplement=is_allowed(Action.SUPPLEMENT, case.status, RESIDENT_ROLES),
        can_withdraw=is_allowed(Action.WITHDRAW, case.status, RESIDENT_ROLES),
        can_rate=is_allowed(Action.FOLLOW_UP, case.status, RESIDENT_ROLES),
        due_provisional=bool(due) and case.due_provisional,
    )
