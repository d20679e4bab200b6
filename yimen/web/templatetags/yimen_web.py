"""Badges and small displays shared by every workbench page: one way to show a limit, a risk
colour or a status. Texts come from the domain modules (deadlines.describe_due, the choices'
labels), never re-worded here."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from yimen.cases import deadlines as limits
from yimen.cases.models import Risk, Status, Urgency
from yimen.cases.presenting import UNGRADED, risk_suggestion_text, urgency_suggestion_text

register = template.Library()

# A limit within this window is shown as due soon (amber), the window every count uses; the sweep's
# warning uses its own policy.
DUE_SOON = limits.DUE_SOON


@register.simple_tag(takes_context=True)
def now_once(context):
    """One 'now' per page, so every countdown on it is counted from the same moment."""
    request = context.get("request")
    if request is not None:
        if not hasattr(request, "_yimen_now"):
            request._yimen_now = timezone.now()
        return request._yimen_now
    return timezone.now()


@register.simple_tag(takes_context=True)
def due_badge(context, due_at, provisional=False, is_open=True):
    """"剩余2天" / "已超期3小时" as a coloured badge, with the exact due time on hover."""
    if not due_at:
        return ""
    exact = limits.due_label(due_at, provisional)
    if not is_open:
        return format_html('<span class="badge" title="{}">{}</span>', exact, exact)
    now = now_once(context)
    css = "overdue" if due_at <= now else ("due-soon" if due_at - now <= DUE_SOON else "ok")
    if provisional:
        css += " provisional"
    return format_html('<span class="badge {}" title="{}">{}</span>', css, exact, limits.describe_due(due_at, now, provisional))


@register.simple_tag
def due_exact(due_at, provisional=False):
    return limits.due_label(due_at, provisional) if due_at else ""


_RISK_LABELS: dict = {}
_STATUS_LABELS: dict = {}


def _label(table: dict, choices, value) -> str:
    from django.utils import translation

    key = (translation.get_language(), value)
    if key not in table:
        table[key] = str(choices(value).label) if value in choices.values else value
    return table[key]


@register.simple_tag
def risk_badge(risk, suggested_risk=""):
    """The graded colour; before grading 待研判, and the engine's proposal as a dashed (provisional) badge."""
    if risk:
        return format_html('<span class="badge risk-{}">{}</span>', risk, _label(_RISK_LABELS, Risk, risk))
    ungraded = format_html('<span class="badge ungraded">{}</span>', UNGRADED)
    if not suggested_risk:
        return ungraded
    return format_html(
        '{} <span class="badge provisional risk-{}" title="{}">{}</span>', ungraded, suggested_risk,
        _("系统研判建议，尚未经人工研判确认"), risk_suggestion_text(suggested_risk),
    )


@register.simple_tag
def urgency_text(case):
    """The urgency, and before triage the engine's proposal beside it when it differs."""
    text = case.get_urgency_display()
    suggestion = urgency_suggestion_text(case)
    if not suggestion:
        return text
    pressing = " risk-red" if case.suggested_urgency == Urgency.URGENT else ""
    return format_html('{} <span class="badge provisional{}">{}</span>', text, pressing, suggestion)


@register.simple_tag
def status_badge(status):
    return format_html('<span class="badge status">{}</span>', _label(_STATUS_LABELS, Status, status))
