"""POST /cases/{number}/actions/{action}: the door to the domain's registry of actions
(yimen.cases.actions: each action's body schema and the service it calls), and its OpenAPI text.
"""

from typing import Annotated

from pydantic import WithJsonSchema

from yimen.cases.actions import (  # noqa: F401 (the doors' names)
    ACTION_SCHEMAS,
    ACTIONS,
    STAFF_ACTIONS,
    ActionSpec,
    action_spec,
)
from yimen.cases.rules import MOVES, Action

from . import schemas as s

# ---------------------------------------------------------------------------------------------
# OpenAPI: the one endpoint documents every action's body


def _actions_for(schema) -> list[Action]:
    return [a for a in STAFF_ACTIONS if ACTION_SCHEMAS[a] is schema]


def body_components() -> dict:
    """JSON schemas of the bodies the doors parse themselves, for components.schemas."""
    components = {}
    for schema in dict.fromkeys([*ACTION_SCHEMAS.values(), s.CaseIn, s.RevealIn]):
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
        lines.append(f"| `{action.value}` | {action.label} | {roles} | {sources} | {_fields(ACTION_SCHEMAS[action])} |")
    return "\n".join(lines)


def actions_openapi() -> dict:
    schemas = list(dict.fromkeys(ACTION_SCHEMAS.values()))
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
