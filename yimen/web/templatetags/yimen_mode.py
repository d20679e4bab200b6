"""`{% demo_banner %}`: every page in demo mode says so, including pages rendered without a request
(the 500 page) and the admin, so it reads settings itself rather than relying on a context processor."""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("web/_demo_banner.html")
def demo_banner():
    return {"demo_mode": settings.YIMEN_DEMO}
