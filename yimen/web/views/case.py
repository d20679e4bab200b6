"""The matter page, its action forms, the dispatcher's view, audited reveal and attachments.

Doors only (STYLE.md §5): load through selectors.case_get (404 outside scope), parse a form (shape
only), call the service through the domain's registry of actions (yimen.cases.actions.ACTIONS, the
API's too: the web builds the same pydantic body from the form), and render or redirect with a message. Which actions
a user sees comes from transitions.allowed_actions; whether a move is allowed is the service's.
"""

import pydantic
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yimen.accounts.scopes import can_reveal_personal_data
from yimen.cases.actions import ACTIONS
from yimen.cases.labels import describe
from yimen.cases import deadlines
from yimen.cases.models import Category, ExtensionStatus, LimitUnit, SupervisionStatus
from yimen.cases.presenting import risk_text, timeline
from yimen.cases.privacy import party_reveal
from yimen.cases.rules import Action
from yimen.cases.selectors import case_get, dispatch_candidates
from yimen.cases.transitions import allowed_actions
from yimen.cases.triage_link import request_type_labels, triage_summary
from yimen.common.errors import DomainError, InvalidInput, NotFound
from yimen.web.errors import add_domain_error, found_or_404
from yimen.web.forms.actions import (
    ACTION_FORMS,
    FIELD_MAP,
    MediationSessionForm,
    RecordProgressForm,
    SuperviseForm,
    TriageForm,
    UnitsForm,
    form_class_for,
)
from yimen.web.forms.reveal import RevealForm

# Moves made on the dispatcher's view rather than in the matter page's action list.
DISPATCH_ACTIONS = (Action.TRIAGE, Action.DISPATCH, Action.CONVENE_JOINT)
# (what the audit log records, what the user reads): the log keeps one language whatever the page's.
REVEAL_PURPOSES = (
    ("联系当事人", gettext_lazy("联系当事人")),
    ("核实身份", gettext_lazy("核实身份")),
    ("调解工作需要", gettext_lazy("调解工作需要")),
    ("回访核实", gettext_lazy("回访核实")),
)


def _load(request, number):
    return found_or_404(case_get, user=request.user, number=number)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------------------------------------
# Forms of a matter


def _limit_unit(value: str) -> str:
    return str(LimitUnit(value).label) if value in LimitUnit.values else value


def _id_choices(action, case, assignments):
    """Which pending extension / issued order a decision is about (display only; the service checks)."""
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        units = {a.pk: a.unit.name for a in assignments}
        return [
            (e.pk, f"{units.get(e.assignment_id, '')} · {e.amount}{_limit_unit(e.unit)}")
            for e in case.all_extensions if e.status == ExtensionStatus.PENDING
        ]
    if action == Action.ANSWER_SUPERVISION:
        return [(o.pk, f"{o.unit.name} · {o.content[:20]}") for o in case.all_supervision_orders if o.status == SupervisionStatus.ISSUED]
    return None


def _form(action, case, assignments, *, data=None, form_class=None, next_url="", candidates=None):
    form_class = form_class or form_class_for(action, data)
    kwargs = {"action": action, "id_choices": _id_choices(action, case, assignments)}
    if issubclass(form_class, TriageForm):
        kwargs["categories"] = Category.objects.filter(active=True)
        kwargs["current"] = {
            "category": case.category.name if case.category_id else "", "urgency": case.get_urgency_display(),
            "risk": risk_text(case.risk, case.suggested_risk), "domain_class": case.get_domain_class_display(),
            "request_type": request_type_labels().get(case.request_type, case.request_type),
        }
    elif issubclass(form_class, UnitsForm):
        kwargs["candidates"] = dispatch_candidates(case=case) if candidates is None else candidates
    elif issubclass(form_class, SuperviseForm):
        kwargs["units"] = [a.unit for a in assignments if a.is_live]
    initial = {"status_seen": case.status, "next": next_url}
    return form_class(data, initial=initial, **kwargs)


