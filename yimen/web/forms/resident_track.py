"""The residents' tracking forms (解纷码, part two): shape only. Whether a number and code match, a
phone code is right, a file is what it claims, or a move is allowed now is decided by
yimen.residents (lookup, otp, uploads, services), once."""

from django import forms
from django.utils.translation import gettext_lazy as _l

from yimen.cases.models import Satisfaction
from yimen.residents.services import RESIDENT_SATISFACTION

from .base import Form

# Inputs a resident types on a phone: no autocorrection or capitalisation games, big enough to tap.
_PLAIN = {"autocorrect": "off", "autocapitalize": "off", "spellcheck": "false"}


class TrackForm(Form):
    number = forms.CharField(
        label=_l("事项编号"), max_length=32,
        error_messages={"required": _l("请填写事项编号。")},
        widget=forms.TextInput(attrs={**_PLAIN, "placeholder": _l("受理回执上的编号")}),
    )
    # The code is a secret: the browser must not remember it or offer it to the next user of a
    # shared phone.
    code = forms.CharField(
        label=_l("查询码"), max_length=40,
        error_messages={"required": _l("请填写查询码。")},
        widget=forms.TextInput(attrs={**_PLAIN, "autocomplete": "off", "autocapitalize": "characters",
                                      "placeholder": _l("受理回执上的20位查询码")}),
    )


class PhoneForm(Form):
    """手机号查询: `phone` to send a code; `phone` + `code` to prove it (the view tells them apart)."""

    phone = forms.CharField(
        label=_l("手机号"), max_length=20,
        error_messages={"required": _l("请填写手机号。")},
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_l("短信验证码"), max_length=10, required=False,
        widget=forms.TextInput(attrs={**_PLAIN, "inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class SupplementForm(Form):
    """补充材料. The files are read by the view from request.FILES and checked by content
    (uploads.check_upload), one by one, so a refused file does not sink the others."""

    note = forms.CharField(
        label=_l("补充说明"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _l("例如：对方昨天又来施工了；补充欠条照片")}),
    )
    files = forms.FileField(
        label=_l("照片、PDF或录音"), required=False,
        widget=_MultipleFileInput(attrs={"multiple": True, "accept": "image/*,application/pdf,audio/*"}),
    )


class WithdrawForm(Form):
    reason = forms.CharField(
        label=_l("撤回原因（可不填）"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _l("例如：双方已自行协商解决")}),
    )


class RateForm(Form):
    satisfaction = forms.ChoiceField(
        label=_l("您对办理结果满意吗？"),
        choices=[(value, Satisfaction(value).label) for value in RESIDENT_SATISFACTION],
        widget=forms.RadioSelect,
        error_messages={"required": _l("请选择满意、基本满意或不满意。"), "invalid_choice": _l("请选择满意、基本满意或不满意。")},
    )
    comment = forms.CharField(
        label=_l("您的意见"), max_length=500, required=False,
        help_text=_l("不满意请写明原因，我们会重新办理或复核。"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _l("不满意请写明原因")}),
    )
