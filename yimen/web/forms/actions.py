"""The forms of the moves on a matter, derived from the action registry (yimen.cases.actions).

Each staff action's form is built from its pydantic body (`derive_form`): one form field for each
body field but `expected_status` (the page sends the status it showed as `status_seen`), under the
same name, so a plain HTML form and a JSON client send the same thing. The body's field gives the
kind of input (an enum or Literal: a choice with its Chinese labels; bool: a checkbox; int: a
number, or the hidden "which one" when its name ends in `_id`; list[int]: checkboxes of ids; date:
a date input; str: one line, or a text area past 300 characters), whether it is required, its
lengths and bounds. Labels come from cases/labels.py FIELD_LABELS (else the field's description).
What a body cannot say — a radio list, the rows of a text area, a help text — is in FIELD_HINTS, by
field name. A dict field is no input: a form of its own builds it in to_body (the tasks per unit, a
mediation session's details).

So a new move with an ordinary body gets a working form with no edit here. Forms with behaviour of
their own subclass the derived form and are listed in CUSTOM_FORMS: grading (the active categories,
"不变（当前：…）"), the units picker of dispatch and joint handling, the progress record and the
mediation session, and supervision's choice of units.

Shape only — required, lengths, choices; whether the move is allowed, and every rule across
objects, is the service's. `to_body()` turns the cleaned data into the body the registry validates,
so the web and the API call the services through one registry (yimen.cases.actions.ACTIONS).
"""

import datetime as dt
import enum
import functools
import types
import typing

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic.fields import FieldInfo

from yimen.cases.actions import ACTIONS, STAFF_ACTIONS, ActionIn
from yimen.cases.labels import FIELD_LABELS
from yimen.cases.presenting import FOLLOW_UP_METHODS
from yimen.cases.rules import Action
from yimen.cases.validators import MEDIATION_FIELDS, MEDIATION_TEXT_LENGTHS, MediationMethod, RecordKind

from .base import Form

# Service field names that a form shows under another name.
FIELD_MAP = {f"details.{name}": name for name in MEDIATION_FIELDS}


def _blank(choices):
    return [("", _("请选择"))] + list(choices)


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
    # A subclass's own names for body fields it shows in another sense (a mediation session's note).
    labels: dict[str, str] = {}

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
            if name in self.labels:
                f.label = self.labels[name]
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


# ---------------------------------------------------------------------------------------------
# Derived from the body

# A text that may be longer than this is free text in a text area; up to it, one line.
ONE_LINE = 300

# Presentation a body cannot say, by field name; "<action>.<field>" first where the same name is
# shown differently in different moves (as in cases/labels.py). Keys: widget, rows (of a text area),
# help_text, label, choices (for a str the body leaves open).
FIELD_HINTS: dict[str, dict] = {
    "risk": {"help_text": _("定为红色须说明研判理由")},
    "accept_suggestion": {"help_text": _("未填写的类别、紧急程度、风险等级和领域采用系统研判建议")},
    "lead_unit": {"widget": forms.RadioSelect},
    "units": {"help_text": _("牵头单位之外至少选择一个单位")},
    "limit_reason": {
        "label": _("承办期限晚于事项期限的理由"),
        "help_text": _("留空时，承办期限按事项期限缩短；填写理由则按承办规则计时，理由记入办理过程"),
    },
    "satisfaction": {"widget": forms.RadioSelect},
    "comment": {"help_text": _("群众不满意时必填")},
    "amount": {"help_text": _("单位同本单位的办理期限（通常为工作日）")},
    "follow_up.method": {"choices": list(FOLLOW_UP_METHODS.items())},
    "supervise.unit": {"widget": forms.Select, "help_text": _("留空为牵头单位")},
    "record_progress.note": {"label": _("办理情况")},
    "return.reason": {"help_text": _("说明为何不属于本单位职责，以及应由哪个单位办理")},
    "dispatch.reason": {"rows": 2},
    "convene_joint.reason": {"rows": 2},
    "approve_extension.reason": {"rows": 2},
    "refuse_extension.reason": {"rows": 2},
    "archive.note": {"rows": 2},
}


