"""The forms of the moves on a matter: one class per action-body shape of the JSON API
(yimen/cases/actions.py ACTION_SCHEMAS), with the same field names, so a plain HTML form and a JSON
client send the same thing. Shape only — required, lengths, choices; whether the move is allowed,
and every rule across objects, is the service's.

`to_body()` turns the cleaned data into the API's pydantic body for the action, so the web and the
API call the services through one registry (yimen.cases.actions.ACTIONS).
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases.labels import FIELD_LABELS
from yimen.cases.models import DomainClass, Outcome, ReferralTarget, Risk, Satisfaction, Urgency
from yimen.cases.presenting import FOLLOW_UP_METHODS
from yimen.cases.rules import RESIDENT_ONLY_ACTIONS, Action
from yimen.cases.validators import MEDIATION_FIELDS, MEDIATION_TEXT_LENGTHS, MediationMethod, RecordKind

from .base import Form

# Service field names that a form shows under another name.
FIELD_MAP = {f"details.{name}": name for name in MEDIATION_FIELDS}


def _blank(choices):
    return [("", _("请选择"))] + list(choices.choices)


class IdsField(forms.MultipleChoiceField):
    """Several ids from checkboxes. Any positive integer passes: which ids may be used is the
    service's rule; the choices only tell the widget what to show."""

    def to_python(self, value):
        return [str(v) for v in super().to_python(value) if str(v).strip()]

    def valid_value(self, value):
        return str(value).isdigit() and int(value) > 0

    def clean(self, value):
        return [int(v) for v in super().clean(value)]


class ActionForm(Form):
    """Base: `action` names the move; fields are labelled with the API's Chinese field names."""

    action = ""
    # cleaned_data keys that go to the API body (others are the page's own: status_seen, next).
    body_fields: tuple[str, ...] = ()
    # The id field that picks one of several objects (a pending extension, an issued order …).
    id_field = ""

    status_seen = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    # Several forms share a page: field ids carry the action so every <label for> finds its field.
    id_suffix = ""

    def __init__(self, *args, action: str = "", id_choices=None, **kwargs):
        action = action or self.action
        kwargs.setdefault("auto_id", f"{action}{self.id_suffix}-%s")
        super().__init__(*args, **kwargs)
        self.action = action
        if self.id_field and id_choices:
            # Which one: a list when there are several, else the only one, sent as it is.
            if len(id_choices) > 1:
                self.fields[self.id_field].widget = forms.Select(choices=[(str(i), label) for i, label in id_choices])
            self.fields[self.id_field].initial = id_choices[0][0]
        for name, f in self.fields.items():
            label = FIELD_LABELS.get(f"{self.action}.{name}") or FIELD_LABELS.get(name)
            if f.label is None and label:
                f.label = label
            if f.required and f.label:
                f.error_messages["required"] = _("请填写%(label)s。") % {"label": f.label}

    @property
    def visible_body_fields(self):
        return [self[name] for name in self.fields if name not in ("status_seen", "next") and not self[name].is_hidden]

    def to_body(self) -> dict:
        """The API body: optional fields left empty are omitted, so the schema's defaults apply."""
        body = {}
        for name in self.body_fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", []) and not self.fields[name].required:
                continue
            body[name] = value
        return body


def _text(*, required=True, max_length=5000, rows=3, label=None, help_text=""):
    return forms.CharField(
        required=required, max_length=max_length, label=label, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
    )


def _id(label=None):
    return forms.IntegerField(required=False, min_value=1, label=label, widget=forms.HiddenInput)


