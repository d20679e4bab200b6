"""Field validators shared by forms and API schemas (one definition each)."""

import datetime as dt
import re

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.common.errors import InvalidInput
from yimen.common.words import choices_text, join_list

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


def validate_mobile(value: str, *, field: str = "phone") -> str:
    """A mainland mobile number as 11 digits, for one-time SMS codes: "138 0013-8000", "+86 13800138000"
    and full-width digits (as Chinese input methods type them) → "13800138000"; required."""
    import unicodedata

    text = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value or ""))
    text = re.sub(r"^(\+86|0086)", "", text)
    if not _MOBILE.match(text):
        raise InvalidInput(_("请填写正确的11位手机号码。"), field=field)
    return text


def id_number_check_digit(first17: str) -> str:
    """For the demo data and tests: the check digit that makes a valid number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


# ---------------------------------------------------------------------------------------------
# Mediation sessions (调解记录): what a record of one session holds, checked once for the web form,
# the API and any importer (called by transitions.case_record_progress when kind is "mediation").


class RecordKind(models.TextChoices):
    """What a progress record is: a handling step, or one mediation session."""

    HANDLING = "handling", _l("办理")
    MEDIATION = "mediation", _l("调解")


class MediationMethod(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _l("面对面")
    BACK_TO_BACK = "back_to_back", _l("背对背")
    JOINT = "joint", _l("联合调解")
    ONLINE = "online", _l("线上")


# Spoken names staff type or older records carry; a call or a video call is a session held at a distance.
_METHOD_ALIASES = {"电话": MediationMethod.ONLINE, "视频": MediationMethod.ONLINE, "联合": MediationMethod.JOINT}

# The session's fields, their Chinese names and longest lengths (the form and the timeline use the names).
MEDIATION_FIELDS = {
    "date": _l("调解日期"),
    "place": _l("调解地点"),
    "mediators": _l("调解员"),
    "method": _l("调解方式"),
    "parties_present": _l("到场当事人"),
    "result": _l("调解结果"),
    "next_step": _l("下一步安排"),
    "session": _l("第几次调解"),
}
MEDIATION_TEXT_LENGTHS = {"place": 100, "mediators": 200, "parties_present": 300, "result": 1000, "next_step": 500}


def _mediation_method(value) -> str:
    value = str(value or "").strip()
    if value in MediationMethod.values:
        return value
    by_label = {str(m.label): m.value for m in MediationMethod}
    method = by_label.get(value) or _METHOD_ALIASES.get(value)
    if method is None:
        choices = choices_text((m.value, m.label) for m in MediationMethod)
        raise InvalidInput(
            _("调解方式的取值无效：%(value)s。可选：%(choices)s。") % {"value": value or _("（空）"), "choices": choices},
            field="details.method",
        )
    return str(method)


def _mediation_date(value, today: dt.date) -> str:
    if value in (None, ""):
        return today.isoformat()  # recorded the day it was held
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InvalidInput(_("调解日期格式不正确，应为 2025-03-01。"), field="details.date") from None
    if day > today:
        raise InvalidInput(_("调解日期不能晚于今天：只记录已经进行的调解。"), field="details.date")
    return day.isoformat()


def validate_mediation_session(details: dict | None, *, today: dt.date | None = None) -> dict:
    """A mediation session's details, cleaned: date (ISO, not in the future; default today), method
    (a MediationMethod value; its Chinese name is accepted too), and the optional texts place,
    mediators, parties_present, result and next_step. Unknown keys are refused, so a misspelt field
    is not silently dropped. Raises InvalidInput naming "details.<field>"."""
    from django.utils import timezone

    details = dict(details or {})
    strays = sorted(set(details) - set(MEDIATION_FIELDS))
    if strays:
        raise InvalidInput(
            _("调解记录中不认识的字段：%(names)s。") % {"names": join_list(strays)}, field=f"details.{strays[0]}"
        )
    today = today or timezone.localdate()
    cleaned = {"date": _mediation_date(details.get("date"), today), "method": _mediation_method(details.get("method"))}
    for name, limit in MEDIATION_TEXT_LENGTHS.items():
        text = str(details.get(name) or "").strip()
        if len(text) > limit:
            raise InvalidInput(
                _("%(label)s不能超过%(n)d个字。") % {"label": MEDIATION_FIELDS[name], "n": limit}, field=f"details.{name}"
            )
        cleaned[name] = text
    if details.get("session") not in (None, ""):
        try:
            cleaned["session"] = int(details["session"])
        except (TypeError, ValueError):
            raise InvalidInput(_("第几次调解必须是整数。"), field="details.session") from None
    return cleaned