def _safe_next(request, value: str) -> str:
    ok = value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return value if ok else ""


def _perform(request, case, action: str, form) -> int | None:
    """Parse, call the service with the status the user saw (the service refuses a matter someone
    else moved first). None on success, else the HTTP status to re-render with (the form keeps what
    was typed and carries the message)."""
    if not form.is_valid():
        return 400
    spec = ACTIONS[action]
    try:
        body = spec.schema.model_validate({**form.to_body(), "expected_status": form.cleaned_data.get("status_seen") or None})
    except pydantic.ValidationError as exc:
        for error in exc.errors(include_url=False):
            field, message = describe(error, action)
            form.add_error(field if field in form.fields else None, message)
        return 400
    try:
        spec.call(request.user, case, body)
    except NotFound as exc:
        if exc.code == "not_found":
            raise Http404 from None
        add_domain_error(form, exc, field_map=FIELD_MAP)
        return 404
    except DomainError as exc:
        add_domain_error(form, exc, field_map=FIELD_MAP)
        return exc.status
    return None


def _forbidden(request, case, message: str):
    return render(request, "web/case/forbidden.html", {"case": case, "message": message, "title": _("不能执行该操作")}, status=403)


def _done(request, case, action, form):
    label = _("调解记录") if isinstance(form, MediationSessionForm) else Action(action).label
    messages.success(request, _("“%(action)s”已完成（%(number)s）。") % {"action": label, "number": case.number})
    to = _safe_next(request, form.cleaned_data.get("next", "")) or reverse("web:case_detail", args=[case.number])
    if _is_htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": to})
    return redirect(to)


# ---------------------------------------------------------------------------------------------
# The matter page


def _action_items(case, assignments, actions, bound=None):
    """The forms of the actions this user may take now; `bound` = (action, form) re-shown as typed."""
    items = []
    for action in actions:
        if action in DISPATCH_ACTIONS:
            continue
        if action == Action.RECORD_PROGRESS:
            items.append({"action": action, "key": "progress", "label": Action(action).label,
                          "form": _form(action, case, assignments, form_class=RecordProgressForm)})
            items.append({"action": action, "key": "mediation", "label": _("记录调解"),
                          "form": _form(action, case, assignments, form_class=MediationSessionForm)})
            continue
        items.append({"action": action, "key": action, "label": Action(action).label,
                      "form": _form(action, case, assignments)})
    if bound is not None:
        action, form = bound
        key = "mediation" if isinstance(form, MediationSessionForm) else ("progress" if action == Action.RECORD_PROGRESS else action)
        item = next((i for i in items if i["key"] == key), None)
        if item is None:  # no longer allowed (someone moved it): keep what was typed anyway
            item = {"action": action, "key": key, "label": Action(action).label}
            items.insert(0, item)
        item.update(form=form, open=True)
    return items


def _page(request, case, *, bound=None, revealed=None, status=200):
    assignments = list(case.assignments.all())
    actions = allowed_actions(request.user, case, assignments)
    assigned = {a.unit_id for a in assignments}
    units = {a.pk: a.unit.name for a in assignments}
    context = {
        "title": case.number,
        "active_section": "cases",
        "case": case,
        "assignments": assignments,
        "extensions": [(e, units.get(e.assignment_id, ""), _limit_unit(e.unit)) for e in case.all_extensions],
        "parties": [(p, (revealed or {}).get(p.pk)) for p in case.parties.all()],
        "items": _action_items(case, assignments, actions, bound),
        "dispatch_actions": [Action(a) for a in actions if a in DISPATCH_ACTIONS],
        "events": timeline(case.events.all(), unit_names={
            **{a.unit_id: a.unit.name for a in assignments},
            **{o.unit_id: o.unit.name for o in case.all_supervision_orders},
        }),
        "triage": triage_summary(case, user=request.user),
        "request_type_label": request_type_labels().get(case.request_type, case.request_type),
        "can_reveal": can_reveal_personal_data(request.user, case, assigned),
        "reveal_purposes": REVEAL_PURPOSES,
    }
    return render(request, "web/case/detail.html", context, status=status)


