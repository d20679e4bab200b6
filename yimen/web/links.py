"""Links the workbench prints for residents (on receipts and notices).

The residents' pages are their own issue; this is the one function that spells their tracking
address, so the receipt's QR code and that page agree. The residents' pages must serve
GET /r/track/?number=<事项编号>&code=<查询码>.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

RESIDENT_TRACK_PATH = "/r/track/"


def resident_track_url(request, case) -> str:
    """The absolute address a resident opens to follow `case` (what the receipt's QR code holds).

    Built on YIMEN_PUBLIC_BASE_URL when set (e.g. "https://jfm.example.gov.cn": the address residents
    reach, which differs from the intranet name the clerk's browser used), else on the address of
    this request. The setting is read at call time, so override_settings works.
    """
    path = f"{RESIDENT_TRACK_PATH}?{urlencode({'number': case.number, 'code': case.query_code})}"
    base = (getattr(settings, "YIMEN_PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def resident_start_url(request, centre) -> str:
    """The absolute address of `centre`'s start page on the residents' side (what its QR code and
    poster hold), built on YIMEN_PUBLIC_BASE_URL like resident_track_url."""
    path = reverse("web:resident_start", kwargs={"code": centre.region.code})
    base = (getattr(settings, "YIMEN_PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)
