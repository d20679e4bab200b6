"""/api/v1/cases: register, list, read, act on a matter, reveal a party's personal data.

Doors only: authorise and load through a selector, parse the input, call ONE service, present.
"""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Query, Router
from pydantic import WithJsonSchema

from yimen.cases.intake import case_register
from yimen.cases.privacy import party_reveal
from yimen.cases.selectors import CaseFilters, case_get, case_list_for_user, dispatch_candidates, list_time_limit
from yimen.common.dbrouter import reads_on_replica

from . import presenters
from .actions import ActionName, action_spec, actions_openapi, register_openapi, reveal_openapi
from .errors import renamed_fields
from .idempotency import run_once
from .pagination import keyset_page
from .parsing import REGISTER_FIELDS, case_input, json_body
from .schemas import (
    CaseCreatedOut,
    CaseDetailOut,
    CaseListOut,
    CaseListQuery,
    DispatchCandidateOut,
    ErrorOut,
    RevealIn,
    RevealOut,
    SingleLine,
)

router = Router(tags=["事项"])

# SingleLine: a matter number with a control character in the URL is a 400 naming `number`.
CaseNumber = Annotated[SingleLine, WithJsonSchema({"type": "string", "description": "事项编号，如 449001001-2025-000001"})]
_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _dump(schema, data) -> dict:
    """Validate what we send against the documented schema, as Ninja does for returned values."""
    return schema.model_validate(data).model_dump()


@router.post(
    "", response={201: CaseCreatedOut, 413: ErrorOut, **_ERRORS}, openapi_extra=register_openapi(),
    summary="登记事项", description="JSON，或 multipart/form-data（payload 字段放 JSON，attachments 放附件）。",
)
def case_create(request):
    def change():
        data = case_input(request)
        with renamed_fields(REGISTER_FIELDS):
            case = case_register(actor=request.auth, data=data)  # checks scopes.can_register too
        return 201, _dump(CaseCreatedOut, presenters.case_created(case))

    return run_once(request, change)


@router.get("", response={200: CaseListOut, **_ERRORS}, summary="事项列表")
@reads_on_replica
def case_list(request, q: Query[CaseListQuery]):
    qs = case_list_for_user(user=request.auth, filters=_filters(q))
    with list_time_limit(request.auth):
        page = keyset_page(qs, cursor=q.cursor, limit=q.limit)
        count = qs.count() if q.count else None
    now = timezone.now()
    return {
        "items": [presenters.case_item(case, now) for case in page.items],
        "next_cursor": page.next_cursor,
        "count": count,
    }


@router.get("/{number}", response={200: CaseDetailOut, **_ERRORS}, url_name="case_detail", summary="事项详情")
def case_detail(request, number: CaseNumber):
    return presenters.case_detail(case_get(user=request.auth, number=number), request.auth)


@router.post(
    "/{number}/actions/{action}", response={200: CaseDetailOut, **_ERRORS}, openapi_extra=actions_openapi(),
    summary="执行操作（研判、派单、签收、退单、办结、回访、归档、提级、延期、督办……）",
)
def case_act(request, number: CaseNumber, action: ActionName):
    def change():
        spec = action_spec(action)
        case = case_get(user=request.auth, number=number)
        body = json_body(request, spec.schema, context=spec.action)
        spec.call(request.auth, case, body)
        return 200, _dump(CaseDetailOut, presenters.case_detail(case_get(user=request.auth, number=number), request.auth))

    return run_once(request, change)


@router.get("/{number}/units", response={200: list[DispatchCandidateOut], **_ERRORS}, summary="可派单位（含职责清单建议）")
def case_units(request, number: CaseNumber):
    case = case_get(user=request.auth, number=number)
    return [
        {"id": c["unit"].pk, "name": c["unit"].name, "kind": c["unit"].kind, "kind_label": c["unit"].get_kind_display(),
         "region_code": c["unit"].region.code, "part": c["part"], "duty": c["duty"]}
        for c in dispatch_candidates(case=case)
    ]


@router.post(
    "/{number}/parties/{party_id}/reveal", response={200: RevealOut, **_ERRORS}, openapi_extra=reveal_openapi(),
    summary="查看当事人完整证件号码和电话（留痕）",
    description="每次查看都记入个人信息查看记录。不支持 Idempotency-Key：每次调用都是一次新的查看，结果也不会被保存。",
)
def case_party_reveal(request, number: CaseNumber, party_id: Annotated[int, WithJsonSchema({"type": "integer", "description": "当事人编号（详情中 parties[].id）"})]):
    case = case_get(user=request.auth, number=number)
    body = json_body(request, RevealIn, context="reveal")
    party = party_reveal(actor=request.auth, case=case, party_id=party_id, purpose=body.purpose)
    return {"party_id": party.pk, "name": party.name, "id_number": party.id_number, "phone": party.phone}


def _filters(q: CaseListQuery) -> CaseFilters:
    return CaseFilters(
        status=[s.value for s in q.status] if q.status else None,
        category=q.category,
        risk=q.risk.value if q.risk else None,
        urgency=q.urgency.value if q.urgency else None,
        channel=q.channel.value if q.channel else None,
        region=q.region,
        overdue=q.overdue,
        open=q.open,
        received_from=_moment(q.received_from),
        received_to=_moment(q.received_to, end_of_day=True),
        text=(q.text or "").strip() or None,
    )


def _moment(value, *, end_of_day: bool = False) -> dt.datetime | None:
    """A date means the whole day (a `to` date includes it); a naive time is local time."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value + dt.timedelta(days=1 if end_of_day else 0), dt.time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value
