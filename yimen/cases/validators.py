"""Field validators shared by forms and API schemas (one definition each)."""

import re

from django.utils.translation import gettext as _

from yimen.common.errors import InvalidInput

_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def validate_id_number(value: str, *, field: str = "id_number") -> str:
    """A resident identity card number (18 digits with its check digit, or the old 15)."""
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        return ""
    if _ID15.match(value):
        return value
    if not _ID18.match(value):
        raise InvalidInput(_("身份证号码应为18位（最后一位可为X）。"), field=field)
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS))
    if _CHECK[total % 11] != value[17]:
        raise InvalidInput(_("身份证号码校验位不正确，请核对。"), field=field)
    return value


def validate_phone(value: str, *, field: str = "phone") -> str:
    value = re.sub(r"[\s()]", "", (value or "").strip())
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise InvalidInput(_("联系电话格式不正确（手机号11位，或带区号的固定电话）。"), field=field)
    return value


def id_number_check_digit(first17: str) -> str:
    """For the demo data and tests: the check digit that makes a valid number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]
