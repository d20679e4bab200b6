"""The request being served, for audit records written from hooks that are not given it (a password set)."""

from contextvars import ContextVar

_request: ContextVar = ContextVar("yimen_audit_request", default=None)


def current_request():
    return _request.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