def _hint(action: str, name: str) -> dict:
    return FIELD_HINTS.get(f"{action}.{name}") or FIELD_HINTS.get(name) or {}


def _bare(annotation):
    """`X | None` → X; `Annotated[X, …]` → X."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _bare(args[0])
    return annotation


def _choices(kind) -> list | None:
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return list(kind.choices) if hasattr(kind, "choices") else [(m.value, m.name) for m in kind]
    if typing.get_origin(kind) is typing.Literal:
        return [(v, v) for v in typing.get_args(kind)]
    return None


def _bounds(info: FieldInfo) -> dict:
    """max_length, min_length, ge and le from the field's annotated-types metadata."""
    return {
        attr: getattr(m, attr) for m in info.metadata
        for attr in ("max_length", "min_length", "ge", "le") if getattr(m, attr, None) is not None
    }


def _form_field(action: str, name: str, info: FieldInfo) -> forms.Field | None:
    """The form field of one body field; None for a dict (the form's own to_body builds it)."""
    hint, kind, bounds = _hint(action, name), _bare(info.annotation), _bounds(info)
    required = info.is_required()
    default = None if required or info.default_factory else info.default
    initial = default if default not in (None, "") and not isinstance(default, bool) else None
    label = hint.get("label")
    if label is None and not (FIELD_LABELS.get(f"{action}.{name}") or FIELD_LABELS.get(name)):
        label = info.description
    common = {"required": required, "label": label, "help_text": hint.get("help_text", "")}
    widget = hint.get("widget")
    choices = hint.get("choices") or _choices(kind)
    if choices is not None:
        widget = widget or forms.Select
        if widget is forms.Select and initial is None:
            choices = _blank(choices)
        return forms.ChoiceField(choices=choices, initial=initial, widget=widget, **common)
    if kind is bool:
        return forms.BooleanField(**{**common, "required": False})
    if kind is int:
        widget = widget or (forms.HiddenInput if name.endswith("_id") else None)
        return forms.IntegerField(min_value=bounds.get("ge"), max_value=bounds.get("le"), initial=initial, widget=widget, **common)
    if typing.get_origin(kind) is list and _bare(typing.get_args(kind)[0]) is int:
        return IdsField(widget=widget or forms.CheckboxSelectMultiple, **common)
    if kind is dt.date:
        widget = widget or forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return forms.DateField(initial=initial, widget=widget, **common)
    if kind is str:
        longest = bounds.get("max_length")
        if widget is None:
            one_line = longest is not None and longest <= ONE_LINE
            widget = forms.TextInput if one_line else forms.Textarea(attrs={"rows": hint.get("rows", 3)})
        return forms.CharField(max_length=longest, min_length=bounds.get("min_length"), initial=initial, widget=widget, **common)
    if typing.get_origin(kind) is dict and not required:
        return None
    raise TypeError(f"{action}.{name}: no form field for {info.annotation!r}; give the action a form of its own")


def derive_form(action: str, schema: type[ActionIn]) -> type[ActionForm]:
    """An ActionForm class with a field for each of `schema`'s fields (expected_status aside)."""
    fields = {}
    for name, info in schema.model_fields.items():
        field = None if name == "expected_status" else _form_field(action, name, info)
        if field is not None:
            fields[name] = field
    attrs = {
        "__module__": __name__,
        "action": str(action),
        "body_fields": tuple(fields),
        "id_field": next((name for name in fields if name.endswith("_id")), ""),
        **fields,
    }
    return type("".join(part.title() for part in str(action).split("_")) + "BodyForm", (ActionForm,), attrs)


def derived_form(action: str) -> type[ActionForm]:
    """The form derived from the registry's body of `action`, built once (KeyError for no staff action)."""
    return _derived_form(str(action))  # an Action member and its value are one key


@functools.cache
def _derived_form(action: str) -> type[ActionForm]:
    return derive_form(action, ACTIONS[action].schema)


# ---------------------------------------------------------------------------------------------
# Forms with behaviour of their own


