"""Keyset pagination over (received_at, id), newest first — the order of case_list_for_user.

Page 10,000 costs what page 1 costs: the next page starts where the last row left off
(`received_at <= t AND (received_at < t OR id < last_id)`, which lets the database walk the
received_at index), never OFFSET. The cursor is opaque to clients: base64 of the last row's key.
"""

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yimen.common.errors import InvalidInput


@dataclass
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(received_at: dt.datetime, pk: int) -> str:
    raw = json.dumps([received_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        received_at = dt.datetime.fromisoformat(stamp)
        if received_at.tzinfo is None or not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidInput(_("分页游标（cursor）无效：请使用上一页返回的 next_cursor。"), field="cursor") from None
    return received_at, pk


def keyset_page(qs: QuerySet, *, cursor: str | None, limit: int) -> Page:
    """`qs` must be ordered by (-received_at, -id)."""
    if cursor:
        received_at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(received_at__lte=received_at) & (Q(received_at__lt=received_at) | Q(id__lt=pk)))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].received_at, rows[-1].pk) if more else None)
