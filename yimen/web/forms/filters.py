"""The matter list's filter form: the web face of selectors.CaseFilters (the one filter definition
the API's list shares). Shape only: which values are well-formed; scope is the selector's."""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases.models import Category, Channel, Risk, Status, Urgency
from yimen.cases.selectors import CASE_SORTS, DEFAULT_SORT, CaseFilters, case_filter_regions, case_filter_units
from yimen.common.words import join_list

from .base import Form

# Query-string keys that move through a list rather than narrow it: not part of a saved filter.
PAGING_KEYS = ("after", "before", "page")

_YES_NO = [("", _("全部")), ("true", _("是")), ("false", _("否"))]
_OPEN_CLOSED = [("", _("全部")), ("true", _("在办")), ("false", _("已结束"))]

SORT_LABELS = {
    "-received": _("受理时间（新→旧）"),
    "received": _("受理时间（旧→新）"),
    "due": _("办理期限（近→远）"),
    "risk": _("风险等级（高→低）"),
    "status": _("状态（按办理流程）"),
}


def _optional(choices) -> list:
    return [("", _("全部")), *choices]


def _boolean(value: str):
    return {"true": True, "false": False}.get(value)


def category_choices() -> list[tuple[str, str]]:
    """The category tree as one list, children indented under their parent (one query)."""
    rows = list(Category.objects.filter(active=True).order_by("ordering", "code").values("code", "name", "parent__code", "id", "parent_id"))
    children: dict = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    known = {row["id"] for row in rows}
    out: list[tuple[str, str]] = []

    def walk(parent_id, depth):
        for row in children.get(parent_id, []):
            out.append((row["code"], "　" * depth + ("└ " if depth else "") + row["name"]))
            walk(row["id"], depth + 1)

    walk(None, 0)
    for parent_id in children:  # children of an inactive parent still appear, at the top level
        if parent_id is not None and parent_id not in known:
            walk(parent_id, 0)
    return out


class CaseFilterForm(Form):
    text = forms.CharField(label=_("关键词或事项编号"), max_length=100, required=False)
    status = forms.MultipleChoiceField(label=_("状态"), choices=Status.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    open = forms.ChoiceField(label=_("在办/结束"), choices=_OPEN_CLOSED, required=False)
    category = forms.ChoiceField(label=_("事项类别（含下级）"), required=False)
    risk = forms.ChoiceField(label=_("风险等级"), choices=_optional(Risk.choices), required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=_optional(Urgency.choices), required=False)
    channel = forms.ChoiceField(label=_("受理渠道"), choices=_optional(Channel.choices), required=False)
    unit = forms.TypedChoiceField(label=_("承办单位"), coerce=int, empty_value=None, required=False)
    region = forms.RegexField(label=_("发生地（区划，含下级）"), regex=r"^\d{2,15}$", required=False,
                              error_messages={"invalid": _("请选择区划，或输入2至15位数字的区划代码。")})
    received_from = forms.DateField(label=_("受理日期起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("受理日期止（含当日）"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.ChoiceField(label=_("已超期"), choices=_YES_NO, required=False)
    # The default ordering is the empty choice, so an address without `sort` and one with the
    # default are the same address (bookmarks and saved filters stay short).
    sort = forms.ChoiceField(label=_("排序"), required=False,
                             choices=[("" if key == DEFAULT_SORT else key, label) for key, label in SORT_LABELS.items()])

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["category"].choices = _optional(category_choices())
        self.fields["unit"].choices = _optional([(u.pk, u.name) for u in case_filter_units(user)])
        self.regions = [(r.code, r.name) for r in case_filter_regions(user)[:500]]
        for name in ("text", "region"):
            self.fields[name].widget.attrs.update({"autocomplete": "off"})
        self.fields["region"].widget.attrs.update({"list": "region-choices", "inputmode": "numeric",
                                                   "placeholder": _("如 449001001")})

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("受理日期止不能早于受理日期起。"))
        return data

    def to_filters(self) -> CaseFilters:
        """The valid form as the selectors' CaseFilters (dates are whole local days, as in the API)."""
        d = self.cleaned_data
        return CaseFilters(
            status=d.get("status") or None,
            category=d.get("category") or None,
            risk=d.get("risk") or None,
            urgency=d.get("urgency") or None,
            channel=d.get("channel") or None,
            region=d.get("region") or None,
            overdue=_boolean(d.get("overdue") or ""),
            open=_boolean(d.get("open") or ""),
            received_from=_day_start(d.get("received_from")),
            received_to=_day_start(d.get("received_to"), next_day=True),
            text=(d.get("text") or "").strip() or None,
            unit=d.get("unit") or None,
        )

    def chosen_sort(self) -> str:
        """The ordering asked for (valid form), or the default one."""
        value = getattr(self, "cleaned_data", {}).get("sort") or ""
        return value if value in CASE_SORTS else DEFAULT_SORT

    def described(self) -> list[tuple[str, str]]:
        """The active filters in words, for the export's notes sheet: [(label, value), …]."""
        out = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if name == "sort" or value in (None, "", []):
                continue
            if isinstance(field, forms.MultipleChoiceField):
                labels = dict(field.choices)
                shown = join_list(labels.get(v, v) for v in value)
            elif isinstance(field, forms.ChoiceField):
                shown = str(dict(field.choices).get(value, value)).strip("　└ ")
            elif isinstance(value, dt.date):
                shown = value.isoformat()
            else:
                shown = str(value)
            out.append((str(field.label), shown))
        return out


def _day_start(value: dt.date | None, *, next_day: bool = False) -> dt.datetime | None:
    if value is None:
        return None
    day = value + dt.timedelta(days=1 if next_day else 0)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def filter_query(params, *, drop=PAGING_KEYS) -> str:
    """The list's query string without its paging keys (what a saved filter or a sort link keeps)."""
    pairs = [(key, value) for key in params for value in params.getlist(key) if key not in drop and value != ""]
    return urlencode(pairs)


class SavedFilterForm(Form):
    name = forms.CharField(label=_("筛选名称"), max_length=40)
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
