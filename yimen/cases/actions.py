"""The registry of actions: for every move a matter can make, its name and wording (rules.Action),
its input shape (a pydantic body), and the one service it calls. The API (POST
/cases/{number}/actions/{action}) and the workbench's forms are both derived from it: adding a move is
a row in rules.MOVES, a service in transitions, a body schema and a row in _CALLS here — nothing to
extend by hand in api/ or web/.

The API takes the bodies as its request schemas and OpenAPI. The workbench (web/forms/actions.py
`derive_form`) reads each body's `model_fields` and makes its form: the same field names, required
fields, lengths and bounds, an enum's choices with their Chinese labels; a field's `description` is
its label there when cases/labels.py has none. So a body's shape is written once, here.

Only shape lives in the schemas (types, lengths, required fields, allowed values); each call loads what
the body names (units, category) and leaves every rule to the service.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import Field, field_validator

from yimen.common.errors import InvalidInput, NotFound
from yimen.common.inputs import LONG_TEXT, In, LongText, enum_field
from yimen.common.words import choices_text, join_list
from yimen.regions.models import Unit

from . import transitions as t
from .models import (
    Category,
    DomainClass,
    Outcome,
    ReferralTarget,
    Risk,
    Satisfaction,
    Status,
    Urgency,
)
from .rules import MOVES, RESIDENT_ONLY_ACTIONS, Action
from .selectors import category_active_by_code

# ---------------------------------------------------------------------------------------------
# Moves: one body schema per action


def _text(label: str, *, required: bool = True, max_length: int = 5000):
    return Field(... if required else "", max_length=max_length, description=label)


def _opt_id(label: str):
    return Field(None, ge=1, description=label)


class ActionIn(In):
    """Base of every action's body: the optional status the client last saw."""

    expected_status: Annotated[
        Status | None, enum_field(Status, "可选：您看到的事项状态；若事项已被他人改为其他状态，返回409 stale_status 及当前状态")
    ] = None


class TriageIn(ActionIn):
    category: str | None = Field(None, max_length=40, description="纠纷类别代码")
    urgency: Annotated[Urgency | None, enum_field(Urgency)] = None
    risk: Annotated[Risk | None, enum_field(Risk, "红色须填 risk_reason")] = None
    domain_class: Annotated[DomainClass | None, enum_field(DomainClass)] = None
    risk_reason: LongText = _text("风险研判理由", required=False)
    request_type: str | None = Field(
        None, max_length=16, description="诉求类型代码：consult 咨询、help 求助、complaint 投诉、report 举报、suggestion 建议、dispute 纠纷（以管理后台配置为准）"
    )
    accept_suggestion: bool = Field(
        False, description="true 时，未填写的类别、紧急程度、风险等级、领域和（事项尚无的）诉求类型采用登记时的系统研判建议（见详情 triage）"
    )


def _tasks_within(tasks: dict[int, str], units: set) -> dict[int, str]:
    """Tasks are keyed by unit id; every key must be one of the units being sent (fields are
    validated in order, so the units are known when tasks is checked)."""
    strays = sorted(set(tasks) - units)
    if strays:
        raise ValueError(_("单位编号%(ids)s不在本次派出的单位之中") % {"ids": join_list(strays)})
    return tasks


class DispatchIn(ActionIn):
    lead_unit: int = Field(ge=1, description="牵头单位编号")
    assist_units: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=30, description="协办单位编号")
    tasks: Annotated[dict[int, Annotated[str, Field(max_length=300)]], LONG_TEXT] = Field(
        default_factory=dict, description="各单位的任务，键为单位编号"
    )
    reason: LongText = _text("派单说明", required=False)
    limit_reason: str = _text("承办期限晚于事项期限的理由", required=False, max_length=300)

    @field_validator("tasks")
    @classmethod
    def _tasks_for_dispatched_units(cls, tasks, info):
        return _tasks_within(tasks, {info.data.get("lead_unit"), *info.data.get("assist_units", ())})


class AcceptIn(ActionIn):
    assignment_id: int | None = _opt_id("派单编号；留空为本单位待签收的派单")


class ReturnIn(ActionIn):
    reason: LongText = _text("退单理由")
    assignment_id: int | None = _opt_id("派单编号；留空为本单位的派单")


class RecordProgressIn(ActionIn):
    note: LongText = _text("办理情况")
    kind: str = Field("handling", max_length=20, description="handling=办理, mediation=调解")
    details: Annotated[dict[str, Any], LONG_TEXT] = Field(default_factory=dict, description="调解时间、地点、方式等")


class ResolveIn(ActionIn):
    outcome: Annotated[Outcome, enum_field(Outcome, "办理结果")]
    result: LongText = _text("办理情况")


