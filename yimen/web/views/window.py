"""The unified window (无差别受理), the receipt (受理回执) and the notice of non-acceptance (不予受理告知书).

The window is one form for any matter; it calls intake.case_register and sends the clerk to the
printable receipt. Its htmx helpers (a party's earlier matters, category type-ahead, the place
cascade) are reads through cases.lookups, scoped to the user.
"""

import re

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yimen.cases import lookups
from yimen.cases.intake import case_register
from yimen.common.errors import DomainError
from yimen.regions.selectors import cascade_choice, region_cascade

from ..errors import add_domain_error, found_or_404
from ..forms.window import PartyFormSet, PartyLookupForm, WindowForm
from ..links import resident_track_url

_PARTY_FIELD = re.compile(r"parties\[(\d+)\]\.(\w+)")
RECEIPT_SIZES = {"a4": "A4", "a5": "A5"}


@login_required
def window(request):
    roots = lookups.register_roots_for(request.user)
    if request.method != "POST":
        initial = WindowForm.initial_for(region_code=roots[0].code if roots else "")
        return _render(request, WindowForm(initial=initial), PartyFormSet(prefix="parties"), roots)
    form = WindowForm(request.POST, request.FILES)
    parties = PartyFormSet(request.POST, prefix="parties")
    if not (form.is_valid() and parties.is_valid()):
        return _render(request, form, parties, roots, status=400)
    party_inputs, rows = parties.parties()
    try:
        case = case_register(actor=request.user, data=form.case_input(party_inputs))
    except DomainError as error:
        _put_error(form, parties, rows, error)
        return _render(request, form, parties, roots, status=error.status)
    messages.success(request, _("已登记：%(number)s。请打印受理回执交给群众。") % {"number": case.number})
    return redirect("web:case_receipt", number=case.number)


def _put_error(form, parties, rows: list[int], error: DomainError) -> None:
    """Intake names a party's field as `parties[i].name` (i counts filled-in rows): put it on that row."""
    match = _PARTY_FIELD.fullmatch(error.field or "")
    if match and int(match[1]) < len(rows):
        row = parties.forms[rows[int(match[1])]]
        if match[2] in row.fields:
            row.add_error(match[2], str(error.message))
            return
    add_domain_error(form, error)


def _render(request, form, parties, roots, *, status=200):
    bound = form.is_bound
    _focus_first(form, parties)
    return render(request, "web/window/form.html", {
        "title": _("无差别受理"), "active_section": "window", "form": form, "parties": parties,
        "can_register": bool(roots),
        "cascade": region_cascade(roots=roots, selected_code=form["region"].value() or ""),
        "errors": _error_summary(form, parties) if bound else [],
        "lost_files": [f.name for f in request.FILES.getlist("attachments")] if bound else [],
    }, status=status if roots else 403)


def _focus_first(form, parties) -> None:
    """Focus the first field with an error, else the first field of the form."""
    for f in [form, *parties.forms]:
        for name in f.errors:
            if name in f.fields:
                f.fields[name].widget.attrs["autofocus"] = True
                return
    form.fields["channel"].widget.attrs["autofocus"] = True


def _error_summary(form, parties) -> list[str]:
    """Each error once, with the field's Chinese name ("第1名当事人·证件号码：…")."""
    lines = []
    for name, errs in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        lines += [f"{label}：{e}" if label else e for e in errs]
    for index, row in enumerate(parties.forms, start=1):
        for name, errs in row.errors.items():
            label = _("第%(n)d名当事人·%(field)s") % {"n": index, "field": row.fields[name].label} if name in row.fields else ""
            lines += [f"{label}：{e}" if label else e for e in errs]
    lines += list(parties.non_form_errors())
    return lines


@login_required
@require_GET
def window_party_lookup(request):
    """A party row's ID number or phone → that person's earlier matters in the user's scope."""
    form = PartyLookupForm(request.GET)
    history = None
    if form.is_valid():
        history = lookups.party_history_for_user(user=request.user, **form.cleaned_data)
    return render(request, "web/window/_party_history.html", {"lookup": form, "history": history})


@login_required
@require_GET
def window_categories(request):
    """Type-ahead over the category tree."""
    found = lookups.category_search(request.GET.get("q", ""))
    return render(request, "web/window/_categories.html", {"found": found, "q": request.GET.get("q", "").strip()})


@login_required
@require_GET
def window_regions(request):
    """The place cascade after a choice: the chosen path and the next level's choices, within scope."""
    cascade = lookups.place_cascade_for(request.user, selected_code=cascade_choice(request.GET.getlist("region")))
    return render(request, "web/window/_regions.html", {"cascade": cascade})


@login_required
@require_GET
def case_receipt(request, number):
    """受理回执: printable on A4 (default) or A5 (?size=a5)."""
    case = found_or_404(lookups.case_receipt_get, user=request.user, number=number)
    size = request.GET.get("size") if request.GET.get("size") in RECEIPT_SIZES else "a4"
    track_url = resident_track_url(request, case)
    return render(request, "web/window/receipt.html", {
        "title": _("受理回执"), "active_section": "window", "case": case, "centre": case.registering_centre,
        "category_path": lookups.category_paths().get(case.category_id, ""),
        "track_url": track_url, "qr_svg": qr_svg(track_url, scale=4 if size == "a4" else 3),
        "size": size, "page_size": RECEIPT_SIZES[size], "sizes": RECEIPT_SIZES,
    })


@login_required
@require_GET
def case_not_accept_notice(request, number):
    """不予受理告知书: printable on A4, for a matter not accepted, reason and where to go as written."""
    notice = found_or_404(lookups.not_accept_notice_get, user=request.user, number=number)
    return render(request, "web/case/not_accept_notice.html", {
        "title": _("不予受理告知书"), "active_section": "cases", "notice": notice, "case": notice.case,
        "centre": notice.case.owning_centre,
    })


def qr_svg(text: str, *, scale: int = 4) -> str:
    """`text` as an inline SVG QR code (segno; no request leaves the server)."""
    return mark_safe(segno.make(text, error="m").svg_inline(scale=scale, border=2, svgclass="qr", lineclass="qr-line"))


urlpatterns = [
    path("window/", window, name="window"),
    path("window/party-lookup/", window_party_lookup, name="window_party_lookup"),
    path("window/categories/", window_categories, name="window_categories"),
    path("window/regions/", window_regions, name="window_regions"),
    path("cases/<str:number>/receipt/", case_receipt, name="case_receipt"),
    path("cases/<str:number>/not-accepted-notice/", case_not_accept_notice, name="case_not_accept_notice"),
]
