"""The audit trail as an Excel workbook (openpyxl write-only, read in chunks: memory stays flat)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from yimen.cases.ledger import LedgerResult, export_max_rows

from .models import AuditKind


def _text(value) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value or ""))


def audit_export_write(qs, out, *, notes: list[tuple[str, str]] = (), cap: int | None = None) -> LedgerResult:
    """Write the events of `qs` (filtered and ordered by the caller) to `out`; at most `cap` rows
    (default YIMEN_EXPORT_MAX_ROWS, as the ledger), and the sheet says so when it was cut."""
    cap = export_max_rows() if cap is None else cap
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审计记录"))
    sheet.append([_("时间"), _("类型"), _("操作人"), _("客户端地址"), _("对象类型"), _("对象标识"), _("摘要")])
    labels = dict(AuditKind.choices)
    written = 0
    rows = qs.values_list("at", "kind", "actor_username", "address", "object_type", "object_id", "summary")
    capped = False
    for at, kind, actor, address, object_type, object_id, summary in rows[: cap + 1].iterator(chunk_size=1000):
        if written == cap:
            capped = True
            break
        sheet.append([timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"), str(labels.get(kind, kind)), _text(actor),
                      address, object_type, object_id, _text(summary)])
        written += 1
    if capped:
        sheet.append([_("（仅导出前 %(n)d 条，请缩小筛选范围）") % {"n": cap}])
    info = book.create_sheet(_("说明"))
    info.append([_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for label, value in notes:
        info.append([str(label), _text(value)])
    book.save(out)
    return LedgerResult(rows=written, capped=capped, cap=cap)
