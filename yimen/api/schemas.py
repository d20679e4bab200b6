"""Input and output shapes of the JSON API.

Only shape lives here (types, lengths, required fields, allowed values). Rules — who may, in which
status, across objects — live in the services and are never repeated here (STYLE §3).
Every field that can be wrong has a Chinese name in yimen.cases.labels.FIELD_LABELS, used by the 400
messages. The action bodies are the domain's (yimen.cases.actions), shared with the workbench.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, PlainValidator, WithJsonSchema, field_validator

from yimen.cases.actions import ACTION_SCHEMAS, ActionIn  # noqa: F401 (re-exported: the action bodies live in the domain)
from yimen.cases.labels import FIELD_CHOICES, FIELD_LABELS  # noqa: F401 (re-exported for the API's error messages)
from yimen.cases.models import (
    Channel,
    PartyKind,
    PartyRole,
    Risk,
    Status,
    Urgency,
)
from yimen.common.inputs import (  # noqa: F401 (re-exported: the base of every input shape)
    CONTROL_CHARACTERS,
    LONG_TEXT,
    In,
    Input,
    LongText,
    SingleLine,
    choices_doc,
    enum_field,
    refuse_control_characters,
)

_enum = enum_field

# ---------------------------------------------------------------------------------------------
# Registering


class PartyIn(In):
    name: str = Field(max_length=100, description="姓名/名称")
    role: Annotated[PartyRole, _enum(PartyRole, "身份")] = PartyRole.APPLICANT
    kind: Annotated[PartyKind, _enum(PartyKind, "类型")] = PartyKind.PERSON
    id_number: str = Field("", max_length=32, description="证件号码（居民身份证18位）")
    phone: str = Field("", max_length=20, description="联系电话（手机号或带区号固话）")
    headcount: int = Field(1, ge=1, description="人数（群体当事人填人数）")
    address: str = Field("", max_length=200, description="住址")


class CaseIn(In):
    channel: Annotated[Channel, _enum(Channel, "来源渠道")]
    region_code: str = Field(max_length=15, description="事项发生地的区划代码（须在您的管辖范围内）")
    title: str = Field("", max_length=120, description="标题；留空取描述前30字")
    description: LongText = Field(max_length=20000, description="事项描述")
    request: LongText = Field("", max_length=5000, description="诉求")
    address: str = Field("", max_length=200, description="详细地址")
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    category: str | None = Field(None, max_length=40, description="纠纷类别代码，如 labour")
    urgency: Annotated[Urgency | None, _enum(Urgency, "紧急程度（五事五办）")] = None
    risk: Annotated[Risk | None, _enum(Risk, "风险等级")] = None
    request_type: str | None = Field(
        None, max_length=16,
        description="诉求类型代码：consult 咨询、help 求助、complaint 投诉、report 举报、suggestion 建议、dispute 纠纷（以管理后台配置为准）；留空为未定",
    )
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="涉及金额(元)")
    headcount: int | None = Field(None, ge=1, description="涉及人数；留空按申请人人数")
    tags: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list, max_length=20)
    parties: list[PartyIn] = Field(description="当事人，至少一名")
    received_at: dt.datetime | None = Field(None, description="受理时间；留空为现在（补录时填写）")
    external_ref: str = Field("", max_length=64, description="外部系统的编号（12345、公安等）")


class CaseCreatedOut(Schema):
    number: str = Field(description="事项编号")
    query_code: str = Field(description="群众查询码（只在登记时返回，用于打印回执）")
    status: str
    status_label: str
    received_at: dt.datetime
    owning_centre: "CentreOut"
    due_at: dt.datetime | None
    due_text: str
    due_provisional: bool
    url: str = Field(description="事项详情的接口地址")


# ---------------------------------------------------------------------------------------------
# Reading


class CentreOut(Schema):
    code: str
    name: str


class CategoryOut(Schema):
    code: str
    name: str


class CaseListItem(Schema):
    number: str
    title: str
    status: str
    status_label: str
    category: CategoryOut | None
    risk: str | None = Field(description="风险等级；未研判时为 null（待研判）")
    risk_label: str
    suggested_risk: str | None = Field(description="系统研判建议的风险等级（仅供参考，未经人工确认）")
    suggested_risk_label: str
    urgency: str
    urgency_label: str
    channel: str
    channel_label: str
    region_code: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    due_text: str = Field(description="如“剩余2天3小时”“已超期1天”")
    due_provisional: bool = Field(description="期限含未公布节假日安排的年份，暂按周末推算")
    overdue: bool
    owning_centre: CentreOut


class CaseListOut(Schema):
    items: list[CaseListItem]
    next_cursor: str | None = Field(description="下一页的游标；为空表示没有下一页")
    count: int | None = Field(None, description="符合条件的总数（仅当 count=true 时统计）")


class PartyOut(Schema):
    id: int
    name: str
    role: str
    role_label: str
    kind: str
    kind_label: str
    id_number_masked: str
    phone_masked: str
    headcount: int
    address: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    actor_label: str
    from_status: str
    from_status_label: str
    to_status: str
    to_status_label: str
    reason: str
    payload: dict[str, Any]
    created_at: dt.datetime


class AssignmentOut(Schema):
    id: int
    unit: "UnitOut"
    part: str
    part_label: str
    task: str
    status: str
    status_label: str
    dispatched_at: dt.datetime
    sign_due_at: dt.datetime | None
    sign_due_text: str = Field(description="待签收时的签收期限提示")
    due_at: dt.datetime | None
    due_text: str = Field(description="在办时的办理期限提示")
    due_provisional: bool
    accepted_at: dt.datetime | None
    returned_at: dt.datetime | None
    return_reason: str


class UnitOut(Schema):
    id: int
    name: str


class DeadlineOut(Schema):
    id: int
    step: str
    step_label: str
    assignment_id: int | None
    due_at: dt.datetime
    due_label: str = Field(description="如“2025年10月13日 24:00”")
    due_text: str
    provisional: bool


class ExtensionOut(Schema):
    id: int
    assignment_id: int
    amount: int
    unit: str
    unit_label: str
    reason: str
    status: str
    status_label: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str


class SupervisionOut(Schema):
    id: int
    unit: UnitOut
    content: str
    status: str
    status_label: str
    issued_at: dt.datetime
    answer_due_at: dt.datetime | None
    answer: str
    answered_at: dt.datetime | None


class ActionOut(Schema):
    action: str
    label: str


class CaseDetailOut(CaseListItem):
    description: str
    request: str
    request_type: str = Field(description="诉求类型代码；空为未定")
    request_type_label: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    region_name: str
    domain_class: str
    risk_reason: str
    amount: Decimal | None
    headcount: int
    tags: list[str]
    external_ref: str
    registering_centre_name: str
    is_joint: bool
    outcome: str
    outcome_label: str
    result: str
    resolved_on_spot: bool
    satisfaction: str
    referral_target: str
    reopen_count: int
    escalation_count: int
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    parties: list[PartyOut] = Field(description="证件号码与电话已脱敏；完整信息经 reveal 接口查看并留痕")
    attachments: list[AttachmentOut]
    assignments: list[AssignmentOut]
    deadlines: list[DeadlineOut] = Field(description="正在计时的期限")
    extensions: list[ExtensionOut]
    supervision_orders: list[SupervisionOut]
    timeline: list[EventOut]
    allowed_actions: list[ActionOut] = Field(description="当前用户此刻可执行的操作（用于显示按钮）")
    triage: "TriageSummaryOut | None" = Field(
        None, description="登记时的系统研判建议（仅供参考，以调度员研判为准）；无建议时为空"
    )
    triage_pending: bool = Field(
        False, description="研判中：建议由后台在登记后数秒内生成（YIMEN_TRIAGE_IN_WORKER），生成前 triage 为空"
    )


class RevealIn(In):
    purpose: str = Field(max_length=200, description="查看用途（记入个人信息查看记录）")


class DispatchCandidateOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    region_code: str
    part: str = Field("", description="职责清单建议：lead 牵头 / assist 协办 / 空")
    duty: str = ""


class RevealOut(Schema):
    party_id: int
    name: str
    id_number: str
    phone: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str = Field(description="稳定的机器可读代码，如 invalid、forbidden_role、invalid_transition")
    message: str = Field(description="中文说明")
    field: str | None = Field(None, description="出错的字段，如 parties[0].id_number")
    errors: list[FieldErrorOut] | None = Field(None, description="400 时：全部有误的字段")
    current_status: str | None = Field(None, description="409 invalid_transition 时：事项当前状态")
    current_status_label: str | None = None
    valid_actions: list[str] | None = Field(None, description="404 unknown_action 时：全部可用的操作")
    reference: str | None = Field(None, description="500 server_error 时：参考编号，与服务器日志中的记录对应")


# ---------------------------------------------------------------------------------------------
# Filters of GET /cases (shape only; the selector applies them)


def _date_or_time(value):
    """"2025-03-01" → a date (the whole day); "2025-03-01T09:30[+08:00]" → a datetime."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_("必须是日期或日期时间，如 2025-03-01 或 2025-03-01T09:30:00+08:00")) from None


