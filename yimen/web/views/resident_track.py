"""Residents' door, part two: tracking a matter, adding information, withdrawing, rating.

Doors only (STYLE.md §5). Who may open which matter is the session's proof (number + query code, or
a verified phone: yimen.residents.identity); every rule — wrong code, rate limits, which moves are
open, the reopen policy — is yimen.residents.services and cases.transitions. A matter this session
has not proved answers exactly like one that does not exist, so a number alone reveals nothing.
Every page works without JavaScript: plain forms, POST-redirect-GET.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yimen.cases.deadlines import due_label
from yimen.cases.models import Satisfaction
from yimen.common.errors import Conflict, DomainError, InvalidInput, NotFound, RateLimited, TooLarge
from yimen.residents.identity import session_grant_case, session_phone, session_verify_phone
from yimen.residents.presenting import resident_case_view, resident_status_words
from yimen.residents.services import (
    rating_reopened,
    resident_case_get,
    resident_case_lookup,
    resident_case_page,
    resident_phone_matters,
    resident_rate,
    resident_supplement,
    resident_withdraw,
)
from yimen.residents.uploads import check_upload, upload_budget_spend

from ..errors import add_domain_error
from ..forms.resident_track import PhoneForm, RateForm, SupplementForm, TrackForm, WithdrawForm
from ..middleware import note_retry_after
from ..residents import actor_for, client_address, read_upload, send_code

PHONE_PURPOSE = "track"


# ---------------------------------------------------------------------------------------------
# Finding a matter: number + query code, or a verified phone


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    # The receipt's QR code opens GET /r/track/?number=…&code=…: look it up at once.
    query = request.GET if {"number", "code"} <= request.GET.keys() else None
    data = request.POST if request.method == "POST" else query
    if data is None:
        return _track_page(request, TrackForm(initial={"number": request.GET.get("number", "")}))
    form = TrackForm(data)
    if not form.is_valid():
        return _track_page(request, form, status=400)
    try:
        case = resident_case_lookup(
            number=form.cleaned_data["number"], query_code=form.cleaned_data["code"], client_address=client_address(request)
        )
    except (NotFound, RateLimited) as error:
        form.add_error("code", str(error.message))
        return _with_retry_after(_track_page(request, form, status=error.status), error)
    session_grant_case(request.session, case)
    request.session.cycle_key()  # something was proved: a new session id, so no fixation
    return redirect("web:resident_case", number=case.number)


@never_cache
@require_http_methods(["GET", "POST"])
def mine(request):
    form, status, sent = PhoneForm(), 200, ""
    if request.method == "POST":
        form = PhoneForm(request.POST)
        try:
            if not form.is_valid():
                status = 400
            elif request.POST.get("intent") == "send_code":
                sent = send_code(request, phone=form.cleaned_data["phone"], purpose=PHONE_PURPOSE)
            else:
                data = form.cleaned_data
                session_verify_phone(request.session, phone=data["phone"], code=data["code"], purpose=PHONE_PURPOSE)
                return redirect("web:resident_mine")
        except DomainError as error:
            add_domain_error(form, error)
            note_retry_after(request, error)
            status = error.status
    phone = session_phone(request.session)
    context = {"form": form, "sent": sent, "phone": phone, "rows": _phone_matters(phone), "title": _("用手机号查询")}
    return render(request, "web/resident/mine.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# The matter page and its moves


def _with_case(view):
    """Load the matter this session proved, or answer with the plain 404 page. Nothing is cached:
    on a shared phone the back button must not bring a matter back after the session ended."""

    @never_cache
    @functools.wraps(view)
    def wrapper(request, number):
        actor = actor_for(request)
        try:
            case = resident_case_get(actor=actor, number=number)
        except NotFound:
            return _missing(request, number)
        return view(request, actor, case)

    return wrapper


@require_GET
@_with_case
def case_page(request, actor, case):
    return _case_page(request, case)


@require_POST
@_with_case
def supplement(request, actor, case):
    form = SupplementForm(request.POST)  # files are read one by one below, not by the form
    if not form.is_valid():
        return _case_page(request, case, status=400, supplement_form=form)
    good, refused = _check_files(request, request.FILES.getlist("files"))
    note = form.cleaned_data["note"].strip()
    if refused and not good and not note:
        for error in refused:
            form.add_error("files", str(error.message))
            note_retry_after(request, error)
        return _case_page(request, case, status=max(e.status for e in refused), supplement_form=form)
    try:
        resident_supplement(actor=actor, case=case, note=note, files=good)
    except Conflict:
        return _stale(request, actor, case)
    except DomainError as error:
        add_domain_error(form, error)
        note_retry_after(request, error)
        return _case_page(request, case, status=error.status, supplement_form=form)
    for error in refused:
        messages.warning(request, str(error.message))  # names the file and why it was not taken
    messages.success(request, _("已补充，办理单位会看到。"))
    return redirect("web:resident_case", number=case.number)


@require_http_methods(["GET", "POST"])
@_with_case
def withdraw(request, actor, case):
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        return _withdraw_page(request, case, form, status=200 if request.method == "GET" else 400)
    try:
        resident_withdraw(actor=actor, case=case, reason=form.cleaned_data["reason"])
    except Conflict:
        return _stale(request, actor, case)
    except DomainError as error:
        add_domain_error(form, error)
        return _withdraw_page(request, case, form, status=error.status)
    messages.success(request, _("事项已撤回，不再办理。如果以后还需要帮助，可以重新反映。"))
    return redirect("web:resident_case", number=case.number)


@require_POST
@_with_case
def rate(request, actor, case):
    form = RateForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, rate_form=form)
    choice = form.cleaned_data["satisfaction"]
    try:
        case = resident_rate(actor=actor, case=case, satisfaction=choice, comment=form.cleaned_data["comment"])
    except Conflict:
        return _stale(request, actor, case)
    except DomainError as error:
        add_domain_error(form, error)
        return _case_page(request, case, status=error.status, rate_form=form)
    messages.success(request, _after_rating(case, choice))
    return redirect("web:resident_case", number=case.number)


# ---------------------------------------------------------------------------------------------
# Helpers


def _track_page(request, form, *, status=200, missing=False):
    context = {"form": form, "missing": missing, "title": _("查询办理进度")}
    return render(request, "web/resident/track.html", context, status=status)


def _missing(request, number):
    """Unknown, or not proved in this session: the same plain answer, and a way in."""
    return _track_page(request, TrackForm(initial={"number": number}), status=404, missing=True)


def _with_retry_after(response, error):
    if isinstance(error, RateLimited) and error.details.get("retry_after"):
        response["Retry-After"] = str(error.details["retry_after"])
    return response


def _phone_matters(phone: str) -> list[dict]:
    """The proved phone's matters for the list: two queries however many there are."""
    if not phone:
        return []
    return [{"number": c.number, "received_at": c.received_at, "status": c.status,
             "status_words": resident_status_words(c.status)} for c in resident_phone_matters(phone=phone)]