@login_required
def case_detail(request, number):
    return _page(request, _load(request, number))


@login_required
@require_http_methods(["GET", "POST"])
def case_act(request, number, action):
    """GET: the action's form as a partial. POST: perform it (see _perform)."""
    if action not in ACTION_FORMS:
        raise Http404
    case = _load(request, number)
    assignments = list(case.assignments.all())
    if request.method == "GET":
        if action not in allowed_actions(request.user, case, assignments):
            return _forbidden(request, case, _("您现在不能对该事项执行“%(action)s”。") % {"action": Action(action).label})
        form_class = MediationSessionForm if request.GET.get("kind") == "mediation" else None
        form = _form(action, case, assignments, form_class=form_class, next_url=_safe_next(request, request.GET.get("next", "")))
        item = {"action": action, "key": action, "label": Action(action).label, "form": form, "open": True}
        return render(request, "web/case/_action_form.html", {"case": case, "item": item})
    form = _form(action, case, assignments, data=request.POST)
    status = _perform(request, case, action, form)
    if status is None:
        return _done(request, case, action, form)
    if _is_htmx(request):
        # A small form posted by htmx (an inbox row, a board): give back the form with the message
        # in place (200, so htmx swaps it in); the status code travels in a header.
        item = {"action": action, "key": action, "label": Action(action).label, "form": form, "open": True}
        response = render(request, "web/case/_action_form.html", {"case": case, "item": item})
        response["X-Yimen-Status"] = str(status)
        return response
    return _page(request, _load(request, number), bound=(action, form), status=status)


@login_required
@require_POST
def case_party_reveal(request, number, party_id):
    """显示: the full ID number and phone, through privacy.party_reveal (which writes the audit)."""
    case = _load(request, number)
    form = RevealForm(request.POST)
    try:
        if not form.is_valid():  # a control character in the purpose: named, nothing recorded
            raise InvalidInput(form.errors["purpose"][0], field="purpose")
        party = party_reveal(actor=request.user, case=case, party_id=party_id, purpose=form.cleaned_data["purpose"])
    except DomainError as exc:
        if _is_htmx(request):
            return render(request, "web/case/_party_private.html", {"case": case, "error": exc.message, "party_id": party_id})
        messages.error(request, exc.message)
        return _page(request, case, status=exc.status)
    if _is_htmx(request):
        return render(request, "web/case/_party_private.html", {"case": case, "party": party, "revealed": True})
    return _page(request, case, revealed={party.pk: party})


@login_required
def case_attachment(request, number, attachment_id):
    """Files live outside the web root; this door checks scope (case_get) before streaming one."""
    case = _load(request, number)
    attachment = next((a for a in case.attachments.all() if a.pk == attachment_id), None)
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                        content_type=attachment.content_type or "application/octet-stream")


# ---------------------------------------------------------------------------------------------
# The dispatcher's view


def _preview(case, candidates, lead, others):
    """Each chosen unit with the limits it would get if dispatched now (deadlines.preview_…)."""
    limits = deadlines.preview_assignment_deadlines(case=case, starts_at=timezone.now())
    names = {c["unit"].pk: c["unit"].name for c in candidates}
    rows = [{"unit": names[lead], "part": _("牵头"), "limits": limits}] if lead in names else []
    rows += [{"unit": names[i], "part": _("协办"), "limits": limits} for i in others if i in names and i != lead]
    return {"rows": rows, "limits": limits, "shortened": any(limit.shortened_from for limit in limits)}