DateOrTime = Annotated[
    dt.date | dt.datetime,
    PlainValidator(_date_or_time),
    WithJsonSchema({"type": "string", "description": "日期（2025-03-01）或日期时间（2025-03-01T09:30:00+08:00）"}),
]


class CaseListQuery(Input):
    status: list[Status] | None = Field(None, description="状态，可重复（status=a&status=b）或逗号分隔。" + choices_doc(Status))
    category: str | None = Field(None, max_length=40, description="类别代码（含下级类别）")
    risk: Annotated[Risk | None, _enum(Risk)] = None
    urgency: Annotated[Urgency | None, _enum(Urgency)] = None
    channel: Annotated[Channel | None, _enum(Channel)] = None
    overdue: bool | None = Field(None, description="true 只看已超期，false 只看未超期")
    open: bool | None = Field(None, description="true 只看在办（未办结），false 只看已结束")
    region: str | None = Field(None, pattern=r"^\d{2,15}$", description="发生地区划代码（含下级），如 449001001")
    received_from: DateOrTime | None = Field(None, description="受理时间起（含），日期或日期时间")
    received_to: DateOrTime | None = Field(None, description="受理时间止：日期为含当日；日期时间为不含该时刻")
    text: str | None = Field(None, max_length=100, description="在标题、描述、诉求、地址、当事人姓名与住址中查找；或完整的事项编号")
    limit: int = Field(20, ge=1, le=100, description="每页条数，默认20，最多100")
    cursor: str | None = Field(None, max_length=200, description="上一页返回的 next_cursor")
    count: bool = Field(False, description="true 时统计符合条件的总数（大数据量时较慢）")

    @field_validator("status", mode="before")
    @classmethod
    def _split_commas(cls, value):
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            value = [part.strip() for item in value for part in str(item).split(",") if part.strip()]
        return value or None

