"""Every error of the API is JSON: {"code", "message", "field"?} with a Chinese message.

The one place where a DomainError becomes an HTTP response, and where pydantic's validation errors
(422 in Ninja by default) become 400s that name the field in Chinese.
"""

import logging
from contextlib import contextmanager

import pydantic
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yimen.cases.labels import describe, field_label, field_path  # noqa: F401 (the API's names for them)
from yimen.common.errors import DomainError
from yimen.common.incidents import log_server_error
from yimen.common.responses import (  # noqa: F401 (the API's names for them)
    ChineseJSONRenderer,
    error_body,
    json_response,
    not_found_response,
    server_error_response,
    to_json_native,
)
from yimen.common.text import is_nul_storage_error, nul_refused_message

logger = logging.getLogger(__name__)


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


def _on_404(request, exc):
    return not_found_response()


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
