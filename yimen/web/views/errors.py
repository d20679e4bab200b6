"""What a user sees when something fails: the error pages, and the API's JSON under /api/.

A 500 must hold with DEBUG off and a broken database: the page is rendered from the template alone
(no request context, no user, no session), carries a reference id that is written in the log line
with the traceback (yimen.common.incidents), and shows nothing of the request or the settings.
"""

import logging

from django.http import HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found as django_page_not_found

from yimen.common.responses import not_found_response, server_error_response
from yimen.common.incidents import log_server_error

logger = logging.getLogger("yimen.errors")

API_PREFIX = "/api/"
RESIDENTS_PREFIX = "/r/"


def page_not_found(request, exception=None):
    """Unknown addresses under /api/ answer JSON whatever the method; elsewhere the plain page."""
    if request.path.startswith(API_PREFIX):
        return not_found_response()
    return django_page_not_found(request, exception)


def server_error(request):
    reference = log_server_error(request, logger=logger)
    if request.path.startswith(API_PREFIX):
        response = server_error_response(reference)
    else:
        response = _server_error_page(request.path.startswith(RESIDENTS_PREFIX), reference)
    # Logged above with the reference and the traceback; Django would log the same error again without it.
    response._has_been_logged = True
    return response


def _server_error_page(resident: bool, reference: str):
    context = {"reference": reference, "resident_page": resident, "staff_page": not resident}
    try:
        html = loader.get_template("500.html").render(context)
    except Exception:  # a broken template must not hide the reference
        logger.exception("The 500 page could not be rendered (%s)", reference)
        html = _("系统出错了。参考编号：%(reference)s") % {"reference": reference}
        return HttpResponseServerError(html, content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(html)
