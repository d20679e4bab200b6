"""Admin for time limits: policies, the holiday calendar, and the running deadlines (read-only).

Importing this module registers the four admins on the default site. Calendar edits go through
the services in deadlines.py, which recompute the deadlines the change moves.
"""

import datetime as dt
import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yimen.common.admin import ReadOnlyAdminMixin

from . import deadlines
from .models import CalendarDay, CalendarYear, Deadline, DeadlineState, TimeLimitPolicy


class _CalendarWarningsMixin:
    """Show the calendar warnings at the top of the list, where the people who can act look."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in deadlines.calendar_warnings():
                self.message_user(request, warning, messages.WARNING)
        return super().changelist_view(request, extra_context)


def _recomputed(admin_obj, request, count: int) -> None:
    admin_obj.message_user(request, _("已按新的节假日安排重算%(count)d条期限。") % {"count": count}, messages.INFO)


class _PolicyForm(forms.ModelForm):
    # The request types are the triage app's data (诉求类型); a code the admin has since removed stays
    # listed on the policy that names it, so the form still opens.
    request_type = forms.ChoiceField(label=gettext_lazy("适用诉求类型"), required=False, choices=())

    class Meta:
        model = TimeLimitPolicy
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        from .triage_link import request_type_labels

        super().__init__(*args, **kwargs)
        choices = [("", _("（全部类型）"))] + [(code, f"{label}（{code}）") for code, label in request_type_labels().items()]
        current = self.instance.request_type
        if current and current not in dict(choices):
            choices.append((current, current))
        self.fields["request_type"].choices = choices


class _RequestTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("适用诉求类型")
    parameter_name = "request_type"

    def lookups(self, request, model_admin):
        from .triage_link import request_type_labels

        return list(request_type_labels().items())

    def queryset(self, request, queryset):
        return queryset.filter(request_type=self.value()) if self.value() else queryset


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(admin.ModelAdmin):
    form = _PolicyForm
    list_display = (
        "name", "step", "region", "category", "request_type_label", "urgency", "channel", "limit", "warn_before_hours",
        "escalate_when_overdue", "max_extension", "active",
    )
    list_filter = ("step", "unit", _RequestTypeFilter, "urgency", "channel", "escalate_when_overdue", "active")
    search_fields = ("name", "legal_basis")
    list_select_related = ("region", "category")
    raw_id_fields = ("region", "category")
    fieldsets = (
        (None, {
            "fields": ("name", "step", "amount", "unit", "legal_basis", "active"),
            "description": gettext_lazy("修改规则只影响此后开始计时的期限；正在计时的期限保持开始时的规则。"),
        }),
        (gettext_lazy("适用范围（留空为全部；越具体越优先：区划 > 类别 > 诉求类型 > 紧急程度 > 渠道）"), {
            "fields": ("region", "category", "request_type", "urgency", "channel"),
        }),
        (gettext_lazy("预警、提级与延期"), {
            "fields": ("warn_before_hours", "escalate_when_overdue", "max_extension"),
            "description": gettext_lazy("按日计算的期限截止于当日24:00，提前8小时预警即当日16:00。最长可延期为0表示不设上限。"),
        }),
    )

    @admin.display(description=gettext_lazy("时限"), ordering="amount")
    def limit(self, obj):
        return f"{obj.amount}{obj.get_unit_display()}"

    @admin.display(description=gettext_lazy("适用诉求类型"), ordering="request_type")
    def request_type_label(self, obj):
        from .triage_link import request_type_labels  # the engine's table, cached with its config

        if not obj.request_type:
            return "-"
        return request_type_labels().get(obj.request_type, obj.request_type)


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarWarningsMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "note")
    list_filter = ("is_workday",)
    search_fields = ("note",)
    date_hierarchy = "date"

    @admin.display(description=gettext_lazy("星期"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        years = {obj.date.year}
        if change and "date" in form.changed_data:
            years.add(form.initial["date"].year)
        super().save_model(request, obj, form, change)
        _recomputed(self, request, deadlines.calendar_recompute(years=sorted(years), actor=request.user))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _recomputed(self, request, deadlines.calendar_recompute(years=[obj.date.year], actor=request.user))

    def delete_queryset(self, request, queryset):
        years = sorted({d.year for d in queryset.values_list("date", flat=True)})
        super().delete_queryset(request, queryset)
        if years:
            _recomputed(self, request, deadlines.calendar_recompute(years=years, actor=request.user))


_LINE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*[~～至]\s*(\d{4}-\d{1,2}-\d{1,2}))?\s+(休|班)\s*(.*)$")


def parse_schedule(text: str) -> list[tuple[dt.date, bool, str]]:
    """Lines of "2027-02-06~2027-02-14 休 春节" or "2027-02-20 班 春节调休" into (date, is_workday, note)."""
    days = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        try:
            first = dt.date.fromisoformat(_iso(match.group(1))) if match else None
            last = dt.date.fromisoformat(_iso(match.group(2))) if match and match.group(2) else first
        except ValueError:
            first = None
        if first is None or last < first:
            raise forms.ValidationError(_("第%(n)d行无法识别：%(line)s") % {"n": number, "line": line})
        while first <= last:
            days.append((first, match.group(3) == "班", match.group(4).strip()))
            first += dt.timedelta(days=1)
    return days


def _iso(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


class CalendarYearForm(forms.ModelForm):
    schedule = forms.CharField(
        label=gettext_lazy("节假日与调休安排"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 60}),
        help_text=gettext_lazy(
            "按国务院办公厅公布的安排，每行一条：日期或“起~止”、休或班、说明。例如："
            "“2027-01-01 休 元旦”“2027-02-06~2027-02-14 休 春节”“2027-02-20 班 春节调休”。"
            "保存后替换该年已有的逐日录入，该年其余日期按周一至周五上班计算，并自动重算相关期限。"
        ),
    )

    class Meta:
        model = CalendarYear
        fields = ("year", "complete", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            rows = CalendarDay.objects.filter(date__year=self.instance.year)
            lines = (f"{r.date:%Y-%m-%d} {'班' if r.is_workday else '休'} {r.note}".rstrip() for r in rows)
            self.initial["schedule"] = "\n".join(lines)

    def clean(self):
        data = super().clean()
        try:
            days = parse_schedule(data.get("schedule") or "")
        except forms.ValidationError as error:
            self.add_error("schedule", error)
            return data
        year = data.get("year")
        if days and year and any(day.year != year for day, _working, _note in days):
            self.add_error("schedule", _("所有日期都必须在%(year)d年内。") % {"year": year})
        if days and not data.get("complete"):
            self.add_error("complete", _("录入全年安排即为完整年度；只录入个别日期请在“节假日与调休”中逐日添加。"))
        if len({day for day, _working, _note in days}) != len(days):
            self.add_error("schedule", _("同一日期只能录入一次。"))
        data["days"] = days
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarWarningsMixin, admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ("year", "complete", "entries", "note")
    actions = ["recompute_provisional"]

    def get_queryset(self, request):
        per_year = (
            CalendarDay.objects.annotate(y=ExtractYear("date")).filter(y=OuterRef("year"))
            .order_by().values("y").annotate(n=Count("pk")).values("n")
        )
        return super().get_queryset(request).annotate(entry_count=Coalesce(Subquery(per_year), 0))

    @admin.display(description=gettext_lazy("逐日录入"), ordering="entry_count")
    def entries(self, obj):
        return obj.entry_count

    def save_model(self, request, obj, form, change):
        years = {obj.year}
        if change and "year" in form.changed_data:
            years.add(form.initial["year"])
        super().save_model(request, obj, form, change)
        days = form.cleaned_data.get("days") or []
        # On a change the box showed the year's entries, so emptying it removes them; on a new
        # year an empty box leaves alone any days entered one by one before.
        if obj.complete and (days or (change and "schedule" in form.changed_data)):
            count = deadlines.calendar_year_publish(year=obj.year, days=days, actor=request.user)
            years.discard(obj.year)
            count += deadlines.calendar_recompute(years=sorted(years), actor=request.user) if years else 0
        else:
            count = deadlines.calendar_recompute(years=sorted(years), actor=request.user)
        _recomputed(self, request, count)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _recomputed(self, request, deadlines.calendar_recompute(years=[obj.year], actor=request.user))

    def delete_queryset(self, request, queryset):
        years = sorted(queryset.values_list("year", flat=True))
        super().delete_queryset(request, queryset)
        if years:
            _recomputed(self, request, deadlines.calendar_recompute(years=years, actor=request.user))

    @admin.action(description=gettext_lazy("重算所选年份的暂定期限"))
    def recompute_provisional(self, request, queryset):
        years = sorted(queryset.values_list("year", flat=True))
        _recomputed(self, request, deadlines.recompute_provisional(years=years, actor=request.user))


@admin.register(Deadline)
class DeadlineAdmin(_CalendarWarningsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: deadlines move only through the services (open, close, extend, recompute)."""

    list_display = (
        "case", "step", "assignment", "starts_at", "limit", "due", "remaining", "state", "warned_at", "overdue_at",
    )
    list_filter = ("state", "step", "provisional", "unit", "escalate_when_overdue")
    search_fields = ("case__number", "case__title")
    list_select_related = ("case", "assignment__case", "assignment__unit")
    date_hierarchy = "due_at"

    @admin.display(description=gettext_lazy("时限"))
    def limit(self, obj):
        extension = _("（已延长%(n)d）") % {"n": obj.extension} if obj.extension else ""
        return f"{obj.amount}{obj.get_unit_display()}{extension}"

    @admin.display(description=gettext_lazy("到期时间"), ordering="due_at")
    def due(self, obj):
        return deadlines.due_label(obj.due_at, obj.provisional)

    @admin.display(description=gettext_lazy("剩余/超期"))
    def remaining(self, obj):
        if obj.state != DeadlineState.OPEN:
            return obj.get_state_display()
        return deadlines.describe_due(obj.due_at, timezone.now(), obj.provisional)
