"""Keyset pagination over (received_at, id), newest first — the order of case_list_for_user.

Page 10,000 costs what page 1 costs: the next page starts where the last row left off
(`received_at <= t AND (received_at < t OR id < last_id)`, which lets the database walk the
received_at index), never OFFSET. The cursor is opaque to clients: base64 of the last row's key.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yimen.cases.selectors import decode_case_cursor, encode_case_cursor, keyset_q
from yimen.common.errors import InvalidInput


@dataclass
class Page:
    items: list
    next_cursor: str | None


encode_cursor = encode_case_cursor  # the one cursor format, shared with the workbench's lists


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        return decode_case_cursor(cursor)
    except InvalidInput:
        # The API names its own parameter in the message.
        raise InvalidInput(_("分页游标（cursor）无效：请使用上一页返回的 next_cursor。"), field="cursor") from None


def keyset_page(qs: QuerySet, *, cursor: str | None, limit: int) -> Page:
    """`qs` must be case_list_for_user's, newest first (its list key: -list_received, -list_id)."""
    if cursor:
        received_at, pk = decode_cursor(cursor)
        qs = qs.filter(keyset_q(received_at, pk))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].received_at, rows[-1].pk) if more else None)