class TriageForm(ActionForm):
    action = Action.TRIAGE
    body_fields = ("category", "urgency", "risk", "domain_class", "risk_reason", "accept_suggestion")
    category = forms.ChoiceField(required=False, choices=())
    urgency = forms.ChoiceField(required=False, choices=_blank(Urgency))
    risk = forms.ChoiceField(required=False, choices=_blank(Risk), help_text=_("定为红色须说明研判理由"))
    domain_class = forms.ChoiceField(required=False, choices=_blank(DomainClass))
    risk_reason = _text(required=False)
    accept_suggestion = forms.BooleanField(required=False, help_text=_("未填写的类别、紧急程度、风险等级和领域采用系统研判建议"))

    def __init__(self, *args, categories=(), current: dict | None = None, **kwargs):
        """`current`: the matter's grading now (field → label); left blank, a grade stays as it is."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "")] + [(c.code, c.name) for c in categories]
        for name in ("category", "urgency", "risk", "domain_class"):
            shown = (current or {}).get(name) or _("未定")
            choices = list(self.fields[name].choices)
            self.fields[name].choices = [("", _("不变（当前：%(value)s）") % {"value": shown})] + choices[1:]


class UnitsForm(ActionForm):
    """Dispatch and joint handling: a lead, other units, and a task per unit (`task_<unit id>`).
    `candidates` are selectors.dispatch_candidates rows; they fill the picker, the service decides
    which units may be sent."""

    others_field = ""  # assist_units (dispatch) or units (joint handling)
    lead_unit = forms.IntegerField(min_value=1, widget=forms.RadioSelect)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        # The picker's filter (name, kind), set by the page from GET; checked units are always shown.
        self.unit_query, self.unit_kind = "", ""
        choices = [(str(c["unit"].pk), c["unit"].name) for c in self.candidates]
        self.fields["lead_unit"].widget.choices = choices
        self.fields[self.others_field].choices = choices
        for c in self.candidates:
            self.fields[f"task_{c['unit'].pk}"] = forms.CharField(
                required=False, max_length=300, label=_("%(unit)s的任务") % {"unit": c["unit"].name}
            )

    def tasks(self) -> dict[int, str]:
        chosen = {self.cleaned_data.get("lead_unit"), *self.cleaned_data.get(self.others_field, [])}
        tasks = {}
        for c in self.candidates:
            text = (self.cleaned_data.get(f"task_{c['unit'].pk}") or "").strip()
            if text and c["unit"].pk in chosen:
                tasks[c["unit"].pk] = text
        return tasks

    def to_body(self) -> dict:
        body = super().to_body()
        body["tasks"] = self.tasks()
        return body

    def unit_kinds(self) -> list[tuple[str, str]]:
        """The kinds among the candidates, for the picker's kind filter."""
        return sorted({(c["unit"].kind, c["unit"].get_kind_display()) for c in self.candidates}, key=lambda k: k[1])

    def unit_rows(self) -> list[dict]:
        """The candidates as the picker shows them: checked as typed (bound) or as suggested, the checked
        and the responsible units first; others only if they match the name and kind filter."""
        if self.is_bound:
            lead, others = str(self.data.get("lead_unit", "")), set(self.data.getlist(self.others_field))
        else:
            lead = str(self.initial.get("lead_unit") or "")
            others = {str(i) for i in self.initial.get(self.others_field) or ()}
        rows = []
        for c in self.candidates:
            uid = str(c["unit"].pk)
            rows.append({
                "id": uid, "unit": c["unit"], "part": c["part"], "duty": c["duty"], "lead": uid == lead,
                "other": uid in others, "task": self[f"task_{uid}"].value() or "",
            })
        query, kind = self.unit_query.strip(), self.unit_kind
        rows = [r for r in rows if r["lead"] or r["other"] or (
            (not query or query in r["unit"].name) and (not kind or r["unit"].kind == kind))]
        # Stable sort: the suggested (checked) units, then those on the responsibility list, then the rest.
        return sorted(rows, key=lambda r: (not (r["lead"] or r["other"]), not r["part"]))

    def chosen_ids(self) -> tuple[int | None, list[int]]:
        """The lead and other units as typed (for the preview), valid or not."""
        def as_int(value):
            return int(value) if str(value).isdigit() else None

        lead = as_int(self.data.get("lead_unit", ""))
        others = [i for i in (as_int(v) for v in self.data.getlist(self.others_field)) if i and i != lead]
        return lead, others


