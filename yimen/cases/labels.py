"""Chinese names of the input fields and the choices they take, and pydantic's errors in Chinese.

The domain's one home for them: the API's 400s and the workbench's form errors both read these.
"""

import re

from django.utils.translation import gettext as _

from yimen.common.inputs import CONTROL_CHARACTERS
from yimen.common.text import control_character_message
from yimen.common.words import choices_text, join_list

from .codes import DomainClass, Risk, Urgency
from .models import Channel, Outcome, PartyKind, PartyRole, ReferralTarget, Satisfaction, Status

# Chinese names of the fields, for error messages ("请填写事项描述（description）").
# Looked up by "<parent>.<field>" first (indices dropped), then by the field name alone.
FIELD_LABELS = {
    "channel": "来源渠道",
    "region_code": "发生地区划代码",
    "title": "标题",
    "description": "事项描述",
    "request": "诉求",
    "address": "详细地址",
    "latitude": "纬度",
    "longitude": "经度",
    "category": "类别",
    "urgency": "紧急程度",
    "request_type": "诉求类型",
    "risk": "风险等级",
    "amount": "涉及金额(元)",
    "headcount": "涉及人数",
    "tags": "标签",
    "parties": "当事人",
    "parties.name": "当事人姓名/名称",
    "parties.role": "当事人身份",
    "parties.kind": "当事人类型",
    "parties.id_number": "当事人证件号码",
    "parties.phone": "当事人联系电话",
    "parties.headcount": "当事人人数",
    "parties.address": "当事人住址",
    "received_at": "受理时间",
    "external_ref": "外部编号",
    "attachments": "附件",
    "payload": "登记内容(payload)",
    "body": "请求体",
    "domain_class": "领域",
    "risk_reason": "风险研判理由",
    "accept_suggestion": "采纳系统建议",
    "since": "起始时间",
    "until": "截止时间",
    "lead_unit": "牵头单位",
    "assist_units": "协办单位",
    "units": "参与单位",
    "tasks": "各单位任务",
    "reason": "理由",
    "assignment_id": "派单编号",
    "note": "说明",
    "kind": "记录类型",
    "details": "详情",
    "outcome": "办理结果",
    "result": "办理情况",
    "satisfaction": "满意度",
    "comment": "群众意见",
    "method": "回访方式",
    "extension_id": "延期申请编号",
    "content": "督办要求",
    "unit": "被督办单位",
    "answer": "督办回复",
    "order_id": "督办单编号",
    "target": "转出去向",
    "where_to_go": "告知去向",
    "purpose": "查看用途",
    "status": "状态",
    "overdue": "是否超期",
    "region": "区划代码",
    "open": "是否在办",
    "received_from": "受理时间起",
    "received_to": "受理时间止",
    "text": "关键词",
    "limit": "每页条数",
    "cursor": "分页游标",
    "count": "是否统计总数",
    "number": "事项编号",
    "action": "操作",
    "party_id": "当事人编号",
    "expected_status": "您看到的事项状态",
    "Idempotency-Key": "幂等键(Idempotency-Key)",
    # Per action (the action's name first): the same field name means different things.
    "request_extension.amount": "延期时长",
    "return.reason": "退单理由",
    "escalate.reason": "提级理由",
    "withdraw.reason": "撤回理由",
    "reopen.reason": "重启理由",
    "refuse_extension.reason": "驳回理由",
    "approve_extension.reason": "审批意见",
    "request_extension.reason": "延期理由",
    "refer_out.reason": "转出理由",
    "not_accept.reason": "不予受理理由",
    "convene_joint.reason": "会商事由",
    "dispatch.reason": "派单说明",
    "convene_joint.lead_unit": "牵头单位",
}


# Which choices a field takes, so that "取值无效" can list the values with their Chinese names.
FIELD_CHOICES = {
    "channel": Channel,
    "urgency": Urgency,
    "risk": Risk,
    "status": Status,
    "domain_class": DomainClass,
    "outcome": Outcome,
    "satisfaction": Satisfaction,
    "target": ReferralTarget,
    "parties.role": PartyRole,
    "parties.kind": PartyKind,
}



# ---------------------------------------------------------------------------------------------
# Validation errors in Chinese


def field_path(loc) -> str:
    """('parties', 0, 'name') → "parties[0].name"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += "(键)"
        else:
            path += ("." if path else "") + str(part)
    return path


def _lookup(table: dict, path: str, context: str):
    bare = re.sub(r"\[\d+\]|\(键\)", "", path)
    for name in (f"{context}.{bare}" if context else None, bare, bare.rsplit(".", 1)[-1]):
        if name and name in table:
            return table[name]
    return None


def field_label(path: str, context: str = "") -> str:
    return _lookup(FIELD_LABELS, path, context) or path or _("请求体")


def _expected(error: dict, path: str, context: str) -> str:
    choices = _lookup(FIELD_CHOICES, path, context)
    if choices is not None:
        return choices_text(choices.choices)
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return join_list(part.strip() for part in expected.replace(" or ", ", ").replace("'", "").split(", "))


def _reason(error: dict) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("未填写")
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return _("不能超过%(n)s个字") % {"n": limit} if kind == "string_too_long" else _("最多%(n)s项") % {"n": limit}
    if kind in ("string_too_short", "too_short"):
        limit = ctx.get("min_length")
        return _("不能为空") if limit == 1 else _("至少需要%(n)s项") % {"n": limit}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("必须是整数")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("必须是数字")
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return _("位数过多")
    if kind in ("greater_than_equal", "greater_than"):
        return _("不能小于%(n)s") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("不能大于%(n)s") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("bool_parsing", "bool_type"):
        return _("必须是 true 或 false")
    if kind.startswith(("datetime", "date")):
        return _("必须是日期或日期时间，如 2025-03-01 或 2025-03-01T09:30:00+08:00")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("应为列表")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("应为对象")
    if kind in ("string_type", "string_sub_type"):
        return _("应为文字")
    if kind == "string_pattern_mismatch":
        return _("格式不正确")
    if kind == "json_invalid":
        return _("不是有效的 JSON")
    if kind == "value_error":
        return str(ctx.get("error", "")).removeprefix("Value error, ") or _("格式不正确")
    return _("格式不正确")


def describe(error: dict, context: str = "") -> tuple[str, str]:
    """(field, Chinese message) for one pydantic error."""
    path = field_path(error.get("loc") or ())
    label = field_label(path, context)
    kind = error.get("type")
    if kind == "missing":
        return path, _("请填写%(label)s（%(field)s）。") % {"label": label, "field": path}
    if kind == CONTROL_CHARACTERS:
        return path or "body", control_character_message(label=label if path else _("请求体"), field=path or "body")
    if kind == "extra_forbidden":
        return path, _("不认识的字段“%(field)s”，请检查拼写（接口文档列出了可用的字段）。") % {"field": path}
    if kind in ("enum", "literal_error"):
        return path, _("%(label)s（%(field)s）的取值无效，可选：%(expected)s。") % {
            "label": label, "field": path, "expected": _expected(error, path, context)}
    if not path:
        return "body", _("请求体%(reason)s。") % {"reason": _reason(error)}
    return path, _("%(label)s（%(field)s）%(reason)s。") % {"label": label, "field": path, "reason": _reason(error)}