class FollowUpIn(ActionIn):
    satisfaction: Annotated[Satisfaction, enum_field(Satisfaction, "满意度；不满意将自动重启")]
    comment: LongText = _text("群众意见（不满意时必填）", required=False)
    method: str = Field("phone", max_length=20, description="回访方式：phone, visit, sms …")


class ArchiveIn(ActionIn):
    note: LongText = _text("归档说明", required=False)


class ReasonIn(ActionIn):
    reason: LongText = _text("理由")


class RequestExtensionIn(ActionIn):
    amount: int = Field(ge=1, le=365, description="延长数量，单位同该派单办理期限（通常为工作日）")
    reason: LongText = _text("延期理由")
    assignment_id: int | None = _opt_id("派单编号；留空为本单位的派单")


class ApproveExtensionIn(ActionIn):
    reason: LongText = _text("审批意见", required=False)
    extension_id: int | None = _opt_id("延期申请编号；留空为最早的待审批申请")


class RefuseExtensionIn(ActionIn):
    reason: LongText = _text("驳回理由")
    extension_id: int | None = _opt_id("延期申请编号；留空为最早的待审批申请")


class SuperviseIn(ActionIn):
    content: LongText = _text("督办要求")
    unit: int | None = _opt_id("被督办单位编号；留空为牵头单位")


class AnswerSupervisionIn(ActionIn):
    answer: LongText = _text("督办回复")
    order_id: int | None = _opt_id("督办单编号；留空为本单位待回复的督办单")


class ConveneJointIn(ActionIn):
    lead_unit: int = Field(ge=1, description="牵头单位编号")
    units: list[Annotated[int, Field(ge=1)]] = Field(min_length=1, max_length=30, description="参与单位编号（牵头单位之外至少一个）")
    reason: LongText = _text("会商事由")
    tasks: Annotated[dict[int, Annotated[str, Field(max_length=300)]], LONG_TEXT] = Field(default_factory=dict, description="各单位的任务")

    @field_validator("tasks")
    @classmethod
    def _tasks_for_convened_units(cls, tasks, info):
        return _tasks_within(tasks, {info.data.get("lead_unit"), *info.data.get("units", ())})


class ReferOutIn(ActionIn):
    target: Annotated[ReferralTarget, enum_field(ReferralTarget, "转出去向")]
    reason: LongText = _text("转出理由")


class NotAcceptIn(ActionIn):
    reason: LongText = _text("不予受理理由")
    where_to_go: LongText = _text("告知去向（应向哪里反映）", max_length=300)


ACTION_SCHEMAS: dict[str, type[ActionIn]] = {
    Action.TRIAGE: TriageIn,
    Action.DISPATCH: DispatchIn,
    Action.ACCEPT: AcceptIn,
    Action.RETURN: ReturnIn,
    Action.RECORD_PROGRESS: RecordProgressIn,
    Action.RESOLVE: ResolveIn,
    Action.RESOLVE_ON_SPOT: ResolveIn,
    Action.FOLLOW_UP: FollowUpIn,
    Action.ARCHIVE: ArchiveIn,
    Action.ESCALATE: ReasonIn,
    Action.REQUEST_EXTENSION: RequestExtensionIn,
    Action.APPROVE_EXTENSION: ApproveExtensionIn,
    Action.REFUSE_EXTENSION: RefuseExtensionIn,
    Action.SUPERVISE: SuperviseIn,
    Action.ANSWER_SUPERVISION: AnswerSupervisionIn,
    Action.CONVENE_JOINT: ConveneJointIn,
    Action.REFER_OUT: ReferOutIn,
    Action.NOT_ACCEPT: NotAcceptIn,
    Action.WITHDRAW: ReasonIn,
    Action.REOPEN: ReasonIn,
}


# ---------------------------------------------------------------------------------------------
# Loading what ids and codes name


def category_by_code(code: str | None, *, field: str = "category") -> Category | None:
    if not code:
        return None
    category = category_active_by_code(code)
    if category is None:
        raise InvalidInput(_("纠纷类别“%(code)s”不存在或已停用。") % {"code": code}, field=field)
    return category


def units_by_id(ids: list[int], *, field: str) -> list[Unit]:
    """The units in the order given; any id that names no unit is a 400 on `field`."""
    found = Unit.objects.select_related("region").in_bulk(list(ids))
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            _("单位编号%(ids)s不存在。") % {"ids": join_list(missing)}, field=field
        )
    return [found[i] for i in ids]


def unit_by_id(unit_id: int | None, *, field: str) -> Unit | None:
    return units_by_id([unit_id], field=field)[0] if unit_id is not None else None


# ---------------------------------------------------------------------------------------------
# The registry


# The API is a door for staff and other systems; a resident's own moves are on the residents' pages.
STAFF_ACTIONS = [action for action in Action if action not in RESIDENT_ONLY_ACTIONS]


