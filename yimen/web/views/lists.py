"""The matter list (事项台账): filters, sorting, paging, saved filters, and the Excel ledger.

Every read goes through the scoped selectors (case_page, case_list_bounded) inside
list_time_limit(), so a filter too broad for PostgreSQL answers with a request to narrow it.
"""

import tempfile
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yimen.audit.models import AuditKind
from yimen.audit.services import audit_record
from yimen.cases.ledger import export_max_rows, ledger_write
from yimen.cases.models import Channel, Urgency
from yimen.cases.selectors import (
    CASE_SORTS, DEFAULT_SORT, KEYSET_SORTS, LIST_COUNT_CAP, case_list_bounded, case_page, list_time_limit,
)
from yimen.common.dbrouter import reads_on_replica
from yimen.common.errors import InvalidInput

from ..errors import found_or_404
from ..forms.filters import SORT_LABELS, CaseFilterForm, SavedFilterForm, filter_query
from ..saved_filters import saved_filter_delete, saved_filter_get, saved_filter_save, saved_filters_for

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def case_list(request):
    return _render_list(request, request.GET)


@login_required
@require_GET
@reads_on_replica
def case_export(request):
    form = CaseFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请更正后再导出。"))
        return redirect(_list_url(request.GET))
    out = tempfile.TemporaryFile()  # openpyxl writes the zip here, not in memory
    try:
        with list_time_limit(request.user):
            qs = case_list_bounded(user=request.user, filters=form.to_filters(), sort=form.chosen_sort())
            result = ledger_write(qs, out, notes=[*form.described(), (_("导出人"), request.user.get_full_name() or request.user.username)])
        audit_record(kind=AuditKind.EXPORTED, request=request, summary=lambda: _("导出事项台账 %(n)d 行") % {"n": result.rows},
                     object_type="cases.case", details={"rows": result.rows, "capped": result.capped,
                                                        "filters": {str(k): str(v) for k, v in form.described()}})
    except InvalidInput as error:
        out.close()
        messages.error(request, str(error.message))
        return redirect(_list_url(request.GET))
    out.seek(0)
    response = FileResponse(out, content_type=XLSX)
    response["Content-Disposition"] = _attachment(_("事项台账") + timezone.localdate().strftime("_%Y%m%d") + ".xlsx")
    return response