def _case_page(request, case, *, status=200, supplement_form=None, rate_form=None):
    view = resident_case_page(case)
    context = {
        "case": view,
        "centre": case.owning_centre,
        "supplement_form": supplement_form or SupplementForm(),
        "rate_form": rate_form or RateForm(),
        "max_files": settings.YIMEN_RESIDENT_MAX_FILES,
        "title": _("事项 %(number)s") % {"number": case.number},
    }
    return render(request, "web/resident/case.html", context, status=status)


def _withdraw_page(request, case, form, *, status=200):
    view = resident_case_view(case, (), ())  # status words and can_withdraw only: no steps needed
    context = {"case": view, "centre": case.owning_centre, "form": form, "title": _("撤回事项")}
    return render(request, "web/resident/withdraw.html", context, status=status)


def _stale(request, actor, case):
    """Someone moved the matter first: say so, and show what it is now (the move was not made)."""
    try:
        case = resident_case_get(actor=actor, number=case.number)
    except NotFound:
        return _missing(request, case.number)
    messages.error(request, _("这件事项刚刚有了变化，现在是“%(status)s”，您的操作没有完成。请看下面的最新情况。") % {
        "status": resident_status_words(case.status)})
    return _case_page(request, case, status=409)


def _after_rating(case, choice: str) -> str:
    """What happens next, in the resident's words (the reopen policy decided it in the service)."""
    if rating_reopened(case):
        due = due_label(case.due_at, case.due_provisional) if case.due_at else _("由中心重新确定")
        return _("您选择了不满意，事项已重新交给%(centre)s办理。新的办理期限：%(due)s。") % {
            "centre": case.owning_centre.name, "due": due}
    if choice == Satisfaction.UNSATISFIED:
        return _("已记录您的意见，中心会复核。")
    return _("感谢您的评价。")


def _check_files(request, uploads) -> tuple[list, list]:
    """Each file judged by its content; (accepted CheckedUploads, refusals) — one bad file sinks none.
    Each counts against the upload byte budget first (yimen.residents.uploads)."""
    limit, good, refused = settings.YIMEN_RESIDENT_MAX_FILES, [], []
    for index, upload in enumerate(uploads):
        try:
            if index >= limit:
                raise InvalidInput(_("一次最多上传%(n)d个文件，“%(name)s”没有上传，请另外再传。") % {
                    "n": limit, "name": upload.name}, field="files")
            upload_budget_spend(name=upload.name or "", size=upload.size or 0, address=client_address(request),
                                session=request.session)
            good.append(check_upload(name=upload.name, content=read_upload(upload)))
        except (InvalidInput, TooLarge, RateLimited) as error:
            refused.append(error)
    return good, refused



urlpatterns = [
    path("r/track/", track, name="resident_track"),
    path("r/mine/", mine, name="resident_mine"),
    path("r/m/<str:number>/", case_page, name="resident_case"),
    path("r/m/<str:number>/supplement/", supplement, name="resident_supplement"),
    path("r/m/<str:number>/withdraw/", withdraw, name="resident_withdraw"),
    path("r/m/<str:number>/rate/", rate, name="resident_rate"),
]
