from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yimen.cases"
    verbose_name = _("事项")

    def ready(self):
        from . import deadlines, jobs  # noqa: F401 - jobs registers the sweep with `yimen worker`

        # Not tagged "database": it should also warn at server start that a year's holidays are missing.
        checks.register(deadlines.check_calendar)