@login_required
@require_POST
def saved_filter_create(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        query = filter_query(QueryDict(form.cleaned_data["query"]))
        try:
            saved, created = saved_filter_save(user=request.user, name=form.cleaned_data["name"], query=query)
        except InvalidInput as error:
            form.add_error("name", str(error.message))
        else:
            messages.success(request, (_("已保存筛选“%s”。") if created else _("已更新筛选“%s”。")) % saved.name)
            return redirect(_list_url(QueryDict(saved.query)))
    return _render_list(request, QueryDict(request.POST.get("query", "")), save_form=form, status=400)


@login_required
@require_GET
def saved_filter_apply(request, pk: int):
    saved = found_or_404(saved_filter_get, user=request.user, pk=pk)
    return redirect(_list_url(QueryDict(saved.query)))


@login_required
@require_POST
def saved_filter_remove(request, pk: int):
    saved = found_or_404(saved_filter_delete, user=request.user, pk=pk)
    messages.success(request, _("已删除筛选“%s”。") % saved.name)
    return redirect(_list_url(QueryDict(request.POST.get("back", ""))))


def _render_list(request, params, *, save_form=None, status=200):
    form = CaseFilterForm(params, user=request.user)
    page, error = None, None
    if form.is_valid():
        try:
            with list_time_limit(request.user):
                page = case_page(user=request.user, filters=form.to_filters(), sort=form.chosen_sort(),
                                 after=params.get("after"), before=params.get("before"),
                                 page=_int(params.get("page")), limit=PAGE_SIZE)
        except InvalidInput as error_:
            error = str(error_.message)
    if page:
        _decorate(page.items)
    query = filter_query(params)
    context = {
        "title": _("事项台账"), "active_section": "cases", "form": form, "page": page, "error": error,
        "query": query, "links": _links(query, page), "sort_label": SORT_LABELS.get(page.sort) if page else "",
        "count_cap_text": f"{LIST_COUNT_CAP:,}", "export_cap_text": f"{export_max_rows():,}", "export_url": reverse("web:case_export") + (f"?{query}" if query else ""),
        "save_form": save_form or SavedFilterForm(initial={"query": query}),
        "saved_filters": saved_filters_for(request.user), "htmx": bool(request.headers.get("HX-Request")),
    }
    template = "web/lists/_case_rows.html" if context["htmx"] else "web/lists/case_list.html"
    return render(request, template, context, status=status)


def _decorate(cases) -> None:
    """Per-row texts computed once per page: a choice's label looked up per row (get_FOO_display)
    rebuilds the whole choices table each time, which on a 50-row page cost more than the query."""
    channels, urgencies = ({str(k): str(v) for k, v in choices.choices} for choices in (Channel, Urgency))
    detail = reverse("web:case_detail", args=["0"])[: -len("0/")]
    for case in cases:
        case.detail_url = f"{detail}{quote(case.number)}/"
        case.channel_label = channels.get(case.channel, case.channel)
        case.urgency_label = urgencies.get(case.urgency, case.urgency)
        # "烦心事·" / "协商办": a narrow column breaks the label only at its dot, the date only before the time.
        head, dot, tail = case.urgency_label.partition("·")
        case.urgency_parts = [head + dot, tail] if tail else [case.urgency_label]
        received = timezone.localtime(case.received_at)
        case.received_date, case.received_time = received.strftime("%Y-%m-%d"), received.strftime("%H:%M")


def _links(query: str, page) -> dict:
    """Sort links for the column heads (each keeps the filters, drops the paging) and pager links."""
    base = QueryDict(query, mutable=True)
    current = base.get("sort") or DEFAULT_SORT

    def with_(**changes) -> str:
        params = base.copy()
        for key, value in changes.items():
            params.pop(key, None)
            if value is not None:
                params[key] = value
        return "?" + params.urlencode()

    sorts = {key: with_(sort=None if key == DEFAULT_SORT else key) for key in CASE_SORTS}
    sorts["received_toggle"] = sorts["received" if current == DEFAULT_SORT else DEFAULT_SORT]
    links = {"sort": sorts, "current_sort": page.sort if page else current, "first": with_()}
    if page and page.sort in KEYSET_SORTS:
        sort = None if page.sort == DEFAULT_SORT else page.sort
        links["next"] = with_(sort=sort, after=page.next_cursor) if page.next_cursor else None
        links["prev"] = with_(sort=sort, before=page.prev_cursor) if page.prev_cursor else None
    elif page:
        links["next"] = with_(page=str(page.page + 1)) if page.page < page.pages else None
        links["prev"] = with_(page=str(page.page - 1)) if page.page > 1 else None
    return links


def _list_url(params) -> str:
    query = filter_query(params)
    return reverse("web:case_list") + (f"?{query}" if query else "")


def _attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback and the real (Chinese) name per RFC 5987/6266."""
    fallback = "yimen-ledger" + timezone.localdate().strftime("-%Y%m%d") + ".xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _int(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


urlpatterns = [
    path("cases/", case_list, name="case_list"),
    # No trailing slash, and saved filters under their own prefix: nothing here can be read as a
    # matter number by the matter page's cases/<number>/… routes, whichever module is listed first.
    path("cases/export.xlsx", case_export, name="case_export"),
    path("saved-filters/", saved_filter_create, name="saved_filter_create"),
    path("saved-filters/<int:pk>/", saved_filter_apply, name="saved_filter_apply"),
    path("saved-filters/<int:pk>/delete/", saved_filter_remove, name="saved_filter_delete"),
]
