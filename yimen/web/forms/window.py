"""The unified window's form (无差别受理): shape only. Rules — who may register where, what a matter
needs — are intake's (cases.intake.case_register); the ID number and phone checks are the shared
validators in cases.validators."""

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.cases.intake import AttachmentInput, CaseInput, PartyInput
from yimen.cases.lookups import category_choices
from yimen.cases.triage_link import request_type_labels
from yimen.cases.models import Category, Channel, PartyKind, PartyRole, Risk, Urgency
from yimen.cases.validators import validate_id_number, validate_phone
from yimen.common.errors import InvalidInput
from yimen.regions.models import Region
from yimen.regions.selectors import cascade_choice, region_by_code

from .base import Form

# Help-on-behalf (帮代办) is recorded with what intake already stores: this tag on the matter and a
# line at the end of the description naming who was helped. The `registered` event's actor is the
# clerk, so the timeline shows who registered on the resident's behalf.
ON_BEHALF_TAG = "帮代办"
MAX_PARTY_ROWS = 50
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")
_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """A plain <input type=file multiple>: the drop zone only fills it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(_MultipleFileField, self).clean(f, initial) for f in files]


class _CascadeInput(forms.HiddenInput):
    """The place cascade posts one `region` per level (see _regions.html); the field's value is the
    deepest consistent choice among them."""

    def value_from_datadict(self, data, files, name):
        return cascade_choice(data.getlist(name)) if hasattr(data, "getlist") else data.get(name)


def _shared_validator(check, value: str) -> str:
    try:
        return check(value)
    except InvalidInput as error:
        raise forms.ValidationError(str(error.message)) from None


class WindowForm(Form):
    """The matter. Field names match CaseInput's, so intake's field names map straight back."""

    channel = forms.ChoiceField(label=_l("来源渠道"), choices=[c for c in Channel.choices if c[0] != Channel.API],
                                initial=Channel.WALK_IN)
    received_at = forms.DateTimeField(
        label=_l("受理时间"), input_formats=[_DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_DATETIME_LOCAL),
    )
    title = forms.CharField(label=_l("标题"), max_length=120, required=False,
                            help_text=_l("可不填：取事项描述的前30字。"))
    description = forms.CharField(label=_l("事项描述"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5}))
    request = forms.CharField(label=_l("诉求"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.TypedChoiceField(label=_l("纠纷类别"), coerce=int, required=False, empty_value=None)
    urgency = forms.ChoiceField(label=_l("紧急程度"), required=False, choices=[("", _l("（不指定）")), *Urgency.choices])
    risk = forms.ChoiceField(label=_l("风险等级"), required=False, choices=[("", _l("（不指定）")), *Risk.choices])
    # The active request types (triage data, editable in the admin), set per form.
    request_type = forms.ChoiceField(label=_l("诉求类型"), required=False, choices=(),
                                     help_text=_l("咨询、求助、投诉、举报、建议或纠纷；可不填，由研判员确定。"))
    region = forms.CharField(label=_l("事项发生地"), max_length=15, widget=_CascadeInput)
    address = forms.CharField(label=_l("详细地址"), max_length=200, required=False)
    amount = forms.DecimalField(label=_l("涉及金额(元)"), required=False, min_value=0, max_digits=14, decimal_places=2)
    headcount = forms.IntegerField(label=_l("涉及人数"), required=False, min_value=1,
                                   help_text=_l("可不填：按申请人人数。"))
    tags = forms.CharField(label=_l("标签"), max_length=300, required=False, help_text=_l("多个标签用逗号或空格分开。"))
    attachments = _MultipleFileField(label=_l("附件"), required=False)
    on_behalf = forms.BooleanField(label=_l("帮代办：工作人员代群众登记"), required=False)
    on_behalf_note = forms.CharField(
        label=_l("帮代办说明"), max_length=200, required=False,
        help_text=_l("写明为谁代办、原因，如“王大爷，82岁，视力不好”。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_choices = category_choices()
        self.fields["category"].choices = [("", _("（暂不分类，由研判员确定）"))] + [
            (c.id, c.path) for c in self.category_choices
        ]
        self.fields["request_type"].choices = [("", _("（不指定）"))] + list(request_type_labels().items())
        self.region_obj: Region | None = None

    @classmethod
    def initial_for(cls, *, region_code: str) -> dict:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return {"channel": Channel.WALK_IN, "received_at": now, "region": region_code}

    def clean_region(self) -> str:
        code = self.cleaned_data["region"].strip()
        self.region_obj = region_by_code(code)
        if self.region_obj is None:
            raise forms.ValidationError(_("请选择事项发生地。"))
        return code

    def clean_tags(self) -> list[str]:
        return list(dict.fromkeys(t[:30] for t in _TAG_SPLIT.split(self.cleaned_data["tags"]) if t))

    def clean(self):
        data = super().clean()
        if data.get("on_behalf") and not (data.get("on_behalf_note") or "").strip():
            self.add_error("on_behalf_note", _("勾选帮代办时，请写明为谁代办。"))
        return data

    def case_input(self, parties: list[PartyInput]) -> CaseInput:
        d = self.cleaned_data
        description, tags = d["description"], list(d["tags"])
        if d["on_behalf"]:
            description = f"{description.rstrip()}\n\n【{ON_BEHALF_TAG}】{d['on_behalf_note'].strip()}"
            tags = [ON_BEHALF_TAG, *(t for t in tags if t != ON_BEHALF_TAG)]
        category = Category.objects.filter(pk=d["category"]).first() if d["category"] else None
        return CaseInput(
            channel=d["channel"], region=self.region_obj, title=d["title"], description=description,
            request=d["request"], address=d["address"], category=category, urgency=d["urgency"], risk=d["risk"],
            request_type=d["request_type"], amount=d["amount"], headcount=d["headcount"], tags=tags, parties=parties,
            attachments=[_attachment(f) for f in d["attachments"]], received_at=d["received_at"],
        )


def _attachment(upload) -> AttachmentInput:
    # One byte past the limit at most: enough for intake to say "too large" without reading it all.
    content = upload.read(settings.YIMEN_MAX_ATTACHMENT_BYTES + 1)
    return AttachmentInput(name=upload.name or "file", content=content, content_type=upload.content_type or "")


class PartyForm(Form):
    """One party row. Every field is optional here: a row left blank is not a party (two rows are
    always shown so the form works without scripts); intake says what a party needs."""

    # Not required: a row taken off the page by the script posts nothing at all and counts as blank.
    role = forms.ChoiceField(label=_l("身份"), choices=PartyRole.choices, initial=PartyRole.APPLICANT, required=False)
    kind = forms.ChoiceField(label=_l("类型"), choices=PartyKind.choices, initial=PartyKind.PERSON, required=False)
    name = forms.CharField(label=_l("姓名/名称"), max_length=100, required=False)
    id_number = forms.CharField(label=_l("证件号码"), max_length=32, required=False)
    phone = forms.CharField(label=_l("联系电话"), max_length=20, required=False)
    headcount = forms.IntegerField(label=_l("人数"), min_value=1, required=False, initial=1)
    address = forms.CharField(label=_l("住址"), max_length=200, required=False)

    def clean_id_number(self) -> str:
        return _shared_validator(validate_id_number, self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return _shared_validator(validate_phone, self.cleaned_data["phone"])

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", None) or {}
        return not any((d.get(k) or "").strip() for k in ("name", "id_number", "phone", "address"))

    def party_input(self) -> PartyInput:
        d = self.cleaned_data
        return PartyInput(name=d["name"], role=d["role"] or PartyRole.APPLICANT, kind=d["kind"] or PartyKind.PERSON, id_number=d["id_number"], phone=d["phone"],
                          headcount=d["headcount"] or 1, address=d["address"])


class _PartyRows(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        # The first row is the applicant, the second the respondent; rows added later start as applicants.
        role = PartyRole.RESPONDENT if index == 1 else PartyRole.APPLICANT
        return {"initial": {"role": role, "kind": PartyKind.PERSON, "headcount": 1}}

    def parties(self) -> tuple[list[PartyInput], list[int]]:
        """The filled-in rows as intake's inputs, and each one's row index (to put intake's
        `parties[i].field` errors back on the right row)."""
        rows = [(i, f) for i, f in enumerate(self.forms) if not f.is_blank()]
        return [f.party_input() for _i, f in rows], [i for i, _f in rows]


PartyFormSet = forms.formset_factory(PartyForm, formset=_PartyRows, extra=2, max_num=MAX_PARTY_ROWS, validate_max=True)


class PartyLookupForm(Form):
    """The look-up a party row sends on blur: the row's ID number and phone, checked by the same
    validators as the form (a half-typed number is answered with the validator's message)."""

    id_number = forms.CharField(max_length=32, required=False)
    phone = forms.CharField(max_length=20, required=False)

    def __init__(self, params, *args, **kwargs):
        # A row sends its inputs under formset names ("parties-0-id_number"); take the first of each.
        data = {}
        for key in params:
            for name in ("id_number", "phone"):
                if (key == name or key.endswith(f"-{name}")) and name not in data:
                    data[name] = params.get(key, "")
        super().__init__(data, *args, **kwargs)

    def clean_id_number(self) -> str:
        return _shared_validator(validate_id_number, self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return _shared_validator(validate_phone, self.cleaned_data["phone"])
