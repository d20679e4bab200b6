"""Reading request bodies into schemas, and loading the objects they name (regions, units, categories).

Shape errors become BodyInvalid (→ 400 naming the field); an id or code that names nothing becomes
InvalidInput naming the field. No rule is decided here.
"""

import datetime as dt

import pydantic
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases.actions import category_by_code, unit_by_id, units_by_id  # noqa: F401 (the doors' loaders)
from yimen.cases.intake import AttachmentInput, CaseInput, PartyInput
from yimen.common.errors import InvalidInput
from yimen.common.words import join_list
from yimen.regions import selectors as regions
from yimen.regions.models import Region

from .errors import BodyInvalid
from .schemas import CaseIn

ATTACHMENTS_FIELD = "attachments"
# The service names a field by its own name; the API body calls it differently.
REGISTER_FIELDS = {"region": "region_code"}


def json_body(request, schema: type[pydantic.BaseModel], *, context: str = ""):
    """The JSON body validated by `schema`; an empty body counts as {} (e.g. accept)."""
    raw = request.body or b"{}"
    try:
        return schema.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        raise BodyInvalid.from_pydantic(exc, context=context) from None


def _is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/form-data")


def case_input(request) -> CaseInput:
    """POST /cases: a JSON body, or multipart/form-data with a `payload` JSON field and files."""
    if not _is_multipart(request):
        return _to_case_input(json_body(request, CaseIn, context="case"), [])
    payload = request.POST.get("payload")
    if payload is None:
        raise BodyInvalid([{"type": "missing", "loc": ("payload",)}], context="case")
    try:
        body = CaseIn.model_validate_json(payload)
    except pydantic.ValidationError as exc:
        raise BodyInvalid.from_pydantic(exc, context="case") from None
    strays = sorted(set(request.FILES) - {ATTACHMENTS_FIELD})
    if strays:
        raise InvalidInput(
            _("文件字段“%(names)s”无法识别：附件请放在名为 attachments 的字段中。") % {"names": join_list(strays)},
            field=ATTACHMENTS_FIELD,
        )
    return _to_case_input(body, [_attachment(f) for f in request.FILES.getlist(ATTACHMENTS_FIELD)])


def _attachment(upload) -> AttachmentInput:
    # Read one byte past the limit at most: enough for intake to see "too large" (413) without
    # pulling a huge upload into memory. The limit itself is intake's rule.
    content = upload.read(settings.YIMEN_MAX_ATTACHMENT_BYTES + 1)
    return AttachmentInput(name=upload.name or "file", content=content, content_type=upload.content_type or "")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _to_case_input(body: CaseIn, attachments: list[AttachmentInput]) -> CaseInput:
    return CaseInput(
        channel=body.channel.value,
        region=region_by_code(body.region_code),
        title=body.title,
        description=body.description,
        request=body.request,
        address=body.address,
        latitude=body.latitude,
        longitude=body.longitude,
        category=category_by_code(body.category),
        urgency=body.urgency.value if body.urgency else "",
        risk=body.risk.value if body.risk else "",
        request_type=body.request_type or "",
        amount=body.amount,
        headcount=body.headcount,
        tags=list(body.tags),
        parties=[
            PartyInput(
                name=p.name, role=p.role.value, kind=p.kind.value, id_number=p.id_number, phone=p.phone,
                headcount=p.headcount, address=p.address,
            )
            for p in body.parties
        ],
        attachments=attachments,
        received_at=_aware(body.received_at),
        external_ref=body.external_ref,
    )


# ---------------------------------------------------------------------------------------------
# Loading what ids and codes name


def region_by_code(code: str, *, field: str = "region_code") -> Region:
    region = regions.region_by_code(code)
    if region is None:
        raise InvalidInput(_("区划代码“%(code)s”不存在。") % {"code": code}, field=field)
    return region
