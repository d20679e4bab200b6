from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "yimen.audit"
    verbose_name = _("安全审计")

    def ready(self):
        from . import checks, jobs, receivers  # noqa: F401 - registers the system check and the hourly prune

        receivers.connect()

