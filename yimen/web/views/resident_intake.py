"""Residents' door, part one: the centre's code and poster, registering a matter from a phone.

Every page works without JavaScript. Registering is one form posted back to itself with an intent
(show the next level of places, send a code, remove a file, submit). Every post first keeps what was
typed and uploaded in a draft (yimen.residents.drafts), whose token lives in the session, so an
error, a reload or a server restart half-way loses nothing. The rules are the services'
(yimen.residents.services.resident_register): this module only parses, calls and renders.
"""

import io

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yimen.accounts.scopes import region_codes_for, region_prefix_q, sees_everything
from yimen.cases.models import Case
from yimen.common.errors import DomainError
from yimen.regions.models import Centre
from yimen.regions.selectors import region_cascade
from yimen.residents.drafts import draft_add_file, draft_for, draft_remove_file, draft_save, draft_start
from yimen.residents.identity import session_case_ids, session_grant_case, session_phone, session_verify_phone
from yimen.residents.services import resident_register
from yimen.residents.uploads import check_upload, upload_budget_spend

from .. import resident_card
from ..errors import add_domain_error
from ..forms.resident_intake import RegisterForm
from ..links import RESIDENT_TRACK_PATH, resident_start_url, resident_track_url
from ..middleware import note_retry_after
from ..residents import (
    actor_for,
    client_address,
    forget_draft,
    read_upload,
    remember_draft,
    send_code,
    session_draft_token,
)

# The services name fields as intake does; these are the register form's names for them.
FIELD_MAP = {
    "region": "place", "parties[0].name": "name", "parties[0].phone": "phone", "attachments": "files",
    "title": "description",
}
INTENTS = ("place", "send_code", "submit")
POSTER_SIZES = {"a4": "A4", "a3": "A3"}


def _centre_or_404(code: str) -> Centre:
    centre = Centre.objects.select_related("region").filter(region__code=code).first()
    if centre is None:
        raise Http404
    return centre


@require_GET
def start_page(request, code):
    """Where the centre's QR code leads: who the centre is, and the three things a resident can do."""
    centre = _centre_or_404(code)
    has_draft = draft_for(token=session_draft_token(request), centre=centre) is not None
    return render(request, "web/resident/start.html", {"title": centre.name, "centre": centre, "has_draft": has_draft})


# ---------------------------------------------------------------------------------------------
# Registering


@never_cache
@require_http_methods(["GET", "POST"])
def register_page(request, code):
    centre = _centre_or_404(code)
    draft = draft_for(token=session_draft_token(request), centre=centre)
    if request.method != "POST":
        form = RegisterForm.resumed(centre=centre, draft=draft, phone=session_phone(request.session))
        return _render_form(request, centre, form, draft)
    intent = _intent(request.POST)
    form = RegisterForm(request.POST, centre=centre, checking=intent == "submit")
    draft, status = _keep(request, centre, draft, form)
    notice, focus = "", {"remove_file": "files"}.get(intent, intent)
    if intent == "send_code":
        notice, status, focus = _send_code(request, form, status)
    elif intent == "remove_file":
        _remove_file(draft, request.POST.get("remove_file", ""))
    elif intent == "submit" and status == 200:
        # A refused file stops the sending: the resident meant to include it.
        case, status = _submit(request, centre, form, draft)
        if case is not None:
            return redirect("web:resident_done", number=case.number)
    return _render_form(request, centre, form, draft, status=status, notice=notice, focus=focus)


def _intent(post) -> str:
    # A file's 删除 button posts its own name; Enter in a text box presses the hidden default
    # button (intent=place), which only saves.
    if "remove_file" in post:
        return "remove_file"
    intent = post.get("intent", "")
    return intent if intent in INTENTS else "place"


def _keep(request, centre, draft, form):
    """Save what was typed, then each uploaded file that passes the check, before anything can fail.
    Returns the draft and the HTTP status so far (413/400 when a file was refused)."""
    if draft is None:
        draft = draft_start(centre=centre)
        remember_draft(request, draft)
    draft_save(draft=draft, data=form.draft_data())
    status = 200
    for upload in request.FILES.getlist("files"):
        try:
            # The byte budget first: reading and decoding are what a flood costs.
            upload_budget_spend(name=upload.name or "", size=upload.size or 0, address=client_address(request),
                                session=request.session)
            checked = check_upload(name=upload.name or "", content=read_upload(upload))
            draft_add_file(draft=draft, upload=checked)
        except DomainError as error:
            add_domain_error(form, error, field_map=FIELD_MAP)
            note_retry_after(request, error)
            status = max(status, error.status)
    return draft, status


def _send_code(request, form, status):
    try:
        return send_code(request, phone=form["phone"].value() or "", purpose="register"), status, "code"
    except DomainError as error:
        # Whatever went wrong (a wrong number, too many codes), it is about the phone.
        add_domain_error(form, error, field_map={"": "phone", "code": "phone"})
        note_retry_after(request, error)
        return "", max(status, error.status), "phone"


def _remove_file(draft, value: str) -> None:
    if value.isdigit():
        draft_remove_file(draft=draft, file_id=int(value))


