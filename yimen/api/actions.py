"""POST /cases/{number}/actions/{action}: each action's body schema and the service it calls.

Each adapter loads what the body names (units, category) and calls ONE service in
yimen.cases.transitions; the service decides whether the move is allowed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import WithJsonSchema

from yimen.cases import transitions as t
from yimen.cases.rules import MOVES, RESIDENT_ONLY_ACTIONS, Action
from yimen.common.errors import NotFound
from yimen.common.words import choices_text

from . import schemas as s
from .parsing import category_by_code, unit_by_id, units_by_id

# The API is a door for staff and other systems; a resident's own moves are on the residents' pages.
STAFF_ACTIONS = [action for action in Action if action not in RESIDENT_ONLY_ACTIONS]


@dataclass(frozen=True)
class ActionSpec:
    action: str
    schema: type[s.ActionIn]
    service: Callable  # one service in yimen.cases.transitions
    arguments: Callable  # body -> the service's own keyword arguments (loads the units, category … it names)

    def call(self, actor, case, body) -> None:
        """Run the service; `expected_status` (if the body has it) makes it refuse a matter moved since."""
        self.service(actor=actor, case=case, expected_status=_v(body.expected_status), **self.arguments(body))


def _v(choice) -> str:
    return choice.value if choice is not None else ""


def _triage(b: s.TriageIn) -> dict:
    return dict(
        category=category_by_code(b.category), urgency=_v(b.urgency), risk=_v(b.risk), domain_class=_v(b.domain_class),
        risk_reason=b.risk_reason, accept_suggestion=b.accept_suggestion,
    )


def _dispatch(b: s.DispatchIn) -> dict:
    return dict(
        lead_unit=unit_by_id(b.lead_unit, field="lead_unit"), assist_units=units_by_id(b.assist_units, field="assist_units"),
        tasks=dict(b.tasks), reason=b.reason,
    )


def _convene_joint(b: s.ConveneJointIn) -> dict:
    return dict(
        lead_unit=unit_by_id(b.lead_unit, field="lead_unit"), units=units_by_id(b.units, field="units"), reason=b.reason,
        tasks=dict(b.tasks),
    )


def _reason(b) -> dict:
    return dict(reason=b.reason)


def _resolution(b: s.ResolveIn) -> dict:
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
    str(action): ActionSpec(str(action), s.ACTION_SCHEMAS[action], *_CALLS[action]) for action in STAFF_ACTIONS
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


# ---------------------------------------------------------------------------------------------
# OpenAPI: the one endpoint documents every action's body


def _actions_for(schema) -> list[Action]:
    return [a for a in STAFF_ACTIONS if s.ACTION_SCHEMAS[a] is schema]


def body_components() -> dict:
    """JSON schemas of the bodies the doors parse themselves, for components.schemas."""
    components = {}
    for schema in dict.fromkeys([*s.ACTION_SCHEMAS.values(), s.CaseIn, s.RevealIn]):
        js = schema.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(js.pop("$defs", {}))
        if _actions_for(schema):
            js["title"] = "、".join(f"{a.value}（{a.label}）" for a in _actions_for(schema))
        components[schema.__name__] = js
    return components


def _fields(schema) -> str:
    parts = []
    for name, info in schema.model_fields.items():
        parts.append(f"`{name}`" + ("" if info.is_required() else "?"))
    return ", ".join(parts) or "—"


def actions_description() -> str:
    from yimen.accounts.models import Role
    from yimen.cases.models import Status

    lines = [
        "对事项执行一步操作（闭环中的一步）。请求体按操作不同而不同，见下表与请求体的 oneOf；字段后带 ? 为可选。",
        "成功时返回更新后的事项详情（与 GET /cases/{number} 相同）。",
        "",
        "| 操作 action | 名称 | 可执行角色 | 可从哪些状态执行 | 字段 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for action in STAFF_ACTIONS:
        move = MOVES[action]
        roles = "、".join(str(r.label) for r in Role if r in move.roles)
        sources = "、".join(str(x.label) for x in Status if x in move.sources)
        lines.append(f"| `{action.value}` | {action.label} | {roles} | {sources} | {_fields(s.ACTION_SCHEMAS[action])} |")
    return "\n".join(lines)


def actions_openapi() -> dict:
    schemas = list(dict.fromkeys(s.ACTION_SCHEMAS.values()))
    return {
        "description": actions_description(),
        "parameters": [_idempotency_parameter()],  # appended to the path parameters
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [{"$ref": f"#/components/schemas/{x.__name__}"} for x in schemas]}
                }
            },
        },
    }


# The `action` path parameter: documented as an enum, but checked by action_spec, so that an
# unknown action answers 404 unknown_action with the list of valid ones, not a generic 400.
ActionName = Annotated[
    str,
    WithJsonSchema({
        "type": "string", "enum": [a.value for a in STAFF_ACTIONS],
        "description": "；".join(f"{a.value}={a.label}" for a in STAFF_ACTIONS),
    }),
]


def _idempotency_parameter() -> dict:
    return {
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 100},
        "description": "可选。重试同一请求时带上相同的键：只执行一次，重试返回第一次的结果。",
    }


def register_openapi() -> dict:
    return {
        "parameters": [_idempotency_parameter()],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CaseIn"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["payload"],
                        "properties": {
                            "payload": {"type": "string", "description": "与 application/json 相同内容（CaseIn）的 JSON 文本"},
                            "attachments": {
                                "type": "array", "items": {"type": "string", "format": "binary"},
                                "description": "附件，可多个；单个文件上限见 YIMEN_MAX_ATTACHMENT_BYTES（超出返回413）",
                            },
                        },
                    }
                },
            },
        },
    }


def reveal_openapi() -> dict:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RevealIn"}}},
        },
    }