@dataclass(frozen=True)
class ActionSpec:
    action: str
    schema: type[ActionIn]
    service: Callable  # one service in yimen.cases.transitions
    arguments: Callable  # body -> the service's own keyword arguments (loads the units, category … it names)

    def call(self, actor, case, body) -> None:
        """Run the service; `expected_status` (if the body has it) makes it refuse a matter moved since."""
        self.service(actor=actor, case=case, expected_status=_v(body.expected_status), **self.arguments(body))


def _v(choice) -> str:
    return choice.value if choice is not None else ""


def _triage(b: TriageIn) -> dict:
    return dict(
        category=category_by_code(b.category), urgency=_v(b.urgency), risk=_v(b.risk), domain_class=_v(b.domain_class),
        risk_reason=b.risk_reason, accept_suggestion=b.accept_suggestion, request_type=b.request_type or "",
    )


def _dispatch(b: DispatchIn) -> dict:
    return dict(
        lead_unit=unit_by_id(b.lead_unit, field="lead_unit"), assist_units=units_by_id(b.assist_units, field="assist_units"),
        tasks=dict(b.tasks), reason=b.reason, limit_reason=b.limit_reason,
    )


def _convene_joint(b: ConveneJointIn) -> dict:
    return dict(
        lead_unit=unit_by_id(b.lead_unit, field="lead_unit"), units=units_by_id(b.units, field="units"), reason=b.reason,
        tasks=dict(b.tasks),
    )


def _reason(b) -> dict:
    return dict(reason=b.reason)


def _resolution(b: ResolveIn) -> dict:
    return dict(outcome=b.outcome.value, result=b.result)


def _extension_decision(approve: bool):
    return lambda b: dict(approve=approve, reason=b.reason, extension_id=b.extension_id)


# action -> (service, the service's arguments from the body)
_CALLS: dict[str, tuple[Callable, Callable]] = {
    Action.TRIAGE: (t.case_triage, _triage),
    Action.DISPATCH: (t.case_dispatch, _dispatch),
    Action.ACCEPT: (t.assignment_accept, lambda b: dict(assignment_id=b.assignment_id)),
    Action.RETURN: (t.assignment_return, lambda b: dict(reason=b.reason, assignment_id=b.assignment_id)),
    Action.RECORD_PROGRESS: (t.case_record_progress, lambda b: dict(note=b.note, kind=b.kind, details=b.details)),
    Action.RESOLVE: (t.case_resolve, _resolution),
    Action.RESOLVE_ON_SPOT: (t.case_resolve_on_spot, _resolution),
    Action.FOLLOW_UP: (
        t.case_follow_up, lambda b: dict(satisfaction=b.satisfaction.value, comment=b.comment, method=b.method)
    ),
    Action.ARCHIVE: (t.case_archive, lambda b: dict(note=b.note)),
    Action.ESCALATE: (t.case_escalate, _reason),
    Action.REQUEST_EXTENSION: (
        t.extension_request, lambda b: dict(amount=b.amount, reason=b.reason, assignment_id=b.assignment_id)
    ),
    Action.APPROVE_EXTENSION: (t.extension_decide, _extension_decision(True)),
    Action.REFUSE_EXTENSION: (t.extension_decide, _extension_decision(False)),
    Action.SUPERVISE: (t.supervision_issue, lambda b: dict(content=b.content, unit=unit_by_id(b.unit, field="unit"))),
    Action.ANSWER_SUPERVISION: (t.supervision_answer, lambda b: dict(answer=b.answer, order_id=b.order_id)),
    Action.CONVENE_JOINT: (t.case_convene_joint, _convene_joint),
    Action.REFER_OUT: (t.case_refer_out, lambda b: dict(target=b.target.value, reason=b.reason)),
    Action.NOT_ACCEPT: (t.case_not_accept, lambda b: dict(reason=b.reason, where_to_go=b.where_to_go)),
    Action.WITHDRAW: (t.case_withdraw, _reason),
    Action.REOPEN: (t.case_reopen, _reason),
}

ACTIONS: dict[str, ActionSpec] = {
    str(action): ActionSpec(str(action), ACTION_SCHEMAS[action], *_CALLS[action]) for action in STAFF_ACTIONS
}
assert set(ACTIONS) == set(MOVES) - RESIDENT_ONLY_ACTIONS, "every staff move in rules.MOVES needs a body schema and an adapter"


def action_spec(name: str) -> ActionSpec:
    spec = ACTIONS.get(name)
    if spec is None:
        valid = choices_text((a.value, a.label) for a in STAFF_ACTIONS)
        raise NotFound(
            _("未知的操作“%(name)s”。可用的操作：%(valid)s。") % {"name": name, "valid": valid},
            code="unknown_action", field="action", valid_actions=list(ACTIONS),
        )
    return spec