# ---------------------------------------------------------------------------------------------
# Triage suggestions (智能研判): proposals in the same codes the triage action takes


class TriageCategoryOut(Schema):
    code: str
    label: str
    confidence: float


class TriageGradeOut(Schema):
    code: str = Field(description="与研判操作相同的取值（risk / urgency / domain_class）")
    label: str
    reason: str = Field(description="依据的规则")
    decided_by: list[str] = Field(description="使规则成立的信号（signals[].name）")


class TriageSignalOut(Schema):
    name: str
    label: str
    value: Any = None
    weight: float
    explanation: str = Field(description="一句话的中文说明")


class TriageUnitOut(Schema):
    name: str = Field(description="建议单位（标准名称，按层级改称）")
    role: str = Field(description="lead 牵头 / assist 协办")
    role_label: str
    reason: str


class TriageRepeatOut(Schema):
    number: str | None = Field(description="先前事项的编号；不在您权限范围内时为空")
    label: str = Field(description="事项编号，或“其他辖区事项”")
    kind: str = Field(description="repeat=同一当事人重复来访, duplicate=内容几乎相同的重复事项")
    kind_label: str
    score: float = Field(description="相似度（0–100）；同一当事人为100")
    reason: str
    received_at: dt.datetime


class TriageCategoryTieOut(Schema):
    code: str
    label: str


