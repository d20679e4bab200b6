"""Domain errors: raised by services, turned into a form error or an API response in one place."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule said no. `code` is stable for machines; `message` is for people (zh-hans)."""

    status = 400
    code = "invalid"

    def __init__(self, message, *, code: str | None = None, field: str | None = None, **details):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def __str__(self):
        return str(self.message)


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("事项不存在或不在您的权限范围内。"), **kwargs)


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class RateLimited(DomainError):
    """Too many requests from one phone or address; `retry_after` is in seconds."""

    status = 429
    code = "rate_limited"
