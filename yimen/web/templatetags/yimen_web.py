"""Badges and small displays shared by every workbench page: one way to show a limit, a risk
colour or a status. Texts come from the domain modules (deadlines.describe_due, the choices'
labels), never re-worded here."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from yimen.cases import deadlines as limits
from yimen.cases.models import Risk, Status

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
def risk_badge(risk):
    if not risk:
        return format_html('<span class="badge">{}</span>', _("未定级"))
    return format_html('<span class="badge risk-{}">{}</span>', risk, _label(_RISK_LABELS, Risk, risk))


@register.simple_tag
def status_badge(status):
    return format_html('<span class="badge status">{}</span>', _label(_STATUS_LABELS, Status, status))