class TriageRequestTypeOut(Schema):
    code: str = Field(description="建议的诉求类型代码（与登记、研判的 request_type 取值相同）")
    label: str
    reason: str = Field(description="依据：命中的提示语，或“未命中提示语，按缺省类型”；并列时注明")
    cues: list[str] = Field(description="命中的提示语原文")
    tied: list[str] = Field(description="得分相同的其他诉求类型代码")


class TriageSummaryOut(Schema):
    category: str = Field(description="建议类别代码")
    category_label: str
    category_top3: list[TriageCategoryOut]
    category_tied: list[TriageCategoryTieOut] = Field(default_factory=list, description="与建议类别得分相同的类别（并列，请人工确定）")
    request_type: TriageRequestTypeOut | None = Field(None, description="建议的诉求类型（咨询、求助、投诉、举报、建议、纠纷）")
    risk: TriageGradeOut
    urgency: TriageGradeOut
    domain_class: TriageGradeOut
    signals: list[TriageSignalOut]
    units: list[TriageUnitOut]
    repeats: list[TriageRepeatOut] = Field(description="同一当事人或内容几乎相同的先前事项，最近的在前")
    suggested_at: dt.datetime | None


class LegalBasisOut(Schema):
    law: str
    article: str
    text: str
    score: float
    source: str = Field(description="national 国家法律法规 / local 本地导入的规定")


class SimilarCaseOut(Schema):
    ref: str = Field(description="已化解的相似事项编号（您权限范围内）")
    text: str
    outcome: str = Field(description="办理情况")
    received_at: dt.datetime


class GuidanceLlmOut(Schema):
    status: str = Field(description="off 未启用 / ok / rejected 引用了不存在的条文已舍弃 / error")
    text: str
    note: str


class GuidanceOut(Schema):
    approach: str = Field(description="建议调解方式")
    steps: list[str]
    convene: list[str] = Field(description="建议召集的单位")
    legal_basis: list[LegalBasisOut]
    similar_cases: list[SimilarCaseOut]
    notes: list[str]
    llm: GuidanceLlmOut


class SuggestionOut(TriageSummaryOut):
    category_reason: str
    legal_basis: list[LegalBasisOut]
    guidance: GuidanceOut
    model_version: str = Field(description="参与分类的模型版本；空为仅用词库")
    rules_version: str


class AccuracyQuery(Input):
    since: DateOrTime | None = Field(None, description="研判决定时间起（含）")
    until: DateOrTime | None = Field(None, description="研判决定时间止：日期为含当日")


class AccuracyByCategoryOut(Schema):
    decisions: int
    recall: float | None = Field(description="最终为该类别的事项中，系统首选建议也是该类别的比例")
    precision: float | None = Field(description="系统建议为该类别的事项中，最终也定为该类别的比例")


class AccuracyOut(Schema):
    decisions: int = Field(description="已作出研判决定（并有系统建议）的事项数")
    category_accuracy: float | None = Field(description="类别建议准确率（0–1）；无决定时为空")
    category_top3_accuracy: float | None = Field(description="前三命中率")
    risk_accuracy: float | None = Field(description="风险等级一致率")
    urgency_accuracy: float | None = Field(description="五事分类一致率")
    domain_accuracy: float | None = Field(description="领域分类一致率")
    lead_unit_accuracy: float | None = Field(description="暂不统计（牵头单位在派单时确定）")
    all_accepted_rate: float | None = Field(description="全部采纳率")
    request_type_accuracy: float | None = Field(description="诉求类型一致率：系统建议了诉求类型的决定中，最终诉求类型与建议一致的比例")
    by_category: dict[str, AccuracyByCategoryOut] = Field(description="按最终类别代码")
    definition: str = Field(description="口径说明")
    since: dt.datetime | None
    until: dt.datetime | None


CaseDetailOut.model_rebuild()
CaseCreatedOut.model_rebuild()
AssignmentOut.model_rebuild()
