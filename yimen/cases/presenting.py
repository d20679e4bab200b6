"""A matter's events in plain Chinese: the one wording of the timeline, for the workbench, the API
and printed documents alike.

Pure functions over a CaseEvent (or anything with its fields): no query, so a page with a hundred
events costs nothing more than the prefetch that loaded them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.words import join_list

from .models import (
    AssignmentPart,
    Channel,
    EventKind,
    LimitUnit,
    Outcome,
    ReferralTarget,
    Risk,
    Satisfaction,
    Status,
    Step,
    Urgency,
)
from .validators import MEDIATION_FIELDS, MediationMethod, RecordKind

FOLLOW_UP_METHODS = {"phone": _l("电话"), "visit": _l("上门"), "sms": _l("短信"), "on_site": _l("现场"), "wechat": _l("微信")}
# A resident rating the result on the residents' pages: a follow-up not made by staff.
RESIDENT_RATING_METHOD = "resident"
_METHOD_LABELS = {**FOLLOW_UP_METHODS, RESIDENT_RATING_METHOD: _l("群众网上评价")}


@dataclass
class EventView:
    kind: str
    kind_label: str
    actor_label: str
    created_at: dt.datetime
    from_status_label: str
    to_status_label: str
    reason: str
    reason_label: str
    details: list[tuple[str, str]] = field(default_factory=list)
    count: int = 1  # a run of repeated warnings shown as one entry ("临期预警 ×5")

    @property
    def status_changed(self) -> bool:
        return bool(self.to_status_label) and self.from_status_label != self.to_status_label


def _label(choices, value) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


# ---------------------------------------------------------------------------------------------
# A matter's risk colour: graded, or 待研判 with the engine's proposal marked as provisional

UNGRADED = _l("待研判")


def risk_suggestion_text(suggested_risk: str) -> str:
    """The provisional badge of an ungraded matter ("系统建议：红色"); "" without a proposal."""
    return _("系统建议：%(risk)s") % {"risk": _label(Risk, suggested_risk)} if suggested_risk else ""


def urgency_suggestion_text(case) -> str:
    """Before triage, the engine's urgency when it differs from the registered one ("系统建议：急难事·马上办")."""
    proposed = case.suggested_urgency
    if case.status != Status.REGISTERED or not proposed or proposed == case.urgency:
        return ""
    return _("系统建议：%(urgency)s") % {"urgency": _label(Urgency, proposed)}


def risk_text(risk: str, suggested_risk: str = "") -> str:
    """One line for a risk cell (ledger, plain text): the colour, or 待研判 and the proposal beside it."""
    if risk:
        return _label(Risk, risk)
    suggestion = risk_suggestion_text(suggested_risk)
    return f"{UNGRADED}（{suggestion}）" if suggestion else str(UNGRADED)


def _yes(value) -> str:
    return _("是") if value else _("否")


def _when(value) -> str:
    from .deadlines import due_label

    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return due_label(moment)


def _units(value) -> str:
    return join_list(value) if isinstance(value, (list, tuple)) else str(value)


# What the reason of each kind of event is called.
_REASON_LABELS = {
    EventKind.TRIAGED: _l("研判理由"),
    EventKind.DISPATCHED: _l("派单说明"),
    EventKind.RETURNED: _l("退单理由"),
    EventKind.PROGRESS_RECORDED: _l("办理情况"),
    EventKind.RESOLVED: _l("办理情况"),
    EventKind.FOLLOWED_UP: _l("群众意见"),
    EventKind.ARCHIVED: _l("归档说明"),
    EventKind.ESCALATED: _l("提级理由"),
    EventKind.EXTENSION_REQUESTED: _l("延期理由"),
    EventKind.EXTENSION_APPROVED: _l("审批意见"),
    EventKind.EXTENSION_REFUSED: _l("驳回理由"),
    EventKind.SUPERVISED: _l("督办要求"),
    EventKind.SUPERVISION_ANSWERED: _l("督办回复"),
    EventKind.JOINT_CONVENED: _l("会商事由"),
    EventKind.REFERRED_OUT: _l("转出理由"),
    EventKind.NOT_ACCEPTED: _l("不予受理理由"),
    EventKind.WITHDRAWN: _l("撤回理由"),
    EventKind.REOPENED: _l("重启理由"),
    EventKind.SUPPLEMENTED: _l("补充内容"),
}


def _mediation_details(details: dict) -> list[tuple[str, str]]:
    rows = []
    for name, label in MEDIATION_FIELDS.items():
        value = details.get(name)
        if value in (None, ""):
            continue
        if name == "method":
            value = _label(MediationMethod, value)
        rows.append((str(label), str(value)))
    return rows


def _progress(payload: dict) -> list[tuple[str, str]]:
    rows = [(_("承办单位"), payload.get("unit", ""))]
    kind = payload.get("record_kind") or RecordKind.HANDLING
    rows.append((_("记录类型"), _label(RecordKind, kind)))
    details = payload.get("details") or {}
    if kind == RecordKind.MEDIATION:
        rows += _mediation_details(details)
    else:
        rows += [(str(k), str(v)) for k, v in details.items() if v not in (None, "")]
    return rows


