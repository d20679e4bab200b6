from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

RATE_SETTINGS = (
    "YIMEN_RATE_SMS_PER_PHONE", "YIMEN_RATE_SMS_PER_ADDRESS", "YIMEN_RATE_LOOKUP_PER_ADDRESS",
    "YIMEN_RATE_LOOKUP_PER_NUMBER", "YIMEN_RATE_REGISTER_PER_PHONE", "YIMEN_RATE_REGISTER_PER_ADDRESS",
)
BYTE_BUDGET_SETTINGS = ("YIMEN_RATE_UPLOAD_BYTES_PER_ADDRESS", "YIMEN_RATE_UPLOAD_BYTES_PER_SESSION")


class ResidentsConfig(AppConfig):
    name = "yimen.residents"
    verbose_name = _("群众端（解纷码）")

    def ready(self):
        from . import jobs  # noqa: F401 - registers the hourly housekeeping with `yimen worker`

        checks.register(check_rate_settings)


def check_rate_settings(app_configs=None, **kwargs):
    """A mistyped rate limit is reported when the server starts, not as a 500 on a resident's phone."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from .throttle import parse_byte_rate, parse_rate

    problems = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ImproperlyConfigured as error:
            problems.append(checks.Error(f"{name}: {error}", id="yimen.residents.E001"))
    for name in BYTE_BUDGET_SETTINGS:
        try:
            parse_byte_rate(getattr(settings, name))
        except ImproperlyConfigured as error:
            problems.append(checks.Error(f"{name}: {error}", id="yimen.residents.E001"))
    return problems