def _submit(request, centre, form, draft):
    """Check the form, prove the phone (unless this session already did), register. (case, status)."""
    if not form.is_valid():
        return None, 400
    phone = form.cleaned_data["phone"]
    try:
        if session_phone(request.session) != phone:
            session_verify_phone(request.session, phone=phone, code=form.cleaned_data["code"], purpose="register")
        # The actor is read after verifying: it carries the phone just proved.
        case = resident_register(centre=centre, report=form.report(), actor=actor_for(request),
                                 client_address=client_address(request), draft=draft)
    except DomainError as error:
        add_domain_error(form, error, field_map=FIELD_MAP)
        note_retry_after(request, error)
        return None, error.status
    session_grant_case(request.session, case)
    forget_draft(request)
    return case, 200


def _render_form(request, centre, form, draft, *, status=200, notice="", focus=""):
    proved = session_phone(request.session)
    errors = form.error_summary()
    if errors:
        focus = errors[0]["anchor"].removeprefix("field-")
    if focus in form.fields and focus != "place":
        form.fields[focus].widget.attrs["autofocus"] = True
    return render(request, "web/resident/register.html", {
        "title": _("反映问题"), "centre": centre, "form": form, "errors": errors, "notice": notice,
        "focus": focus,
        # The first level of the chain is the centre's own region alone: not worth a select.
        "cascade": region_cascade(roots=[centre.region], selected_code=form.place_code())[1:],
        "files": list(draft.files.order_by("pk")) if draft else [],
        "phone_proved": bool(proved) and proved == form.typed_phone(),
        "max_files": settings.YIMEN_RESIDENT_MAX_FILES,
        "max_upload_mb": max(1, settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES // (1024 * 1024)),
        "draft_days": settings.YIMEN_RESIDENT_DRAFT_DAYS,
    }, status=status)


# ---------------------------------------------------------------------------------------------
# The result: number, query code, and a picture of them to keep


def _proved_case(request, number: str) -> Case | None:
    """The matter `number` if this session registered or proved it; None for anything else."""
    ids = session_case_ids(request.session)
    if not ids:
        return None
    return Case.objects.filter(number=number, pk__in=sorted(ids)).select_related("registering_centre__region").first()


def _card_filename(case) -> str:
    return f"{_('解纷码')}-{case.number}.png"


@never_cache
@require_GET
def done_page(request, number):
    case = _proved_case(request, number)
    if case is None:
        return redirect(RESIDENT_TRACK_PATH)
    return render(request, "web/resident/done.html", {
        "title": _("已收到您的反映"), "case": case, "centre": case.registering_centre,
        "query_code": resident_card.group_code(case.query_code), "card_name": _card_filename(case),
    })


@never_cache  # the picture holds the query code
@require_GET
def card_png(request, number):
    case = _proved_case(request, number)
    if case is None:
        return redirect(RESIDENT_TRACK_PATH)
    png = resident_card.card_png(number=case.number, query_code=case.query_code, track_url=resident_track_url(request, case),
                    centre_name=case.registering_centre.name)
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(False, _card_filename(case))
    return response


# ---------------------------------------------------------------------------------------------
# The centre's QR code and poster


@require_GET
def centre_qr(request, code):
    """The centre's QR code (SVG; ?format=png for a picture), holding its start page's address."""
    centre = _centre_or_404(code)
    qr = segno.make(resident_start_url(request, centre), error="m")
    buffer = io.BytesIO()
    if request.GET.get("format") == "png":
        qr.save(buffer, kind="png", scale=12, border=4)
        content_type, extension = "image/png", "png"
    else:
        qr.save(buffer, kind="svg", scale=10, border=4, title=centre.name)
        content_type, extension = "image/svg+xml", "svg"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, f"{_('解纷码')}-{centre.name}.{extension}")
    return response


def _poster_centres(user):
    """The centres in the user's regions (any membership), or all for a superuser."""
    centres = Centre.objects.select_related("region").order_by("region__code")
    if sees_everything(user):
        return centres
    return centres.filter(region_prefix_q("region__code", region_codes_for(user)))


@login_required
@require_GET
def poster_list(request):
    return render(request, "web/resident/posters.html", {
        "title": _("解纷码海报"), "active_section": "posters", "centres": list(_poster_centres(request.user)),
        "sizes": POSTER_SIZES,
    })


@login_required
@require_GET
def poster_page(request, code):
    """A print page: the centre's name, its QR code as large as the paper allows, and how to reach it."""
    centre = _poster_centres(request.user).filter(region__code=code).first()
    if centre is None:
        raise Http404
    size = request.GET.get("size") if request.GET.get("size") in POSTER_SIZES else "a4"
    start_url = resident_start_url(request, centre)
    qr = segno.make(start_url, error="m")
    # No width or height: the SVG scales to the box poster.css gives it.
    svg = qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="poster-qr-code", lineclass="qr-line")
    return render(request, "web/resident/poster.html", {
        "title": _("解纷码海报"), "centre": centre, "size": size, "page_size": POSTER_SIZES[size], "sizes": POSTER_SIZES,
        "start_url": start_url, "qr_svg": mark_safe(svg),
    })


urlpatterns = [
    path("r/c/<str:code>/", start_page, name="resident_start"),
    path("r/c/<str:code>/new/", register_page, name="resident_register"),
    path("r/c/<str:code>/qr.svg", centre_qr, name="resident_qr"),
    path("r/done/<str:number>/", done_page, name="resident_done"),
    path("r/done/<str:number>/card.png", card_png, name="resident_card"),
    path("posters/", poster_list, name="resident_posters"),
    path("posters/<str:code>/", poster_page, name="resident_poster"),
]
