"""The residents' register form (解纷码): shape only, in words a resident uses.

Rules — the proved phone, rate limits, what a matter needs — are the services' (yimen.residents).
The form is posted back to itself for every step (choose a place, send a code, remove a file,
submit) and only the submit checks it: a resident choosing a village should not meet red errors on
fields they have not reached. Files are not cleaned here: the view checks each one by content and
keeps the good ones in the draft; the `files` field renders the picker and carries its errors.
"""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.cases.models import Category
from yimen.common.errors import InvalidInput
from yimen.regions.models import Region
from yimen.regions.selectors import cascade_choice, region_by_code
from yimen.residents.otp import normalise_phone
from yimen.residents.services import ResidentReport

from .base import Form

# What a draft remembers: every field typed or chosen. The one-time code is not kept: it is short,
# used once, and a secret.
DRAFT_FIELDS = ("category", "description", "place", "address", "other_party", "headcount", "request", "name", "phone")
UNSURE = ""  # the category answer "不清楚，请工作人员判断": staff classify the matter
MAX_HEADCOUNT = 100_000
ACCEPT = "image/*,application/pdf,audio/*"


class _CascadeInput(forms.HiddenInput):
    """The place selects all post `place`, one per level; the value is the deepest consistent choice.
    A draft (a plain dict) keeps that one code."""

    def value_from_datadict(self, data, files, name):
        return cascade_choice(data.getlist(name)) if hasattr(data, "getlist") else data.get(name)


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class _FilePicker(forms.Field):
    """<input type=file multiple>; the view checks and keeps the files, so nothing is cleaned here."""

    def __init__(self, **kwargs):
        widget = _MultipleFileInput(attrs={"multiple": True, "accept": ACCEPT})
        super().__init__(required=False, widget=widget, **kwargs)

    def clean(self, value):
        return []


def _required(message):
    return {"required": message}


class RegisterForm(Form):
    category = forms.CharField(label=_l("遇到了什么事"), required=False, max_length=20)
    description = forms.CharField(
        label=_l("发生了什么"), max_length=5000, min_length=10, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_l("比如：什么时候、在哪里、和谁、因为什么事。"),
        error_messages={"required": _l("请说说发生了什么。"), "min_length": _l("请多写几句，说清楚发生了什么。"),
                        "max_length": _l("写得太长了，请简短一些（5000字以内）。")},
    )
    place = forms.CharField(label=_l("事情发生在哪里"), required=False, max_length=15, widget=_CascadeInput)
    address = forms.CharField(label=_l("详细地址（可不填）"), required=False, max_length=200,
                              help_text=_l("比如：人民路12号、某某小区3栋。"))
    other_party = forms.CharField(label=_l("对方是谁（个人或单位，可不填）"), required=False, max_length=100)
    headcount = forms.IntegerField(
        label=_l("一共涉及几个人"), required=False, min_value=1, max_value=MAX_HEADCOUNT,
        help_text=_l("算上您自己。"), widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _l("请填写一个数字。"), "min_value": _l("至少是1个人。"),
                        "max_value": _l("人数太多了，请填写实际人数。")},
    )
    request = forms.CharField(
        label=_l("您希望怎么解决"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_l("比如：要回工钱、不再吵闹、赔偿损失。"), error_messages=_required(_l("请说说您希望怎么解决。")),
    )
    files = _FilePicker(label=_l("照片、录音或材料（可不填）"))
    name = forms.CharField(label=_l("您的姓名"), max_length=50, error_messages=_required(_l("请填写您的姓名。")),
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_l("手机号"), max_length=20, help_text=_l("用来接收验证码和办理进展，不会公开。"),
        error_messages=_required(_l("请填写手机号。")),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_l("短信验证码"), required=False, max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )

    def __init__(self, *args, centre, checking: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre
        self.checking = checking
        self.categories = list(Category.objects.filter(parent__isnull=True, active=True).order_by("ordering", "code"))

    @classmethod
    def resumed(cls, *, centre, draft, phone: str = "") -> "RegisterForm":
        """The form as the resident left it (their draft), or a fresh one."""
        if draft is not None and draft.data:
            return cls(draft.data, centre=centre, checking=False)
        return cls(centre=centre, initial={"headcount": 1, "phone": phone})

    def full_clean(self):
        if self.checking:
            return super().full_clean()
        # Not sending yet: no errors, but the view may still add the errors of what it did
        # (a refused file, a code that could not be sent).
        self._errors = ErrorDict(renderer=self.renderer)
        self.cleaned_data = {}

    def clean_category(self) -> Category | None:
        if self.data.get("category") is None:
            raise forms.ValidationError(_("请选一项。不清楚就选“不清楚，请工作人员判断”。"))
        value = self.cleaned_data["category"]
        if value == UNSURE:
            return None
        chosen = next((c for c in self.categories if str(c.pk) == value), None)
        if chosen is None:
            raise forms.ValidationError(_("请从下面选一项。"))
        return chosen

    def clean_place(self) -> Region | None:
        """None: "I don't know" — the centre's own region."""
        code, root = self.cleaned_data["place"], self.centre.region
        if not code or code == root.code:
            return None
        region = region_by_code(code) if code.startswith(root.code) else None
        if region is None:
            raise forms.ValidationError(_("请从列表里选地方；不清楚就选“不清楚”。"))
        return region

    def clean_headcount(self) -> int:
        return self.cleaned_data["headcount"] or 1

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message)) from None

    # -- what the view and the template need ------------------------------------------------

    def report(self) -> ResidentReport:
        d = self.cleaned_data
        return ResidentReport(
            description=d["description"], request=d["request"], name=d["name"], category=d["category"],
            region=d["place"], address=d["address"], other_party=d["other_party"], headcount=d["headcount"],
        )

    def draft_data(self) -> dict:
        """What was typed, as text, for the draft; a category not chosen stays absent."""
        return {name: str(value) for name in DRAFT_FIELDS if (value := self[name].value()) is not None}

    def place_code(self) -> str:
        return (self["place"].value() or "") if self.is_bound else ""

    def typed_phone(self) -> str:
        """The phone as typed, normalised; "" when it is not a phone number yet."""
        try:
            return normalise_phone(self["phone"].value() or "")
        except InvalidInput:
            return ""

    def category_options(self) -> list[dict]:
        """The radios, with "I don't know" last. Rendered by hand: Django would tick the empty
        value of a fresh form, and the resident must choose."""
        chosen = self.data.get("category") if self.is_bound else None
        options = [(str(c.pk), c.name) for c in self.categories] + [(UNSURE, _("不清楚，请工作人员判断"))]
        return [
            {"value": value, "label": label, "checked": chosen is not None and str(chosen) == value,
             "id": f"id_category_{index}", "wide": value == UNSURE}
            for index, (value, label) in enumerate(options)
        ]

    def error_summary(self) -> list[dict]:
        """Each error once, with the field's name and a link to it, for the top of the page."""
        rows = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            for message in errors:
                rows.append({"anchor": f"field-{name}" if field else "", "label": field.label if field else "",
                             "message": message})
        return rows