class DispatchForm(UnitsForm):
    action = Action.DISPATCH
    body_fields = ("lead_unit", "assist_units", "reason", "limit_reason")
    others_field = "assist_units"
    assist_units = IdsField(required=False, widget=forms.CheckboxSelectMultiple)
    reason = _text(required=False, rows=2)
    limit_reason = _text(
        required=False, max_length=300, rows=0, label=_("承办期限晚于事项期限的理由"),
        help_text=_("留空时，承办期限按事项期限缩短；填写理由则按承办规则计时，理由记入办理过程"),
    )


class ConveneJointForm(UnitsForm):
    action = Action.CONVENE_JOINT
    body_fields = ("lead_unit", "units", "reason")
    others_field = "units"
    units = IdsField(widget=forms.CheckboxSelectMultiple, help_text=_("牵头单位之外至少选择一个单位"))
    reason = _text(rows=2)


class AcceptForm(ActionForm):
    action = Action.ACCEPT
    body_fields = ("assignment_id",)
    assignment_id = _id()


class ReturnForm(ActionForm):
    action = Action.RETURN
    body_fields = ("reason", "assignment_id")
    reason = _text(help_text=_("说明为何不属于本单位职责，以及应由哪个单位办理"))
    assignment_id = _id()


class RecordProgressForm(ActionForm):
    """A handling step (kind=handling)."""

    action = Action.RECORD_PROGRESS
    body_fields = ("note", "kind")
    kind = forms.ChoiceField(choices=RecordKind.choices, initial=RecordKind.HANDLING, widget=forms.HiddenInput)
    note = _text(rows=3, label=_("办理情况"))

    def to_body(self) -> dict:
        return {**super().to_body(), "details": {}}


