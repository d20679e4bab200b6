"""Time limits as data: the policies, the working-day calendar, and each running deadline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .case import Case, Category, Urgency


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    NATURAL_DAYS = "natural_days", _("自然日")
    HOURS = "hours", _("小时")
    MINUTES = "minutes", _("分钟")


class Step(models.TextChoices):
    """The step of the loop a limit applies to."""

    SIGN = "sign", _("签收")
    HANDLE = "handle", _("办理(事项)")
    UNIT_HANDLE = "unit_handle", _("办理(承办单位)")
    FOLLOW_UP = "follow_up", _("回访")
    SUPERVISION_ANSWER = "supervision_answer", _("督办回复")
    PETITION_DECIDE = "petition_decide", _("信访受理告知")
    PETITION_HANDLE = "petition_handle", _("信访办结")


class TimeLimitPolicy(models.Model):
    """One rule: for this step (and region / category / request type / urgency / channel, where set),
    allow this long.

    The most specific active policy wins (deadlines.policy_for): a policy naming a region beats one
    that does not, the nearer region beats the farther, then category (nearer in the tree first),
    then request type, then urgency, then channel.
    """

    name = models.CharField(_("名称"), max_length=100)
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("适用区划(含下级)"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, verbose_name=_("适用类别(含下级)"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    urgency = models.CharField(_("适用紧急程度"), max_length=10, choices=Urgency.choices, blank=True)
    request_type = models.CharField(
        _("适用诉求类型"), max_length=16, blank=True, help_text=_("诉求类型代码，如 consult(咨询)、complaint(投诉)；留空为全部类型")
    )
    channel = models.CharField(_("适用渠道"), max_length=12, blank=True, help_text=_("如 petition(信访转办)；留空为全部渠道"))
    amount = models.PositiveIntegerField(_("时限"))
    unit = models.CharField(_("计时单位"), max_length=14, choices=LimitUnit.choices)
    warn_before_hours = models.PositiveIntegerField(_("提前预警(小时)"), default=24)
    escalate_when_overdue = models.BooleanField(_("超期自动提级"), default=False)
    max_extension = models.PositiveIntegerField(_("最长可延期(同计时单位)"), default=0)
    legal_basis = models.CharField(_("依据"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        ordering = ["step", "name"]

    def __str__(self):
        return f"{self.name}: {self.amount}{self.get_unit_display()}"


class CalendarDay(models.Model):
    """An administrator's entry for one date: a holiday or a make-up workday (调休).

    Entries win over the chinese-calendar library, so a year the library does not know yet can be
    entered by hand as soon as the State Council publishes it.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_workday else '休'} {self.note}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule has been entered in full by an administrator."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(_("已录入完整"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class DeadlineState(models.TextChoices):
    OPEN = "open", _("计时中")
    MET = "met", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Deadline(models.Model):
    """A running limit on one step of a matter (or of one unit's assignment).

    Keeps what it was computed from (start, amount, unit, extension) so it can be recomputed when a
    year's calendar is entered; the matter and assignment carry a copy of due_at for lists.
    """

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="deadlines")
    assignment = models.ForeignKey("cases.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines")
    supervision = models.ForeignKey("cases.SupervisionOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="deadlines")
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    policy = models.ForeignKey(TimeLimitPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(_("起算时间"))
    amount = models.PositiveIntegerField(_("时限"))
    unit = models.CharField(_("计时单位"), max_length=14, choices=LimitUnit.choices)
    extension = models.PositiveIntegerField(_("已延长"), default=0)
    due_at = models.DateTimeField(_("到期时间"))
    provisional = models.BooleanField(_("待定(含未公布年份)"), default=False)
    warn_at = models.DateTimeField(_("预警时间"))
    escalate_when_overdue = models.BooleanField(default=False)
    state = models.CharField(_("状态"), max_length=10, choices=DeadlineState.choices, default=DeadlineState.OPEN)
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("已超期"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("已处置超期"), null=True, blank=True)
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = _("期限")
        indexes = [
            # The sweep's three scans each read only the open rows that crossed a threshold.
            models.Index(fields=["warn_at"], name="deadline_to_warn", condition=Q(state="open", warned_at__isnull=True)),
            models.Index(fields=["due_at"], name="deadline_to_overdue", condition=Q(state="open", overdue_at__isnull=True)),
            models.Index(fields=["due_at"], name="deadline_to_escalate", condition=Q(state="open", escalate_when_overdue=True, escalated_at__isnull=True)),
            models.Index(fields=["case", "state"], name="deadline_case_state"),
            models.Index(fields=["due_at"], name="deadline_provisional", condition=Q(state="open", provisional=True)),
        ]

    def __str__(self):
        return f"{self.get_step_display()} {self.due_at:%Y-%m-%d %H:%M}"


__all__ = ["LimitUnit", "Step", "TimeLimitPolicy", "CalendarDay", "CalendarYear", "DeadlineState", "Deadline"]
