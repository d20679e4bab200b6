"""Two backstops that keep promises every door makes, for the door that forgets.

- A NUL character that reached PostgreSQL (a field no validator saw) is a 400, not a server error;
  the log names the path so the missing check can be added. The field-naming messages come from the
  validators (yimen.common.text); this only keeps a forgotten door safe.
- Every 429 carries Retry-After (seconds): a view that knows the wait sets it; otherwise a minute.
"""

import logging

from django.http import HttpResponse

from yimen.common.text import is_nul_storage_error, nul_refused_message

logger = logging.getLogger("yimen.errors")

DEFAULT_RETRY_AFTER = 60


class ErrorBackstopMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(getattr(request, "yimen_retry_after", None) or DEFAULT_RETRY_AFTER)
        return response

    def process_exception(self, request, exception):
        if not is_nul_storage_error(exception):
            return None
        logger.warning("NUL character reached the database on %s %s: a field lacks the check", request.method, request.path)
        if request.path.startswith("/api/"):
            from yimen.common.responses import error_body, json_response

            return json_response(400, error_body("invalid", nul_refused_message()))
        return HttpResponse(nul_refused_message(), status=400, content_type="text/plain; charset=utf-8")


def note_retry_after(request, error) -> None:
    """A view that refused with RateLimited (even inside a re-rendered form) notes the wait here."""
    seconds = (getattr(error, "details", None) or {}).get("retry_after")
    if getattr(error, "status", None) == 429 and seconds:
        request.yimen_retry_after = int(seconds)