class MediationSessionForm(RecordProgressForm):
    """One mediation session (kind=mediation): the same action, with the session's details.
    Required here for a complete record; the service's validate_mediation_session checks the rest."""

    id_suffix = "-mediation"
    kind = forms.ChoiceField(choices=RecordKind.choices, initial=RecordKind.MEDIATION, widget=forms.HiddenInput)
    date = forms.DateField(
        label=MEDIATION_FIELDS["date"], initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    place = forms.CharField(label=MEDIATION_FIELDS["place"], max_length=MEDIATION_TEXT_LENGTHS["place"])
    mediators = forms.CharField(label=MEDIATION_FIELDS["mediators"], max_length=MEDIATION_TEXT_LENGTHS["mediators"])
    method = forms.ChoiceField(label=MEDIATION_FIELDS["method"], choices=_blank(MediationMethod))
    parties_present = forms.CharField(
        label=MEDIATION_FIELDS["parties_present"], max_length=MEDIATION_TEXT_LENGTHS["parties_present"]
    )
    result = forms.CharField(
        label=MEDIATION_FIELDS["result"], max_length=MEDIATION_TEXT_LENGTHS["result"], widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(
        label=MEDIATION_FIELDS["next_step"], max_length=MEDIATION_TEXT_LENGTHS["next_step"], required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = _text(rows=3, label=_("调解经过"))

    field_order = ["date", "place", "mediators", "method", "parties_present", "note", "result", "next_step"]

    def to_body(self) -> dict:
        details = {name: self.cleaned_data.get(name) for name in MEDIATION_FIELDS if name in self.fields}
        details["date"] = details["date"].isoformat()
        return {**super().to_body(), "details": details}


class ResolveForm(ActionForm):
    action = Action.RESOLVE
    body_fields = ("outcome", "result")
    outcome = forms.ChoiceField(choices=_blank(Outcome))
    result = _text()


class FollowUpForm(ActionForm):
    action = Action.FOLLOW_UP
    body_fields = ("satisfaction", "comment", "method")
    satisfaction = forms.ChoiceField(choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = _text(required=False, help_text=_("群众不满意时必填"))
    method = forms.ChoiceField(required=False, choices=[(k, v) for k, v in FOLLOW_UP_METHODS.items()], initial="phone")


class ArchiveForm(ActionForm):
    action = Action.ARCHIVE
    body_fields = ("note",)
    note = _text(required=False, rows=2)


class ReasonForm(ActionForm):
    """Escalate, withdraw, reopen: a reason and nothing else."""

    body_fields = ("reason",)
    reason = _text()


class RequestExtensionForm(ActionForm):
    id_field = "assignment_id"
    action = Action.REQUEST_EXTENSION
    body_fields = ("amount", "reason", "assignment_id")
    amount = forms.IntegerField(min_value=1, max_value=365, help_text=_("单位同本单位的办理期限（通常为工作日）"))
    reason = _text()
    assignment_id = _id()


class ApproveExtensionForm(ActionForm):
    id_field = "extension_id"
    action = Action.APPROVE_EXTENSION
    body_fields = ("reason", "extension_id")
    reason = _text(required=False, rows=2)
    extension_id = _id()


class RefuseExtensionForm(ApproveExtensionForm):
    action = Action.REFUSE_EXTENSION
    reason = _text(rows=2)


class SuperviseForm(ActionForm):
    action = Action.SUPERVISE
    body_fields = ("content", "unit")
    content = _text()
    unit = forms.IntegerField(required=False, min_value=1, widget=forms.Select, help_text=_("留空为牵头单位"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [("", _("牵头单位"))] + [(str(u.pk), u.name) for u in units]


class AnswerSupervisionForm(ActionForm):
    id_field = "order_id"
    action = Action.ANSWER_SUPERVISION
    body_fields = ("answer", "order_id")
    answer = _text()
    order_id = _id()


class ReferOutForm(ActionForm):
    action = Action.REFER_OUT
    body_fields = ("target", "reason")
    target = forms.ChoiceField(choices=_blank(ReferralTarget))
    reason = _text()


class NotAcceptForm(ActionForm):
    action = Action.NOT_ACCEPT
    body_fields = ("reason", "where_to_go")
    reason = _text()
    where_to_go = _text(max_length=300, rows=0)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.TRIAGE: TriageForm,
    Action.DISPATCH: DispatchForm,
    Action.ACCEPT: AcceptForm,
    Action.RETURN: ReturnForm,
    Action.RECORD_PROGRESS: RecordProgressForm,
    Action.RESOLVE: ResolveForm,
    Action.RESOLVE_ON_SPOT: ResolveForm,
    Action.FOLLOW_UP: FollowUpForm,
    Action.ARCHIVE: ArchiveForm,
    Action.ESCALATE: ReasonForm,
    Action.REQUEST_EXTENSION: RequestExtensionForm,
    Action.APPROVE_EXTENSION: ApproveExtensionForm,
    Action.REFUSE_EXTENSION: RefuseExtensionForm,
    Action.SUPERVISE: SuperviseForm,
    Action.ANSWER_SUPERVISION: AnswerSupervisionForm,
    Action.CONVENE_JOINT: ConveneJointForm,
    Action.REFER_OUT: ReferOutForm,
    Action.NOT_ACCEPT: NotAcceptForm,
    Action.WITHDRAW: ReasonForm,
    Action.REOPEN: ReasonForm,
}
assert set(ACTION_FORMS) == set(Action) - RESIDENT_ONLY_ACTIONS, "every staff action needs a form"


def form_class_for(action: str, data=None) -> type[ActionForm]:
    """The form of `action`; a progress record posted with kind=mediation is a mediation session."""
    if action == Action.RECORD_PROGRESS and data is not None and data.get("kind") == RecordKind.MEDIATION:
        return MediationSessionForm
    return ACTION_FORMS[action]
