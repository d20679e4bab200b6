"""The matter ledger (事项台账) as an Excel workbook: the columns a centre's paper ledger has.

Built in openpyxl's write-only mode from a queryset read in chunks: memory stays flat whatever the
number of rows, and the related rows (units, applicants, place names) are read once per chunk, never
once per row. Personal data is masked: an export leaves the system, and a full ID number in a
spreadsheet cannot be audited the way the matter page's "reveal" is.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yimen.common.words import join_list
from yimen.regions.models import LEVEL_CODE_LENGTH, Level, Region

from .deadlines import was_overdue
from .models import (
    Assignment,
    AssignmentPart,
    AssignmentStatus,
    CaseEvent,
    Channel,
    EventKind,
    FollowUp,
    Outcome,
    Party,
    PartyRole,
    Satisfaction,
    Status,
    Urgency,
    mask_id_number,
    mask_phone,
)
from .presenting import risk_text

DEFAULT_EXPORT_MAX_ROWS = 50_000
CHUNK_SIZE = 500
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"
# Assignments that name a unit's part in the matter (a returned or cancelled one no longer does).
_COUNTED_ASSIGNMENTS = frozenset({AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED, AssignmentStatus.COMPLETED})


def export_max_rows() -> int:
    """The most rows one export writes (YIMEN_EXPORT_MAX_ROWS, read at call time)."""
    return int(getattr(settings, "YIMEN_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS))


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    value: Callable  # (case, context) -> cell value
    is_datetime: bool = False
    wrap: bool = False
    number_format: str = ""  # for numbers: written as numbers, shown in this format


@dataclass
class LedgerResult:
    rows: int
    capped: bool
    cap: int


@dataclass
class _Context:
    places: dict[str, str] = field(default_factory=dict)  # region code -> name
    labels: dict = field(default_factory=dict)


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def _local(value: datetime | None):
    # Excel has no time zones: write the centre's local time to the minute, as staff read it on the pages.
    return timezone.localtime(value).replace(tzinfo=None, second=0, microsecond=0) if value else None


def _place(case, ctx: _Context) -> str:
    """"青溪县桃源镇杏花村第一网格 某路12号": the names of the place's regions below the city."""
    code = case.region_code or ""
    names = [ctx.places.get(code[:n], "") for n in _PLACE_PREFIXES if n <= len(code)]
    place = "".join(n for n in names if n)
    return f"{place} {case.address}".strip() if case.address else place


_PLACE_PREFIXES = sorted(n for level, n in LEVEL_CODE_LENGTH.items() if level != Level.CITY)


def _parties(case, role) -> str:
    shown = []
    for party in case.ledger_parties:
        if party.role != role:
            continue
        extra = [t for t in (mask_id_number(party.id_number), mask_phone(party.phone)) if t]
        shown.append(f"{party.name}（{'，'.join(extra)}）" if extra else party.name)
    return "；".join(shown)


def _category(case, ctx) -> str:
    category = case.category
    if category is None:
        return ""
    return f"{category.parent.name}/{category.name}" if category.parent_id else category.name


def _units(case, part) -> list[str]:
    names = []
    for assignment in case.ledger_assignments:
        if assignment.part == part and assignment.status in _COUNTED_ASSIGNMENTS and assignment.unit.name not in names:
            names.append(assignment.unit.name)
    return names


def _lead(case, ctx) -> str:
    names = _units(case, AssignmentPart.LEAD)
    return names[-1] if names else ""  # after a re-dispatch the latest lead is the one that counts


def _result(case, ctx) -> str:
    outcome = _label(Outcome, case.outcome)
    return "：".join(t for t in (outcome, case.result.strip()) if t)


def _overdue(case, ctx) -> str:
    return _("是") if was_overdue(case) else _("否")


