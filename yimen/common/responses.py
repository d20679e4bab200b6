"""JSON responses as every door sends them: UTF-8 without escapes, times in local time, and the one
shape of an error body ({"code", "message", "field"?, …}). Knows no domain app: the API and the
workbench's JSON answers (404, 500, the middleware's) both use it.
"""

import datetime as dt
import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class _LocalTimeEncoder(NinjaJSONEncoder):
    """Times in the centre's own time zone (settings.TIME_ZONE, +08:00), as people read them."""

    def default(self, o):
        if isinstance(o, dt.datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON without \\u escapes, so `curl` shows 中文 as it is; times in local time."""

    encoder_class = _LocalTimeEncoder
    json_dumps_params = {"ensure_ascii": False}


_renderer = ChineseJSONRenderer()


def json_response(status: int, body, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        _renderer.render(None, body, response_status=status),
        status=status,
        content_type=f"{_renderer.media_type}; charset={_renderer.charset}",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def to_json_native(body):
    """The body exactly as it will be sent (datetimes, decimals rendered), as plain JSON data."""
    return json.loads(_renderer.render(None, body, response_status=200))


def error_body(code: str, message, *, field: str | None = None, **extra) -> dict:
    body = {"code": code, "message": str(message)}
    if field:
        body["field"] = field
    body.update(extra)
    return body


def not_found_response() -> HttpResponse:
    return json_response(404, error_body("not_found", _("请求的资源不存在。")))


def server_error_response(reference: str) -> HttpResponse:
    """The API's 500: a code, a plain message and the reference in the log — nothing of the request."""
    message = _("服务器内部错误，请稍后重试；如果问题持续，请把参考编号 %(reference)s 告诉管理员。") % {"reference": reference}
    return json_response(500, error_body("server_error", message, reference=reference))
