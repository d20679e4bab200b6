"""The audit page's filters (yimen.web.views.audit)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yimen.audit.models import AuditKind
from yimen.audit.selectors import AuditFilters

from .base import Form


class AuditFilterForm(Form):
    since = forms.DateField(label=_("日期起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("日期止（含当日）"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部"))] + AuditKind.choices)
    actor = forms.CharField(label=_("操作人账号"), max_length=150, required=False)
    address = forms.CharField(label=_("客户端地址"), max_length=45, required=False)
    text = forms.CharField(label=_("摘要关键词"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期。"))
        return data

    def to_filters(self) -> AuditFilters:
        d = self.cleaned_data
        return AuditFilters(since=d.get("since"), until=d.get("until"), kind=d.get("kind") or "",
                            actor=(d.get("actor") or "").strip(), address=(d.get("address") or "").strip(),
                            text=(d.get("text") or "").strip())

    def described(self) -> list[tuple[str, str]]:
        """The filters in use, for the export's notes sheet."""
        return [(str(self.fields[name].label), str(dict(self.fields["kind"].choices).get(value, value))
                 if name == "kind" else str(value))
                for name, value in self.cleaned_data.items() if value]