def columns() -> list[Column]:
    """The ledger's columns, in the order of the paper ledger (headers in the user's language)."""
    return [
        Column(_("序号"), 7, lambda c, ctx: ctx.labels["row"]),
        Column(_("事项编号"), 22, lambda c, ctx: c.number),
        Column(_("受理时间"), 17, lambda c, ctx: _local(c.received_at), is_datetime=True),
        Column(_("受理渠道"), 12, lambda c, ctx: _label(Channel, c.channel)),
        Column(_("事发地/所属区划"), 30, _place),
        Column(_("当事人(申请人)"), 28, lambda c, ctx: _parties(c, PartyRole.APPLICANT)),
        Column(_("被申请人"), 28, lambda c, ctx: _parties(c, PartyRole.RESPONDENT)),
        Column(_("事项类别"), 14, _category),
        Column(_("矛盾纠纷简要情况"), 50, lambda c, ctx: f"{c.title}：{c.description}".strip("："), wrap=True),
        Column(_("诉求"), 30, lambda c, ctx: c.request, wrap=True),
        Column(_("涉及金额(元)"), 14, lambda c, ctx: c.amount, number_format=AMOUNT_FORMAT),
        Column(_("涉及人数"), 9, lambda c, ctx: c.headcount, number_format="0"),
        Column(_("风险等级"), 9, lambda c, ctx: risk_text(c.risk, c.suggested_risk), wrap=True),
        Column(_("紧急程度"), 14, lambda c, ctx: _label(Urgency, c.urgency)),
        Column(_("牵头单位"), 24, _lead),
        Column(_("协办单位"), 28, lambda c, ctx: join_list(_units(c, AssignmentPart.ASSIST))),
        Column(_("状态"), 10, lambda c, ctx: _label(Status, c.status)),
        Column(_("签收时间"), 17, lambda c, ctx: _local(c.accepted_at), is_datetime=True),
        Column(_("办理期限"), 17, lambda c, ctx: _local(c.due_at), is_datetime=True),
        Column(_("是否超期"), 9, _overdue),
        Column(_("办结时间"), 17, lambda c, ctx: _local(c.resolved_at), is_datetime=True),
        Column(_("办理结果"), 36, _result, wrap=True),
        Column(_("调解次数"), 9, lambda c, ctx: c.ledger_mediation_sessions, number_format="0"),
        Column(_("回访时间"), 17, lambda c, ctx: _local(c.ledger_followed_up_at), is_datetime=True),
        Column(_("回访满意度"), 11, lambda c, ctx: _label(Satisfaction, c.satisfaction)),
        Column(_("责任中心"), 20, lambda c, ctx: c.owning_centre.name),
    ]


def ledger_queryset(qs: QuerySet) -> QuerySet:
    """What each row needs from its own table, its to-one relations and two counted subqueries
    (mediation sessions, the latest follow-up): one query for them all."""
    sessions = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.PROGRESS_RECORDED, payload__record_kind="mediation")
        .order_by().values("case").annotate(n=Count("id")).values("n")
    )
    followed_up = FollowUp.objects.filter(case=OuterRef("pk")).order_by().values("case").annotate(at=Max("created_at")).values("at")
    return (
        qs.select_related("category", "category__parent", "owning_centre").defer("triage")
        .annotate(ledger_mediation_sessions=Coalesce(Subquery(sessions), 0), ledger_followed_up_at=Subquery(followed_up))
    )


def _with_relations(chunk: list, ctx: _Context) -> None:
    """Read one chunk's units, parties and place names: three queries per chunk, none per row."""
    prefetch_related_objects(
        chunk,
        Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("dispatched_at", "id"),
                 to_attr="ledger_assignments"),
        Prefetch("parties", queryset=Party.objects.filter(role__in=(PartyRole.APPLICANT, PartyRole.RESPONDENT)).order_by("id"),
                 to_attr="ledger_parties"),
    )
    wanted = {c.region_code[:n] for c in chunk for n in _PLACE_PREFIXES if n <= len(c.region_code or "")}
    wanted -= ctx.places.keys()
    if wanted:
        found = dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))
        ctx.places.update({code: found.get(code, "") for code in wanted})


