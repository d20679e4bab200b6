"""Every error of the API is JSON: {"code", "message", "field"?} with a Chinese message.

The one place where a DomainError becomes an HTTP response, and where pydantic's validation errors
(422 in Ninja by default) become 400s that name the field in Chinese.
"""

import datetime as dt
import json
import logging
import re
from contextlib import contextmanager

import pydantic
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from yimen.common.errors import DomainError
from yimen.common.incidents import log_server_error
from yimen.common.text import control_character_message, is_nul_storage_error, nul_refused_message
from yimen.common.words import choices_text, join_list

from .schemas import CONTROL_CHARACTERS, FIELD_CHOICES, FIELD_LABELS

logger = logging.getLogger(__name__)


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


# ---------------------------------------------------------------------------------------------
# Validation errors in Chinese


def field_path(loc) -> str:
    """('parties', 0, 'name') → "parties[0].name"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += "(键)"
        else:
            path += ("." if path else "") + str(part)
    return path


def _lookup(table: dict, path: str, context: str):
    bare = re.sub(r"\[\d+\]|\(键\)", "", path)
    for name in (f"{context}.{bare}" if context else None, bare, bare.rsplit(".", 1)[-1]):
        if name and name in table:
            return table[name]
    return None


def field_label(path: str, context: str = "") -> str:
    return _lookup(FIELD_LABELS, path, context) or path or _("请求体")


def _expected(error: dict, path: str, context: str) -> str:
    choices = _lookup(FIELD_CHOICES, path, context)
    if choices is not None:
        return choices_text(choices.choices)
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return join_list(part.strip() for part in expected.replace(" or ", ", ").replace("'", "").split(", "))


def _reason(error: dict) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("未填写")
    if kind in ("string_too_long", "too_long"):
        limit = ctx.get("max_length")
        return _("不能超过%(n)s个字") % {"n": limit} if kind == "string_too_long" else _("最多%(n)s项") % {"n": limit}
    if kind in ("string_too_short", "too_short"):
        limit = ctx.get("min_length")
        return _("不能为空") if limit == 1 else _("至少需要%(n)s项") % {"n": limit}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("必须是整数")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("必须是数字")
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return _("位数过多")
    if kind in ("greater_than_equal", "greater_than"):
        return _("不能小于%(n)s") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("不能大于%(n)s") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("bool_parsing", "bool_type"):
        return _("必须是 true 或 false")
    if kind.startswith(("datetime", "date")):
        return _("必须是日期或日期时间，如 2025-03-01 或 2025-03-01T09:30:00+08:00")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("应为列表")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("应为对象")
    if kind in ("string_type", "string_sub_type"):
        return _("应为文字")
    if kind == "string_pattern_mismatch":
        return _("格式不正确")
    if kind == "json_invalid":
        return _("不是有效的 JSON")
    if kind == "value_error":
        return str(ctx.get("error", "")).removeprefix("Value error, ") or _("格式不正确")
    return _("格式不正确")


def describe(error: dict, context: str = "") -> tuple[str, str]:
    """(field, Chinese message) for one pydantic error."""
    path = field_path(error.get("loc") or ())
    label = field_label(path, context)
    kind = error.get("type")
    if kind == "missing":
        return path, _("请填写%(label)s（%(field)s）。") % {"label": label, "field": path}
    if kind == CONTROL_CHARACTERS:
        return path or "body", control_character_message(label=label if path else _("请求体"), field=path or "body")
    if kind == "extra_forbidden":
        return path, _("不认识的字段“%(field)s”，请检查拼写（接口文档列出了可用的字段）。") % {"field": path}
    if kind in ("enum", "literal_error"):
        return path, _("%(label)s（%(field)s）的取值无效，可选：%(expected)s。") % {
            "label": label, "field": path, "expected": _expected(error, path, context)}
    if not path:
        return "body", _("请求体%(reason)s。") % {"reason": _reason(error)}
    return path, _("%(label)s（%(field)s）%(reason)s。") % {"label": label, "field": path, "reason": _reason(error)}


def invalid_response(errors: list[dict], context: str = "") -> HttpResponse:
    described = [describe(e, context) for e in errors] or [("body", _("请求内容无效。"))]
    field, message = described[0]
    return json_response(
        400,
        error_body("invalid", message, field=field, errors=[{"field": f, "message": m} for f, m in described]),
    )


class BodyInvalid(Exception):
    """Raised by the doors' own parsing (JSON body, multipart payload) with pydantic's errors."""

    def __init__(self, errors: list[dict], context: str = ""):
        super().__init__(errors)
        self.errors = errors
        self.context = context

    @classmethod
    def from_pydantic(cls, exc: pydantic.ValidationError, *, prefix: tuple = (), context: str = ""):
        errors = []
        for error in exc.errors(include_url=False):
            error = dict(error)
            error["loc"] = prefix + tuple(error.get("loc") or ())
            errors.append(error)
        return cls(errors, context)


@contextmanager
def renamed_fields(names: dict[str, str]):
    """A DomainError raised inside names a field by the service's name: give the API's name."""
    try:
        yield
    except DomainError as exc:
        exc.field = names.get(exc.field, exc.field)
        raise


# ---------------------------------------------------------------------------------------------
# Handlers


# A 429 without a known wait still tells the client when to come back (RFC 9110 §10.2.3).
DEFAULT_RETRY_AFTER = 60

def _on_domain_error(request, exc: DomainError):
    extra = {k: v for k, v in (exc.details or {}).items() if isinstance(v, (str, int, float, bool, list)) and v is not None}
    if "current_status" in extra:
        from yimen.cases.models import Status

        extra["current_status_label"] = str(Status(extra["current_status"]).label)
    headers = {}
    if exc.status == 429:
        headers["Retry-After"] = str(max(1, int((exc.details or {}).get("retry_after") or DEFAULT_RETRY_AFTER)))
    return json_response(exc.status, error_body(exc.code, exc.message, field=exc.field, **extra), headers=headers)


_SCHEMA_PARAMS = frozenset({"q"})


def _on_validation_error(request, exc: ValidationError):
    # Ninja's own parsing (query string, path): loc starts with the source ("query", "path", …).
    errors = []
    for error in exc.errors:
        error = dict(error)
        loc = tuple(error.get("loc") or ())
        if loc and loc[0] in ("query", "path", "body", "form", "file", "header", "cookie"):
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in _SCHEMA_PARAMS:
            loc = loc[1:]  # a whole query schema is one parameter (`q`); its fields are the names
        error["loc"] = loc
        errors.append(error)
    return invalid_response(errors)


def _on_body_invalid(request, exc: BodyInvalid):
    return invalid_response(exc.errors, exc.context)


def _on_authentication_error(request, exc):
    return json_response(
        401,
        error_body("unauthenticated", _("未登录或访问令牌无效。请在请求头中携带 Authorization: Bearer <令牌>。")),
        headers={"WWW-Authenticate": 'Bearer realm="yimen"'},
    )


def _on_http_error(request, exc: HttpError):
    codes = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 429: "throttled"}
    headers = {"Retry-After": str(DEFAULT_RETRY_AFTER)} if exc.status_code == 429 else {}
    return json_response(exc.status_code, error_body(codes.get(exc.status_code, "error"), exc.message), headers=headers)


def not_found_response() -> HttpResponse:
    return json_response(404, error_body("not_found", _("请求的资源不存在。")))


def _on_404(request, exc):
    return not_found_response()


def server_error_response(reference: str) -> HttpResponse:
    """The API's 500: a code, a plain message and the reference in the log — nothing of the request."""
    message = _("服务器内部错误，请稍后重试；如果问题持续，请把参考编号 %(reference)s 告诉管理员。") % {"reference": reference}
    return json_response(500, error_body("server_error", message, reference=reference))


def _on_exception(request, exc):
    if is_nul_storage_error(exc):
        # A field no schema checked (yimen.common.text): still the client's mistake, not a 500.
        logger.warning("NUL character reached the database on %s %s: a field lacks the check", request.method, request.path)
        return json_response(400, error_body("invalid", nul_refused_message()))
    if settings.DEBUG:
        raise exc
    return server_error_response(log_server_error(request, logger=logger))


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(DomainError, _on_domain_error)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(BodyInvalid, _on_body_invalid)
    api.add_exception_handler(AuthenticationError, _on_authentication_error)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(Http404, _on_404)
    api.add_exception_handler(Exception, _on_exception)