def _extension(payload: dict) -> list[tuple[str, str]]:
    rows = []
    if payload.get("assignment_unit"):
        rows.append((_("申请单位"), payload["assignment_unit"]))
    if payload.get("amount"):
        rows.append((_("延长"), _("%(amount)s%(unit)s") % {"amount": payload["amount"], "unit": _label(LimitUnit, payload.get("unit", ""))}))
    if payload.get("new_due_at"):
        rows.append((_("新的办理期限"), _when(payload["new_due_at"])))
    return rows


# payload key → (label, how to show the value), for the keys whose meaning is the same in every event.
_COMMON = {
    "channel": (_l("来源渠道"), lambda v: _label(Channel, v)),
    "centre": (_l("受理中心"), str),
    "suggested_risk": (_l("系统建议风险等级"), lambda v: _label(Risk, v)),
    "repeats": (_l("疑似重复来访/重复事项"), lambda v: _("%(n)s件") % {"n": v} if v else ""),
    "category": (_l("类别"), str),
    "urgency": (_l("紧急程度"), lambda v: _label(Urgency, v)),
    "risk": (_l("风险等级"), lambda v: _label(Risk, v)),
    "accepted_suggestion": (_l("采纳系统建议"), _yes),
    "lead_unit": (_l("牵头单位"), str),
    "assist_units": (_l("协办单位"), _units),
    "unit": (_l("单位"), str),
    "part": (_l("角色"), lambda v: _label(AssignmentPart, v)),
    "outcome": (_l("办理结果"), lambda v: _label(Outcome, v)),
    "on_spot": (_l("现场办结"), lambda v: _("是") if v else ""),
    "satisfaction": (_l("满意度"), lambda v: _label(Satisfaction, v)),
    "method": (_l("回访方式"), lambda v: str(_METHOD_LABELS.get(v, v))),
    "from_centre": (_l("原主办中心"), str),
    "to_centre": (_l("提级至"), str),
    "target": (_l("转出去向"), lambda v: _label(ReferralTarget, v)),
    "where_to_go": (_l("告知去向"), str),
    "step": (_l("环节"), lambda v: _label(Step, v)),
    "due_at": (_l("期限"), _when),
    "unit_limit": (_l("承办期限"), str),
    "files": (_l("上传文件"), _units),
}


def event_details(kind: str, payload: dict) -> list[tuple[str, str]]:
    """(label, text) rows of what an event's payload says, in Chinese; internal ids left out."""
    payload = payload or {}
    if kind == EventKind.PROGRESS_RECORDED:
        return _progress(payload)
    if kind in (EventKind.EXTENSION_REQUESTED, EventKind.EXTENSION_APPROVED, EventKind.EXTENSION_REFUSED):
        return _extension(payload)
    if kind == EventKind.DEADLINES_RECOMPUTED:
        return []  # the reason already says which limit moved from when to when
    rows = []
    for key, (label, show) in _COMMON.items():
        if key in payload and payload[key] not in (None, "", []):
            text = show(payload[key])
            if text:
                rows.append((str(label), str(text)))
    if payload.get("suggestion_agreed") is not None:
        rows.append((_("与系统建议一致"), _yes(payload["suggestion_agreed"])))
    return rows


def event_view(event, unit_names: dict | None = None) -> EventView:
    """One timeline entry: who, when, what, from which status to which, why, and the details.

    A limit's warning or overrun names the unit whose limit it is (`unit_names`: unit id → name).
    """
    details = event_details(event.kind, event.payload)
    unit = (unit_names or {}).get((event.payload or {}).get("unit_id"))
    if unit and event.kind in _LIMIT_EVENTS:
        details.insert(0, (_("单位"), unit))
    return EventView(
        kind=event.kind,
        kind_label=_label(EventKind, event.kind),
        actor_label=event.actor_label or _("系统"),
        created_at=event.created_at,
        from_status_label=_label(Status, event.from_status),
        to_status_label=_label(Status, event.to_status),
        reason=event.reason,
        reason_label=str(_REASON_LABELS.get(event.kind, _l("说明"))),
        details=details,
    )


_LIMIT_EVENTS = frozenset({EventKind.DEADLINE_WARNED, EventKind.DEADLINE_OVERDUE})


def timeline(events, *, unit_names: dict | None = None) -> list[EventView]:
    """The entries in order; a run of consecutive warnings folds into one ("临期预警 ×5") that keeps
    each warning's unit and text as a detail row, so a long-running matter's timeline stays readable."""
    views: list[EventView] = []
    for event in events:
        view = event_view(event, unit_names)
        last = views[-1] if views else None
        if last is not None and view.kind == last.kind == EventKind.DEADLINE_WARNED:
            if last.count == 1:
                last.details = [_warning_row(last)]
            last.count += 1
            last.details.append(_warning_row(view))
            last.kind_label = _("%(kind)s ×%(n)d") % {"kind": _label(EventKind, view.kind), "n": last.count}
            last.reason = ""
            continue
        views.append(view)
    return views


def _warning_row(view: EventView) -> tuple[str, str]:
    unit = dict(view.details).get(_("单位"), "")
    when = timezone.localtime(view.created_at).strftime("%m-%d %H:%M")
    return (f"{when} {unit}".strip(), view.reason)