def _chunks(rows: Iterable, size: int):
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def ledger_write(qs: QuerySet, out, *, notes: list[tuple[str, str]] = (), cap: int | None = None,
                 chunk_size: int = CHUNK_SIZE) -> LedgerResult:
    """Write the ledger of `qs` (already scoped, filtered and ordered by the caller) to `out`.

    1. At most `cap` rows (default YIMEN_EXPORT_MAX_ROWS); one more is read to know whether the
       list was cut, and if so the sheet ends with a line that says so, as does the notes sheet.
    2. Rows are read with a database cursor in chunks; each chunk gets its related rows at once.
    3. A second sheet "说明" lists the export time and the filters (`notes`: [(label, value)]).
    """
    cap = export_max_rows() if cap is None else cap
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("事项台账"))
    cols = columns()
    sheet.freeze_panes = "A2"
    for index, col in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = col.width
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    sheet.append([_styled(sheet, col.header, font=header_font, fill=header_fill) for col in cols])

    ctx, written, capped = _Context(), 0, False
    wrap = Alignment(wrap_text=True, vertical="top")
    for chunk in _chunks(ledger_queryset(qs)[: cap + 1].iterator(chunk_size=chunk_size), chunk_size):
        if written + len(chunk) > cap:
            chunk, capped = chunk[: cap - written], True
        _with_relations(chunk, ctx)
        for case in chunk:
            written += 1
            ctx.labels["row"] = written
            # Styled cells cost a style look-up each in openpyxl; only the dates and the long texts get one.
            sheet.append([
                _styled(sheet, value, number_format=DATETIME_FORMAT) if col.is_datetime and value is not None
                else _styled(sheet, value, number_format=col.number_format) if col.number_format and value is not None
                else _styled(sheet, value, alignment=wrap) if col.wrap and value
                else _plain(sheet, value)
                for col in cols for value in (col.value(case, ctx),)
            ])
    if capped:
        sheet.append([_styled(sheet, _cap_notice(cap), font=Font(bold=True, color="B00020"))])

    info = book.create_sheet(_("说明"))
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 16, 80
    info.append([_styled(info, _("事项台账"), font=Font(bold=True, size=14))])
    info.append([_("导出时间"), _local(timezone.now()).strftime("%Y-%m-%d %H:%M")])
    for label, value in notes:
        info.append([label, value])
    info.append([_("导出条数"), written])
    info.append([_("个人信息"), _("证件号码、电话已脱敏；完整信息请在事项页面按权限查看（留痕）。")])
    if capped:
        info.append([_("注意"), _styled(info, _cap_notice(cap), font=Font(bold=True, color="B00020"))])
    book.save(out)
    return LedgerResult(rows=written, capped=capped, cap=cap)


def _cap_notice(cap: int) -> str:
    return _("已达导出上限：仅导出前%(cap)s条，其余未导出。请缩小筛选范围后分批导出。") % {"cap": f"{cap:,}"}


# Excel keeps at most this many characters in a cell.
_CELL_MAX = 32_767


def _plain(sheet, value):
    """A value appended as is, unless it is text that needs cleaning or would read as a formula."""
    if isinstance(value, str) and (value.startswith("=") or ILLEGAL_CHARACTERS_RE.search(value) or len(value) > _CELL_MAX):
        return _styled(sheet, value)
    return value


def _styled(sheet, value, *, font=None, fill=None, number_format=None, alignment=None) -> WriteOnlyCell:
    if isinstance(value, str):
        # Text typed by residents goes in as text: control characters Excel refuses are dropped, and
        # a leading "=" stays a character, never a formula (spreadsheet injection).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:_CELL_MAX]
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if number_format and value is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    return cell
