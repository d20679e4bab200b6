"""The audit trail (安全审计): a filterable list and its Excel export, for the audit administrator only.

Everyone else — a clerk, the security and system administrators, a superuser — gets 404 (the selector
decides, accounts.scopes.may_read_audit). The export is itself recorded in the trail.
"""

import tempfile
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yimen.accounts.scopes import may_read_audit
from yimen.audit.export import audit_export_write
from yimen.audit.models import AuditKind
from yimen.audit.selectors import AuditFilters, audit_event_list
from yimen.audit.services import audit_record

from ..forms.audit import AuditFilterForm

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form(request) -> AuditFilterForm:
    if not may_read_audit(request.user):
        raise Http404
    return AuditFilterForm(request.GET or None)


def _query(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])


@login_required
@require_GET
def audit_list(request):
    form = _form(request)
    filters = form.to_filters() if form.is_bound and form.is_valid() else AuditFilters()
    raw = request.GET.get("page", "")
    number = max(1, min(int(raw), 100_000)) if raw.isdigit() else 1
    start = (number - 1) * PAGE_SIZE
    # One more row than shown says whether there is a next page, without counting the whole trail.
    rows = list(audit_event_list(user=request.user, filters=filters)[start:start + PAGE_SIZE + 1])
    query = _query(request)
    page = SimpleNamespace(number=number, has_previous=number > 1, has_next=len(rows) > PAGE_SIZE,
                           query=f"{query}&" if query else "")
    context = {"title": _("安全审计"), "active_section": "audit", "form": form, "events": rows[:PAGE_SIZE],
               "page": page, "export_query": query}
    return render(request, "web/audit/list.html", context)


@login_required
@require_GET
def audit_export(request):
    form = _form(request)
    if form.is_bound and not form.is_valid():
        context = {"title": _("安全审计"), "active_section": "audit", "form": form, "events": [], "page": None}
        return render(request, "web/audit/list.html", context, status=400)
    filters = form.to_filters() if form.is_bound else AuditFilters()
    notes = form.described() if form.is_bound else []
    out = tempfile.TemporaryFile()
    result = audit_export_write(audit_event_list(user=request.user, filters=filters), out,
                                notes=[*notes, (_("导出人"), request.user.get_username())])
    audit_record(kind=AuditKind.EXPORTED, request=request, object_type="audit.auditevent",
                 summary=lambda: _("导出审计记录 %(n)d 条") % {"n": result.rows},
                 details={"rows": result.rows, "capped": result.capped, "filters": dict(notes)})
    out.seek(0)
    response = FileResponse(out, content_type=XLSX)
    name = _("审计记录") + timezone.localdate().strftime("_%Y%m%d") + ".xlsx"
    fallback = "yimen-audit" + timezone.localdate().strftime("-%Y%m%d") + ".xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return response


urlpatterns = [
    path("audit/", audit_list, name="audit"),
    path("audit/export.xlsx", audit_export, name="audit_export"),
]