def _initial_units(candidates, triage):
    """The units to start from (a suggestion; the dispatcher decides): the triage suggestion's
    lead and assisting units that are dispatchable, else the responsibility list's."""
    def match(name):
        # The engine names a unit by its standard name at the centre's level (司法所); a real unit
        # carries its place before it (桃源镇司法所).
        return next((c["unit"].pk for c in candidates if name and c["unit"].name.endswith(name)), None)

    suggested = (triage or {}).get("units") or []
    lead = next((m for u in suggested if u.get("role") == "lead" and (m := match(u.get("name")))), None)
    assists = [m for u in suggested if u.get("role") == "assist" and (m := match(u.get("name")))]
    if lead is None:
        lead = next((c["unit"].pk for c in candidates if c["part"] == "lead"), None)
        assists = [c["unit"].pk for c in candidates if c["part"] == "assist"]
    return lead, [a for a in assists if a != lead]


def _dispatch_page(request, case, actions, *, bound=None, preview=None, status=200):
    assignments = list(case.assignments.all())
    triage = triage_summary(case, user=request.user)
    here = reverse("web:case_dispatch", args=[case.number])
    shared = bound[1].candidates if bound is not None and isinstance(bound[1], UnitsForm) else None
    if shared is None and (Action.DISPATCH in actions or Action.CONVENE_JOINT in actions):
        shared = dispatch_candidates(case=case)
    forms = {a: _form(a, case, assignments, next_url=here if a == Action.TRIAGE else "", candidates=shared)
             for a in actions if a in DISPATCH_ACTIONS and (bound is None or a != bound[0])}
    if bound is not None:
        forms[bound[0]] = bound[1]
    unit_forms = [f for f in forms.values() if isinstance(f, UnitsForm)]
    candidates = unit_forms[0].candidates if unit_forms else []
    lead, assists = _initial_units(candidates, triage)
    for f in unit_forms:
        f.unit_query, f.unit_kind = request.GET.get("unit_q", "")[:50], request.GET.get("unit_kind", "")
        if not f.is_bound:
            f.initial.update({"lead_unit": lead, f.others_field: assists})
    if preview is None and Action.DISPATCH in forms:
        chosen = forms[Action.DISPATCH].chosen_ids() if forms[Action.DISPATCH].is_bound else (lead, assists)
        preview = _preview(case, candidates, *chosen)
    context = {
        "title": _("研判派单 %(number)s") % {"number": case.number}, "active_section": "cases", "case": case,
        "assignments": assignments, "triage": triage, "forms": forms, "candidates": candidates, "preview": preview,
        "request_type_label": request_type_labels().get(case.request_type, case.request_type),
    }
    return render(request, "web/case/dispatch.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_dispatch(request, number):
    """研判派单: triage, choose lead and assisting units with their limits shown, or convene joint handling."""
    case = _load(request, number)
    actions = [a for a in allowed_actions(request.user, case, list(case.assignments.all())) if a in DISPATCH_ACTIONS]
    if not actions:
        return _forbidden(request, case, _("只有主办中心的研判派单员可以对该事项研判、派单或召集联合办理。"))
    if request.method == "GET":
        return _dispatch_page(request, case, actions)
    action = request.POST.get("action", "")
    if action not in DISPATCH_ACTIONS:
        raise Http404
    form = _form(action, case, list(case.assignments.all()), data=request.POST)
    if request.POST.get("op") == "preview" and isinstance(form, UnitsForm):
        preview = _preview(case, form.candidates, *form.chosen_ids())
        if _is_htmx(request):
            return render(request, "web/case/_dispatch_preview.html", {"preview": preview})
        return _dispatch_page(request, case, actions, bound=(action, form), preview=preview)
    status = _perform(request, case, action, form)
    if status is None:
        return _done(request, case, action, form)
    return _dispatch_page(request, _load(request, number), actions, bound=(action, form), status=status)


urlpatterns = [
    path("cases/<str:number>/", case_detail, name="case_detail"),
    path("cases/<str:number>/actions/<str:action>/", case_act, name="case_act"),
    path("cases/<str:number>/dispatch/", case_dispatch, name="case_dispatch"),
    path("cases/<str:number>/parties/<int:party_id>/reveal/", case_party_reveal, name="party_reveal"),
    path("cases/<str:number>/attachments/<int:attachment_id>/", case_attachment, name="attachment"),
]
