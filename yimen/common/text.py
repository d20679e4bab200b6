"""Text that people type: the one rule on invisible control characters, for every door.

A NUL byte cannot be stored by PostgreSQL (the request ends in a 500) and other C0/C1 control
characters (Unicode category Cc) hide text from a reader, break exports and terminals, and are
never typed on purpose. Every API schema, query filter, path parameter and web form refuses them
through this module, with a message naming the field. Long free text keeps tab, newline and
carriage return (people write paragraphs); a single-line field keeps none of them.
"""

import unicodedata

from django.utils.translation import gettext as _

# Allowed in long free text only (descriptions, reasons, notes).
MULTILINE_ALLOWED = frozenset("\t\n\r")


def control_character(value: str, *, multiline: bool) -> str | None:
    """The first refused control character in `value`, or None when the text is clean."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    for ch in value:
        # Fast path: printable ASCII and everything from U+00A0 on is not Cc.
        if " " <= ch <= "~" or ch >= "\xa0":
            continue
        if ch not in allowed and unicodedata.category(ch) == "Cc":
            return ch
    return None


def has_control_characters(value, *, multiline: bool) -> bool:
    """Any refused control character in `value`, walking lists, tuples and dict keys and values."""
    if isinstance(value, str):
        return control_character(value, multiline=multiline) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k, multiline=False) or has_control_characters(v, multiline=multiline)
                   for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(has_control_characters(v, multiline=multiline) for v in value)
    return False


def control_character_message(*, label, field: str) -> str:
    """ "“事项描述”（description）含有不可见的控制字符，请删除后重试。" """
    if label and str(label) != field:
        return _("“%(label)s”（%(field)s）含有不可见的控制字符，请删除后重试。") % {"label": label, "field": field}
    return _("“%(field)s”含有不可见的控制字符，请删除后重试。") % {"field": field}


def is_nul_storage_error(exc: BaseException) -> bool:
    """PostgreSQL's refusal of a NUL character (psycopg raises it before the query is sent): a door
    that forgot the check above. The backstops answer 400 instead of 500."""
    from django.db import DataError

    return isinstance(exc, DataError) and "NUL" in str(exc)


def nul_refused_message() -> str:
    return _("提交的内容含有不可见的控制字符，请删除后重试。")
