"""Reading and writing ledger files (台账): CSV in any common Chinese encoding, or XLSX.

Errors are `LedgerError` with a Chinese message a clerk can act on ("文件中没有名为“诉求内容”的列").
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class LedgerError(ValueError):
    """The ledger file cannot be used; the message is for the user, in Chinese."""


@dataclass
class Ledger:
    path: Path
    columns: list[str]
    rows: list[dict[str, Any]]
    encoding: str = ""

    def column(self, name: str) -> list[str]:
        return ["" if r.get(name) is None else str(r.get(name)).strip() for r in self.rows]


_ENCODINGS = ("utf-8-sig", "gb18030", "utf-16")


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: Sequence[str] = ("utf-16",)
    else:
        candidates = _ENCODINGS[:2]
    for enc in candidates:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        # gb18030 decodes most byte soups; text full of control characters is not a ledger.
        controls = sum(1 for ch in text[:5000] if ord(ch) < 32 and ch not in "\r\n\t")
        if controls > max(3, len(text[:5000]) // 100):
            continue
        return text, enc
    raise LedgerError(f"无法识别文件“{name}”的编码，请用 Excel 另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再试")


def _read_csv(path: Path) -> Ledger:
    text, enc = _decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerError(f"文件“{path.name}”是空的") from None
    except csv.Error as exc:
        raise LedgerError(f"文件“{path.name}”不是有效的 CSV：{exc}") from None
    columns = [h.strip() for h in header]
    rows = []
    try:
        for rec in reader:
            if not any(cell.strip() for cell in rec):
                continue
            rows.append({c: (rec[i] if i < len(rec) else "") for i, c in enumerate(columns)})
    except csv.Error as exc:
        raise LedgerError(f"文件“{path.name}”第{reader.line_num}行格式有误：{exc}") from None
    return Ledger(path, columns, rows, enc)


def _read_xlsx(path: Path) -> Ledger:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise LedgerError(f"无法读取 Excel 文件“{path.name}”（{exc.__class__.__name__}），请确认是 .xlsx 格式且未加密") from None
    try:
        ws = wb.worksheets[0]
        columns: list[str] | None = None
        rows: list[dict[str, Any]] = []
        for values in ws.iter_rows(values_only=True):
            if columns is None:
                if any(v not in (None, "") for v in values):
                    columns = ["" if v is None else str(v).strip() for v in values]
                continue
            if not any(v not in (None, "") for v in values):
                continue
            rows.append({c: values[i] if i < len(values) else None for i, c in enumerate(columns) if c})
    finally:
        wb.close()
    if columns is None:
        raise LedgerError(f"Excel 文件“{path.name}”的第一个工作表是空的")
    return Ledger(path, [c for c in columns if c], rows, "xlsx")


def read_ledger(path: str | Path, *, required: Sequence[str] = ()) -> Ledger:
    path = Path(path)
    if not path.exists():
        raise LedgerError(f"找不到文件“{path}”")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        ledger = _read_xlsx(path)
    elif suffix == ".xls":
        raise LedgerError("不支持旧版 .xls 文件，请用 Excel 另存为 .xlsx 或 CSV")
    else:
        ledger = _read_csv(path)
    missing = [c for c in required if c not in ledger.columns]
    if missing:
        shown = "、".join(f"“{c}”" for c in missing)
        have = "、".join(f"“{c}”" for c in ledger.columns) or "（无）"
        raise LedgerError(f"文件“{path.name}”中没有名为{shown}的列；文件中的列有：{have}")
    return ledger


def write_ledger(path: str | Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(list(columns))
        for r in rows:
            ws.append([r.get(c) for c in columns])
        wb.save(path)
    else:
        # utf-8-sig so that Excel on a Chinese Windows desktop opens it without garbling.
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for r in rows:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return path