class TriageForm(derived_form(Action.TRIAGE)):
    category = forms.ChoiceField(required=False, choices=())  # the active categories, given by the page
    request_type = forms.ChoiceField(label=_("诉求类型"), required=False, choices=())  # the active request types

    def __init__(self, *args, categories=(), current: dict | None = None, **kwargs):
        """`current`: the matter's grading now (field → label); left blank, a grade stays as it is."""
        from yimen.cases.triage_link import request_type_labels

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "")] + [(c.code, c.name) for c in categories]
        self.fields["request_type"].choices = [("", "")] + list(request_type_labels().items())
        for name in ("category", "urgency", "risk", "domain_class", "request_type"):
            shown = (current or {}).get(name) or _("未定")
            choices = list(self.fields[name].choices)
            self.fields[name].choices = [("", _("不变（当前：%(value)s）") % {"value": shown})] + choices[1:]


class UnitsForm(ActionForm):
    """Dispatch and joint handling: a lead, other units, and a task per unit (`task_<unit id>`).
    `candidates` are selectors.dispatch_candidates rows; they fill the picker, the service decides
    which units may be sent. Mixed in before the derived form, which has the fields."""

    others_field = ""  # assist_units (dispatch) or units (joint handling)

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


class DispatchForm(UnitsForm, derived_form(Action.DISPATCH)):
    others_field = "assist_units"


class ConveneJointForm(UnitsForm, derived_form(Action.CONVENE_JOINT)):
    others_field = "units"


class RecordProgressForm(derived_form(Action.RECORD_PROGRESS)):
    """A handling step (kind=handling). The page always sends the kind, so the form requires it."""

    kind = forms.ChoiceField(choices=RecordKind.choices, initial=RecordKind.HANDLING, widget=forms.HiddenInput)

    def to_body(self) -> dict:
        return {**super().to_body(), "details": {}}


class MediationSessionForm(RecordProgressForm):
    """One mediation session (kind=mediation): the same action, with the session's details.
    Required here for a complete record; the service's validate_mediation_session checks the rest."""

    id_suffix = "-mediation"
    labels = {"note": _("调解经过")}
    kind = forms.ChoiceField(choices=RecordKind.choices, initial=RecordKind.MEDIATION, widget=forms.HiddenInput)
    date = forms.DateField(
        label=MEDIATION_FIELDS["date"], initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    place = forms.CharField(label=MEDIATION_FIELDS["place"], max_length=MEDIATION_TEXT_LENGTHS["place"])
    mediators = forms.CharField(label=MEDIATION_FIELDS["mediators"], max_length=MEDIATION_TEXT_LENGTHS["mediators"])
    method = forms.ChoiceField(label=MEDIATION_FIELDS["method"], choices=_blank(MediationMethod.choices))
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

    field_order = ["date", "place", "mediators", "method", "parties_present", "note", "result", "next_step"]

    def to_body(self) -> dict:
        details = {name: self.cleaned_data.get(name) for name in MEDIATION_FIELDS if name in self.fields}
        details["date"] = details["date"].isoformat()
        return {**super().to_body(), "details": details}


class SuperviseForm(derived_form(Action.SUPERVISE)):
    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [("", _("牵头单位"))] + [(str(u.pk), u.name) for u in units]


# ---------------------------------------------------------------------------------------------
# Which form

# The actions whose form has behaviour of its own; every other staff action has its derived form.
CUSTOM_FORMS: dict[str, type[ActionForm]] = {
    Action.TRIAGE: TriageForm,
    Action.DISPATCH: DispatchForm,
    Action.CONVENE_JOINT: ConveneJointForm,
    Action.RECORD_PROGRESS: RecordProgressForm,
    Action.SUPERVISE: SuperviseForm,
}


def form_class_for(action: str, data=None) -> type[ActionForm]:
    """The form of `action`; a progress record posted with kind=mediation is a mediation session."""
    if action == Action.RECORD_PROGRESS and data is not None and data.get("kind") == RecordKind.MEDIATION:
        return MediationSessionForm
    return CUSTOM_FORMS.get(action) or derived_form(action)


# Every staff action's form, read off the registry (none is listed by hand).
ACTION_FORMS: dict[str, type[ActionForm]] = {str(action): form_class_for(action) for action in STAFF_ACTIONS}
